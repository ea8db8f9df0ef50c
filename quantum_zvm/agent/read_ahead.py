"""Directories read ahead of a node look-up.

A guest's first switch row names an xCAT node the agent does not know yet. Its
``zvm`` row gives the guest's userid, and only then can its directory be read
before anything is granted: two REST round trips one after the other. nova-zvm
creates a guest's node under the instance name with that same name as its userid
(``ZVMInstance.create_xcat_node``: ``userid or self._name``, in
openstack-archive/nova-zvm-virt-driver ``nova/virt/zvm/instance.py`` at df95d8e),
so the agent reads the directory of the node's name in upper case while the row
is looked up, and keeps that read only when the row names that userid for a node
of this host. A guess the row does not confirm costs one directory read and is
dropped: the guest is read again under its real userid, as without a guess.
"""
from __future__ import annotations

from collections.abc import Container, Iterable, Mapping

from quantum_zvm.agent.desired import Nodes
from quantum_zvm.agent.model import ObservedGuest
from xcat import zvm_names


def guesses(nodes: Iterable[str], known: Container[str]) -> dict[str, str]:
    """Node → the userid its name would be, for the ``nodes`` whose name in upper case
    is a z/VM userid whose directory is not ``known`` yet."""
    found: dict[str, str] = {}
    for node in nodes:
        try:
            userid = zvm_names.userid(node, "node")
        except ValueError:
            continue  # no guest can have this name as its userid
        if userid not in known:
            found[node] = userid
    return found


def confirmed(guessed: Mapping[str, str], read: Iterable[ObservedGuest],
              nodes: Nodes) -> dict[str, ObservedGuest]:
    """Userid → the guests of ``read`` whose node (as ``guessed``) the ``zvm`` rows in
    ``nodes`` give that userid on this host; every other read is dropped."""
    node_of = {userid: node for node, userid in guessed.items()}
    return {guest.userid: guest for guest in read
            if node_of.get(guest.userid, "") == nodes.by_userid.get(guest.userid)}
