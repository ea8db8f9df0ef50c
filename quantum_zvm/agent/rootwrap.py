"""``quantum-zvm-rootwrap /etc/quantum/rootwrap.conf COMMAND...``: oslo.rootwrap for the agent.

The agent reaches z/VM through xCAT, so it needs no local privileges; when
it runs on a z/VM guest an operator may still use ``vmcp`` through
``root_helper``, and ``etc/quantum/rootwrap.d/zvm-agent.filters`` allows
exactly that and nothing else.
"""
from __future__ import annotations


def main() -> None:
    from oslo_rootwrap import cmd

    cmd.main()
