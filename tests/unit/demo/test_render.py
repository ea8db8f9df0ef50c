"""The demo's tables: pure functions over the simulator model, counters and API resources."""
from __future__ import annotations

from quantum_zvm.demo import render
from quantum_zvm.nic_cli import render_table

MODEL = {
    "vswitches": {
        "VSW1": {"vlan_aware": True, "persistent": False, "porttype": "ACCESS", "grants": {
            "LINUX02": {"porttype": None, "vlans": ["100"]},
            "DHCPAGT": {"porttype": "TRUNK", "vlans": ["100", "101"]},
        }},
        "FLATSW": {"vlan_aware": False, "persistent": True, "porttype": "ACCESS", "grants": {}},
    },
    "guests": {
        "LINUX01": {"logged_on": True, "nicdefs": {
            "1003": {"lan_name": "VSW1", "macid": "08DC65"},
            "1000": {"lan_name": "FLATSW", "macid": "FD7ACC"},
        }, "active_nics": {"1000": {"coupled_to": "FLATSW"}, "1003": {"coupled_to": None}}},
        "LINUX04": {"logged_on": False, "nicdefs": {}, "active_nics": {}},
    },
}


def lines(text):
    return [line.split() for line in text.splitlines()]


def test_table_aligns_columns_and_shows_none_as_dash():
    text = render_table(("a", "long header"), [("xyz", None), ("1", 22)], indent="")
    assert text.splitlines() == ["a    long header", "---  -----------", "xyz  -", "1    22"]
    assert render_table(("a",), [("x",)], indent="  ").splitlines() == ["  a", "  -", "  x"]


def test_grants_effective_port_type_and_vlans_of_existing_vswitches_only():
    assert render.grants(MODEL, ["VSW1", "FLATSW", "NOPE"]) == {
        "VSW1": {"LINUX02": ("ACCESS", ("100",)), "DHCPAGT": ("TRUNK", ("100", "101"))},
        "FLATSW": {},
    }


def test_grants_table_names_missing_vswitches_and_empty_ones():
    rows = lines(render.grants_table(MODEL, ["VSW1", "FLATSW", "NOPE"]))[2:]
    assert rows == [
        ["VSW1", "VLAN-aware,", "CP", "only", "DHCPAGT", "TRUNK", "100,101"],
        ["VSW1", "VLAN-aware,", "CP", "only", "LINUX02", "ACCESS", "100"],
        ["FLATSW", "flat,", "persistent", "(no", "grants)", "-", "-"],
        ["NOPE", "not", "defined", "-", "-", "-"],
    ]


def test_nic_table_links_macids_to_ports_and_shows_live_couplings():
    ports = [{"id": "p1", "name": "linux01-flat", "mac_address": "fa:16:3e:fd:7a:cc"}]
    rows = lines(render.nic_table(MODEL, ["LINUX01", "LINUX04", "GHOST"], ports))[2:]
    assert rows == [
        ["LINUX01", "logged", "on", "1000", "FLATSW", "FD7ACC", "FLATSW", "linux01-flat"],
        ["LINUX01", "logged", "on", "1003", "VSW1", "08DC65", "not", "coupled", "-"],
        ["LINUX04", "logged", "off", "(no", "NICDEF)", "-", "-", "-", "-"],
        ["GHOST", "no", "directory", "entry", "-", "-", "-", "-", "-"],
    ]


def test_port_table_prefers_what_the_agent_applied_over_the_profile():
    networks = [{"id": "n1", "name": "vlan-net"}]
    ports = [
        {"id": "b", "name": "p-b", "network_id": "n1", "mac_address": "fa:16:3e:00:00:02",
         "fixed_ips": [{"ip_address": "10.0.0.3"}], "status": "DOWN",
         "binding:profile": {"zvm_userid": "LINUX03"}, "binding:vif_details": {}},
        {"id": "a", "name": "p-a", "network_id": "n1", "mac_address": "fa:16:3e:00:00:01",
         "fixed_ips": [], "status": "ACTIVE",
         "binding:profile": {"zvm_userid": "LINUX02", "vdev": "2000"},
         "binding:vif_details": {"userid": "LINUX02", "vdev": "2000"}},
    ]
    rows = lines(render.port_table(ports, networks, {"a": "API"}))[2:]
    assert rows == [
        ["p-a", "vlan-net", "LINUX02", "2000", "fa:16:3e:00:00:01", "-", "ACTIVE", "API"],
        ["p-b", "vlan-net", "LINUX03", "-", "fa:16:3e:00:00:02", "10.0.0.3", "DOWN", "-"],
    ]


def test_network_table():
    networks = [{"id": "n2", "name": "vlan-net", "provider:network_type": "vlan",
                 "provider:physical_network": "VSW1", "provider:segmentation_id": 100},
                {"id": "n1", "name": "flat-net", "provider:network_type": "flat",
                 "provider:physical_network": "FLATSW", "provider:segmentation_id": None}]
    subnets = [{"network_id": "n2", "cidr": "10.20.0.0/24"}]
    assert lines(render.network_table(networks, subnets))[2:] == [
        ["flat-net", "flat", "FLATSW", "-", "-"],
        ["vlan-net", "vlan", "VSW1", "100", "10.20.0.0/24"],
    ]


def test_cost_summary_counts_and_top_request_kinds():
    counters = {"rest": {"total": 9, "by_key": {"GET tables/switch": 5, "PUT nodes/dsh X": 3,
                                                "PUT tables/mac": 1}},
                "smcli": {"total": 12}, "vmcp": {"total": 2}}
    text = render.cost_summary(counters, 1.25, top=2)
    assert text.splitlines() == [
        "  1.2 s, 9 xCAT REST requests, 12 smcli calls, 2 vmcp calls",
        "        5  GET tables/switch",
        "        3  PUT nodes/dsh X",
        "        1  (other kinds)",
    ]
