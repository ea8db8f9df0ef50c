"""Pure functions turning the simulator's model, its counters and API resources into text.

``model`` is ``GET /_sim/state``'s ``"model"`` (vswitches with their grants,
guests with directory NICDEFs and active NICs); ``counters`` is
``GET /_sim/counters``; ports and networks are REST API dicts.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from quantum_zvm.nic_cli import render_table

NONE = "-"
INDENT = "  "


def grants(model: Mapping[str, Any], vswitches: Iterable[str]) -> dict[str, dict[str, tuple]]:
    """``{vswitch: {userid: (port type, VLANs)}}`` of the named vswitches that exist."""
    found = {}
    for name in vswitches:
        vswitch = model["vswitches"].get(name)
        if vswitch is None:
            continue
        found[name] = {
            userid: (grant.get("porttype") or vswitch.get("porttype") or NONE,
                     tuple(str(v) for v in grant.get("vlans") or ()))
            for userid, grant in vswitch.get("grants", {}).items()}
    return found


def _vswitch_kind(vswitch: Mapping[str, Any]) -> str:
    kind = "VLAN-aware" if vswitch.get("vlan_aware") else "flat"
    return kind + (", persistent" if vswitch.get("persistent") else ", CP only")


def grants_table(model: Mapping[str, Any], vswitches: Sequence[str]) -> str:
    """Vswitch grants and VLANs: one line per (vswitch, userid), missing vswitches named."""
    rows = []
    for name in vswitches:
        vswitch = model["vswitches"].get(name)
        if vswitch is None:
            rows.append((name, "not defined", NONE, NONE, NONE))
            continue
        granted = grants(model, [name])[name]
        if not granted:
            rows.append((name, _vswitch_kind(vswitch), "(no grants)", NONE, NONE))
        for userid, (porttype, vlans) in sorted(granted.items()):
            rows.append((name, _vswitch_kind(vswitch), userid, porttype,
                         ",".join(vlans) or NONE))
    return render_table(("vswitch", "kind", "userid", "port type", "VLANs"), rows, INDENT)


def _macid(mac: str) -> str:
    return mac.replace(":", "")[6:].upper()


def nic_table(model: Mapping[str, Any], userids: Sequence[str],
              ports: Sequence[Mapping[str, Any]] = ()) -> str:
    """Directory NICDEFs per guest, whether the guest is logged on and where the live NIC is
    coupled; the port owning the NIC's MACID when ``ports`` has it."""
    port_by_macid = {_macid(p["mac_address"]): p.get("name") or p["id"] for p in ports}
    rows: list[tuple[object, ...]] = []  # None cells show as NONE
    for userid in userids:
        guest = model["guests"].get(userid)
        if guest is None:
            rows.append((userid, "no directory entry", NONE, NONE, NONE, NONE, NONE))
            continue
        state = "logged on" if guest.get("logged_on") else "logged off"
        nicdefs = guest.get("nicdefs") or {}
        if not nicdefs:
            rows.append((userid, state, "(no NICDEF)", NONE, NONE, NONE, NONE))
        for vdev, nic in sorted(nicdefs.items()):
            live = (guest.get("active_nics") or {}).get(vdev)
            coupled = (live.get("coupled_to") or "not coupled") if live else NONE
            macid = nic.get("macid")
            rows.append((userid, state, vdev, nic.get("lan_name"), macid, coupled,
                         port_by_macid.get((macid or "").upper())))
    return render_table(("guest", "state", "NICDEF", "vswitch", "MACID", "live NIC", "port"),
                        rows, INDENT)


def _port_place(port: Mapping[str, Any]) -> tuple[Any, Any]:
    details = port.get("binding:vif_details") or {}
    profile = port.get("binding:profile") or {}
    return (details.get("userid") or profile.get("zvm_userid"),
            details.get("vdev") or profile.get("vdev"))


def port_table(ports: Sequence[Mapping[str, Any]], networks: Sequence[Mapping[str, Any]],
               attached_by: Mapping[str, str] | None = None) -> str:
    """Ports with network, guest and vdev (what the agent applied), MAC, address, status."""
    net_names = {n["id"]: n.get("name") or n["id"] for n in networks}
    rows = []
    for port in sorted(ports, key=lambda p: (p.get("name") or "", p["id"])):
        userid, vdev = _port_place(port)
        ips = ",".join(ip["ip_address"] for ip in port.get("fixed_ips") or ())
        rows.append((port.get("name") or port["id"], net_names.get(port["network_id"]),
                     userid, vdev, port["mac_address"], ips or NONE, port["status"],
                     (attached_by or {}).get(port["id"])))
    return render_table(("port", "network", "guest", "vdev", "MAC", "IP", "status",
                         "attached by"), rows, INDENT)


def placement_table(ports: Sequence[Mapping[str, Any]],
                    systems: Mapping[str, str]) -> str:
    """Where each port is bound: its guest, ``binding:host_id``, the zHCP that applied it
    and that zHCP's z/VM system (``systems``: zHCP node -> system name), its status."""
    rows = []
    for port in sorted(ports, key=lambda p: (p.get("name") or "", p["id"])):
        userid, _vdev = _port_place(port)
        zhcp = (port.get("binding:vif_details") or {}).get("zhcp_node")
        rows.append((port.get("name") or port["id"], userid, port.get("binding:host_id") or NONE,
                     zhcp, systems.get(zhcp or ""), port["status"]))
    return render_table(("port", "guest", "host", "zHCP", "z/VM system", "status"), rows,
                        INDENT)


def network_table(networks: Sequence[Mapping[str, Any]],
                  subnets: Sequence[Mapping[str, Any]]) -> str:
    """Networks with their provider attributes (vswitch, VLAN) and subnets."""
    cidrs: dict[str, list[str]] = {}
    for subnet in subnets:
        cidrs.setdefault(subnet["network_id"], []).append(subnet["cidr"])
    rows = [(n.get("name"), n.get("provider:network_type"), n.get("provider:physical_network"),
             n.get("provider:segmentation_id"), ",".join(cidrs.get(n["id"], ())) or NONE)
            for n in sorted(networks, key=lambda n: n.get("name") or "")]
    return render_table(("network", "type", "vswitch", "VLAN", "subnet"), rows, INDENT)


def cost_summary(counters: Mapping[str, Any], seconds: float, top: int = 8) -> str:
    """Time taken and the xCAT work it cost: REST requests by kind, smcli and vmcp calls."""
    rest = counters.get("rest", {})
    smcli = counters.get("smcli", {})
    lines = [f"  {seconds:.1f} s, {rest.get('total', 0)} xCAT REST requests, "
             f"{smcli.get('total', 0)} smcli calls, "
             f"{counters.get('vmcp', {}).get('total', 0)} vmcp calls"]
    by_key = sorted((rest.get("by_key") or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    for key, count in by_key[:top]:
        lines.append(f"    {count:5d}  {key}")
    if len(by_key) > top:
        lines.append(f"    {sum(c for _k, c in by_key[top:]):5d}  (other kinds)")
    return "\n".join(lines)
