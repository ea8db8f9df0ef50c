"""A measured replay of the 2015 z/VM agent's xCAT call pattern.

The anchor column of ``benchmarks/bench_agent.py`` is the cost of the same
work done the way the z/VM agent of May 2015 did it (reference
``xcat-rest-api.md`` §5.1-5.2). Pricing that pattern with mean latencies
leaves out what only running it shows: a TCP (and TLS) handshake per call,
the simulator's real per-request work, and whether the simulator accepts
every one of those calls. This module sends those calls, in that order, to a
real xCAT REST endpoint (the simulator, in tests and benchmarks) and counts
them client side.

Source of the call order: openstack-archive/networking-zvm, commit
``a3b7f66`` (2015-05-04), ``neutron/plugins/zvm/agent/zvm_neutron_agent.py``
(``_treat_devices_added``, ``_treat_vif_port``, ``port_bound``),
``neutron/plugins/zvm/common/utils.py`` (``_get_nic_settings``,
``get_userid_from_node``, ``grant_user``, ``couple_nic_to_vswitch``,
``_couple_nic``, ``put_user_direct_online``, ``set_vswitch_port_vlan_id``,
``update_xcat_switch``, ``re_grant_user``) and
``neutron/plugins/zvm/common/xcatutils.py`` (URL layout, one
``httplib.HTTPSConnection`` per request, status check). For one VLAN port
added with admin state up that agent made 11 requests, in this order:

 1. G ``tables/switch`` port -> node          (``get_node_from_port``)
 2. G ``tables/zvm`` node -> userid
 3. P dsh ``Virtual_Network_Vswitch_Set_Extended`` grant       (``port_bound``)
 4. G ``tables/switch`` port -> interface (the vdev)
 5. P dsh ``Virtual_Network_Adapter_Connect_Vswitch_DM``
 6. P dsh ``Virtual_Network_Adapter_Connect_Vswitch``
 7. P dsh ``Static_Image_Changes_Immediate_DM -T <zHCP userid>``
 8. G ``tables/switch`` port -> node          (``set_vswitch_port_vlan_id``
 9. G ``tables/zvm`` node -> userid            looks the userid up again)
10. P dsh ``Virtual_Network_Vswitch_Set_Extended`` grant with ``user_vlan_id``
11. T ``tables/switch`` ``port=<p> switch.switch=<vsw> switch.vlan=<vlan>``

so the VLAN grant comes after the couple and the directory refresh, not
before them. It is the guest's second grant on that vswitch; the
simulator's SMAPI model takes the guest's NICs on the vswitch down on a
second grant (reference ``zvm-smapi.md``, erratum 4), so there the replay
leaves NIC 1000 coupled in the directory but not in the running guest.

Ports are handled one after another; a failing call ends that port's work
(the agent logged it and went on with the next port). The agent's input per
port was what the plugin's device details gave it: the port id, the physical
network (the vswitch) and the segmentation id; node, userid and vdev come
from the answers of calls 1, 2 and 4, as they did.

Each call is made the 2015 way: a new connection (a fresh ``requests``
session, closed after the call), the credentials and ``format=json``
concatenated into the query string without URL encoding, a body (if any)
sent as a JSON array of strings with ``Content-Type: text/plain``; any
status but 200 fails the call. Like the 2015 agent, a dsh whose command
failed is not an error (the agent did not look); the replay only counts
those in ``dsh_failed`` so a benchmark can tell work done from requests sent.

``replay_ipl_regrant`` is the re-grant the agent ran at start and after a
z/VM IPL (``re_grant_user``): ``tabdump switch``, ``tabdump zvm``, then for
every 1,000 of this zHCP's ports one dsh writing a shell script of smcli
grants (``echo -e "#!/bin/sh\\n..." > grant.sh``) and one running it. The
agent re-created its vswitches only when its process restarted, so the
grants succeed only on vswitches kept in SYSTEM CONFIG; the script's exit
status is that of ``rm``, so failed grants do not show in ``dsh_failed``.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import requests
from requests.adapters import HTTPAdapter

PREFIX = "/xcatws"
SMCLI = "/opt/zhcp/bin/smcli"
TIMEOUT = 300.0                 # the 2015 agent's zvm_xcat_timeout default
REGRANT_BATCH = 1000            # zvmUtils._MAX_REGRANT_USER_NUMBER
ZVM_HEADER = "#node,hcp,userid,nodetype,parent,comments,disable"


class VlanPort(NamedTuple):
    """What the 2015 agent knew of a port before asking xCAT: its id, the
    vswitch (physical network) and the VLAN id (segmentation id)."""
    port_id: str
    vswitch: str
    vlan: int


class ReplayError(Exception):
    """A call the 2015 agent would have treated as failed (status not 200,
    a body that is not the v1 envelope, or no value where it indexed one)."""


@dataclass
class _Tally:
    """Client-side counts of one replay."""
    requests: int = 0
    connections: int = 0
    smcli_calls: int = 0
    dsh_failed: int = 0
    by_call: dict[str, int] = field(default_factory=dict)


class _Caller:
    """Sends one v1 request per call on a connection of its own."""

    def __init__(self, server_url: str, username: str, password: str, verify: Any,
                 timeout: float):
        self.base = server_url.rstrip("/") + PREFIX
        # Concatenated, not encoded: the 2015 client's xCatURL.SUFFIX.
        self.auth = f"?userName={username}&password={password}&format=json"
        self.verify = verify
        self.timeout = timeout
        self.tally = _Tally()

    def call(self, label: str, method: str, path: str, extra: str = "",
             body: list[str] | None = None) -> dict[str, list]:
        """One request; returns the flattened envelope (key -> list of each
        message's value, as the 2015 ``load_xcat_resp`` built it)."""
        url = self.base + path + self.auth + extra
        data = None if body is None else json.dumps(body)
        headers = {} if body is None else {"Content-Type": "text/plain"}
        session = requests.Session()
        try:
            response = session.request(method, url, data=data, headers=headers,
                                       verify=self.verify, timeout=self.timeout)
            self.tally.connections += _connections_opened(session)
        finally:
            session.close()
        self.tally.requests += 1
        self.tally.by_call[label] = self.tally.by_call.get(label, 0) + 1
        if response.status_code != 200:
            raise ReplayError(f"{label}: HTTP {response.status_code} {response.text[:200]!r}")
        try:
            messages = response.json()["data"]
            flat: dict[str, list] = {k: [] for k in ("info", "data", "node", "errorcode",
                                                     "error")}
            for message in messages:
                for key, values in flat.items():
                    if message.get(key) is not None:
                        values.append(message[key])
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ReplayError(f"{label}: not a v1 envelope: {response.text[:200]!r}") from error
        return flat

    def first(self, label: str, path: str, extra: str) -> str:
        """A gettab, answered by ``data[0][0]`` as the 2015 helpers read it."""
        flat = self.call(label, "GET", path, extra)
        try:
            return str(flat["data"][0][0])
        except IndexError as error:
            raise ReplayError(f"{label}: no value for {extra!r}") from error

    def dsh(self, label: str, node: str, command: str, smcli_calls: int = 1) -> None:
        """A dsh on ``node`` that runs ``smcli_calls`` smcli commands."""
        flat = self.call(label, "PUT", f"/nodes/{node}/dsh", body=[f"command={command}"])
        self.tally.smcli_calls += smcli_calls
        codes = flat["errorcode"]
        if not codes or codes[-1] != ["0"]:
            self.tally.dsh_failed += 1


def _connections_opened(session: requests.Session) -> int:
    """TCP connections the session's pools opened (urllib3 counts them)."""
    opened = 0
    for adapter in session.adapters.values():
        if isinstance(adapter, HTTPAdapter):
            pools = adapter.poolmanager.pools
            # urllib3's RecentlyUsedContainer refuses iteration; keys() copies under its lock
            opened += sum(pools[key].num_connections
                          for key in pools.keys())  # noqa: SIM118 - the container is not iterable
    return opened


def _bind_vlan_port(caller: _Caller, port: VlanPort, zhcp_node: str, zhcp_userid: str) -> None:
    """The 11 calls of one VLAN port added with admin state up, in a3b7f66's order."""
    def node_of_port() -> str:
        return caller.first("G switch node", "/tables/switch",
                            f"&col=port&value={port.port_id}&attribute=node")

    def userid_of(node: str) -> str:
        return caller.first("G zvm userid", "/tables/zvm",
                            f"&col=node&value={node}&attribute=userid")

    def smcli(label: str, function: str, args: str) -> None:
        caller.dsh(label, zhcp_node, f"{SMCLI} {function} {args}")

    userid = userid_of(node_of_port())
    smcli("P grant", "Virtual_Network_Vswitch_Set_Extended",
          f"-T {userid} -k switch_name={port.vswitch} -k grant_userid={userid}")
    vdev = caller.first("G switch interface", "/tables/switch",
                        f"&col=port&value={port.port_id}&attribute=interface")
    if not vdev:
        raise ReplayError(f"no vdev for port {port.port_id}")
    couple = f"-T {userid} -v {vdev} -n {port.vswitch}"
    smcli("P couple_DM", "Virtual_Network_Adapter_Connect_Vswitch_DM", couple)
    smcli("P couple", "Virtual_Network_Adapter_Connect_Vswitch", couple)
    smcli("P directory online", "Static_Image_Changes_Immediate_DM", f"-T {zhcp_userid}")
    userid = userid_of(node_of_port())
    smcli("P grant vlan", "Virtual_Network_Vswitch_Set_Extended",
          f"-T {userid} -k grant_userid={userid} -k switch_name={port.vswitch} "
          f"-k user_vlan_id={port.vlan}")
    caller.call("T switch", "PUT", "/tables/switch",
                body=[(f"port={port.port_id} switch.switch={port.vswitch} "
                       f"switch.vlan={port.vlan or -1}")])


def _result(caller: _Caller, started: float, **extra: Any) -> dict[str, Any]:
    tally = caller.tally
    return {"rest_requests": tally.requests, "tcp_connections": tally.connections,
            "smcli_calls": tally.smcli_calls, "dsh_failed": tally.dsh_failed,
            "by_call": dict(sorted(tally.by_call.items())),
            "seconds": round(time.monotonic() - started, 3), **extra}


def replay_vlan_ports(server_url: str, username: str, password: str,
                      ports: Iterable[VlanPort | tuple[str, str, int]], *,
                      zhcp_node: str, zhcp_userid: str, verify: Any = True,
                      timeout: float = TIMEOUT) -> dict[str, Any]:
    """Bind ``ports`` (port id, vswitch, VLAN id) one after another as the
    2015 agent did, each call on a new connection.

    ``server_url`` is the management node's base URL (``https://host:port``);
    ``verify`` is passed to ``requests`` (a CA file path, True or False).
    Returns the client-side counts (``rest_requests``, ``tcp_connections``,
    ``smcli_calls``, ``dsh_failed``, ``by_call``), the wall ``seconds``, the
    number of ``ports`` and the ``failed_ports`` with their first error.
    """
    caller = _Caller(server_url, username, password, verify, timeout)
    failed: dict[str, str] = {}
    count = 0
    started = time.monotonic()
    for raw in ports:
        port = VlanPort(*raw)
        count += 1
        try:
            _bind_vlan_port(caller, port, zhcp_node, zhcp_userid)
        except (ReplayError, requests.RequestException) as error:
            failed[port.port_id] = str(error)
    return _result(caller, started, ports=count, failed_ports=failed)


def _rows(caller: _Caller, label: str, table: str, header: str | None) -> list[list[str]]:
    """A tabdump's rows split the 2015 way (``split(',')``, quotes stripped)."""
    flat = caller.call(label, "GET", f"/tables/{table}")
    try:
        lines = list(flat["data"][0])
    except IndexError as error:
        raise ReplayError(f"{label}: empty answer") from error
    if header is None:
        lines = lines[1:]
    elif header in lines:
        lines.remove(header)
    else:
        # a3b7f66 removed the zvm header by exact text and failed on any other.
        raise ReplayError(f"{label}: header is not {header!r}")
    return [[cell.strip('"') for cell in line.split(",")] for line in lines]


def replay_ipl_regrant(server_url: str, username: str, password: str, *, zhcp_node: str,
                       verify: Any = True, timeout: float = TIMEOUT) -> dict[str, Any]:
    """The 2015 re-grant of every port of ``zhcp_node`` after a z/VM IPL:
    2 tabdumps + 2 dsh per 1,000 ports; the smcli calls run inside the
    script, one per port. Returns the same counts as :func:`replay_vlan_ports`
    with ``ports`` = the grants written into the scripts."""
    caller = _Caller(server_url, username, password, verify, timeout)
    started = time.monotonic()
    switch = _rows(caller, "G tabdump switch", "switch", None)
    userids = {row[0]: row[2] for row in _rows(caller, "G tabdump zvm", "zvm", ZVM_HEADER)}
    lines = []
    for node, vswitch, _port, vlan, *_rest in (r for r in switch if r[5] == zhcp_node):
        userid = userids.get(node)
        if not userid or not vswitch:
            continue                                    # the agent's "garbage port"
        line = (f"{SMCLI} Virtual_Network_Vswitch_Set_Extended -T {userid} "
                f"-k switch_name={vswitch} -k grant_userid={userid}")
        if vlan.isdigit() and 1 <= int(vlan) < 4094:
            line += f" -k user_vlan_id={vlan}"
        lines.append(line)
    for start in range(0, len(lines), REGRANT_BATCH):
        batch = lines[start:start + REGRANT_BATCH]
        script = "\n".join(batch)
        caller.dsh("P write grant.sh", zhcp_node, f'echo -e "#!/bin/sh\n{script}" > grant.sh', 0)
        caller.dsh("P run grant.sh", zhcp_node, "sh grant.sh;rm -f grant.sh", len(batch))
    return _result(caller, started, ports=len(lines))
