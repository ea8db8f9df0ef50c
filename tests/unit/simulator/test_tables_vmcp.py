"""xCAT table commands and vmcp texts."""
from __future__ import annotations

from xcat.simulator import events
from xcat.simulator.core import Simulator
from xcat.simulator.tables import Tables
from xcat.simulator.vmcp import Vmcp


def test_tabdump_quoting_null_and_empty():
    tables = Tables()
    tables.tabch(["switch.node=os000001", "switch.port=5f3c", "switch.interface=1000",
                  "switch.comments=zhcp", "switch.switch="])
    tables.tabch(["port=5f3c", "switch.switch=XCATVSW2", "switch.vlan=-1"])
    tables["site"].insert({"key": "master", "value": 'say "hi"'})
    assert tables.tabdump("switch") == [{"data": [
        "#node,switch,port,vlan,interface,comments,disable",
        '"os000001","XCATVSW2","5f3c","-1","1000","zhcp",']}]
    assert tables.tabdump("site")[0]["data"][1] == '"master","say ""hi""",,'
    assert tables.tabdump("zvm")[0]["data"] == ["#node,hcp,userid,nodetype,parent,comments,disable"]
    assert Tables("long").tabdump("zvm")[0]["data"][0].endswith(",disable,discovered,status")


def test_a_changed_value_shows_in_the_next_tabdump():
    """A table keeps its last dump; any change, set_value included, makes a new one."""
    tables = Tables()
    tables["zvm"].insert({"node": "linux01", "hcp": "zhcp1", "userid": "LINUX01"})
    assert tables.tabdump("zvm")[0]["data"][1] == '"linux01","zhcp1","LINUX01",,,,'
    table = tables["zvm"]
    (pos,) = table.matching({"node": "linux01"})
    table.set_value(pos, "hcp", "zhcp2")
    assert tables.tabdump("zvm")[0]["data"][1] == '"linux01","zhcp2","LINUX01",,,,'


def test_gettab_forms():
    tables = Tables()
    tables["zvm"].insert({"node": "n1", "hcp": "zhcp1", "userid": "LINUX01", "disable": "1"})
    tables["zvm"].insert({"node": "n1", "hcp": "zhcp2", "userid": "LINUX09"})
    assert tables.gettab("zvm", "node", "n1", ["userid"]) == [{"data": ["LINUX09"]}]
    assert tables.gettab("zvm", "node", "n1", ["userid", "hcp"]) == [
        {"data": ["zvm.userid: LINUX09"]}, {"data": ["zvm.hcp: zhcp2"]}]
    assert tables.gettab("zvm", "node", "none", ["userid"]) == []
    assert tables.gettab("zvm", "bogus", "x", ["userid"]) == [
        {"error": ["Unkown key bogus to zvm"], "errorcode": ["1"]}]


def test_tabch_upsert_insert_delete_and_errors():
    tables = Tables()
    assert tables.tabch(["node=n1", "mac.mac=aa", "mac.interface=1000"]) == []
    assert tables.tabch(["node=n1", "mac.mac=bb"]) == []
    assert tables["mac"].as_dicts() == [
        {"node": "n1", "interface": "1000", "mac": "bb", "comments": None, "disable": None}]
    assert tables.tabch(["node=n2", "mac.mac="]) == [] and len(tables["mac"].rows) == 1
    assert tables.tabch(["hosts.node=n1", "hosts.ip=1.2.3.4"]) == []
    dup = tables.tabch(["hosts.node=n1", "hosts.ip=1.2.3.5"])
    assert dup[0]["errorcode"] == ["4"] and dup[0]["error"][0].startswith("DB error")
    assert tables.tabch(["node=n1", "mac.bogus=1"]) == [
        {"error": ["mac.bogus not a valid table.column description"], "errorcode": ["1"]}]
    assert tables.tabch(["-d", "node=n1", "mac"]) == [] and tables["mac"].rows == []
    assert tables.tabch(["-d", "node=zz", "mac"]) == []


def test_vmcp_query_nic_and_define_couple(model):
    vmcp = Vmcp(model, "XCAT")
    out = vmcp.run(["vmcp", "q", "v", "nic"])
    lines = out.stdout.splitlines()
    assert lines[0] == "Adapter 0600.P00 Type: QDIO      Name: UNASSIGNED  Devices: 3"
    assert lines[1].startswith("  MAC: 02-00-00-") and lines[1].endswith(
        "         VSWITCH: SYSTEM XCATVSW1")
    assert len(lines[1]) == len("  MAC: 02-00-01-00-00-05         VSWITCH: SYSTEM XCATVSW1")
    missing = vmcp.run(["vmcp", "q", "v", "nic", "800"])
    assert missing.stdout == "HCPNDQ040E Device 0800 does not exist\n" and missing.status == 2
    assert vmcp.run(["vmcp", "define", "nic", "0800", "type", "qdio"]).stdout == \
        "NIC 0800 is created; devices 0800-0802 defined\n"
    assert "LAN: * None" in vmcp.run(["vmcp", "q", "v", "nic", "800"]).stdout
    assert vmcp.run(["vmcp", "couple", "0800", "system", "xcatvsw2"]).stdout == \
        "NIC 0800 is connected to VSWITCH SYSTEM XCATVSW2\n"
    events.xcat_restart(model)
    assert "0800" not in model.guests["XCAT"].active_nics


def test_vmcp_couple_needs_grant_and_q_vmlan(model):
    vmcp = Vmcp(model, "LINUX01")
    vmcp.run(["vmcp", "def", "nic", "1000"])
    denied = vmcp.run(["vmcp", "couple", "1000", "to", "system", "XCATVSW1"])
    assert denied.status == 2 and "not authorized" in denied.stdout
    assert denied.stderr.startswith("Error: non-zero CP response for command 'COUPLE 1000 TO")
    vmlan = vmcp.run(["vmcp", "q", "vmlan"]).stdout
    assert "  MACADDR Prefix: 020000  USER Prefix: FA163E\n" in vmlan
    vsw = vmcp.run(["vmcp", "q", "vswitch", "xcatvsw2", "acc"]).stdout
    assert vsw.startswith("VSWITCH SYSTEM XCATVSW2 Type: QDIO    Connected: 2")
    assert "  VLAN Unaware\n" in vsw and "  Authorized userids:\n" in vsw


def test_logged_off_guest_has_no_vmcp(model):
    out = Vmcp(model, "LINUX04").run(["vmcp", "q", "v", "nic"])
    assert out.status == 4


def test_tabch_joined_argument_list_writes_one_row_or_nothing():
    tables = Tables()
    assert tables.tabch(["port=p1", "switch.node=n1", "port=p2", "switch.node=n2"]) == [
        {"error": ["port=p2 not a valid table.column description"], "errorcode": ["1"]}]
    assert tables["switch"].rows == []
    assert tables.tabch(["node=n1,interface=1000", "mac.mac=aa", "hosts.ip=1.2.3.4"]) == [
        {"error": ["DB error no such column: interface"], "errorcode": ["4"]}]
    assert tables["mac"].as_dicts()[0]["mac"] == "aa"
    assert tables.tabch([])[0]["data"][0] == "Usage: tabch"


def test_mac_table_is_keyed_by_node_only():
    """perl-xCAT Schema.pm: mac keys => [node].  A tabch keyed by node and interface
    matches no row for another interface, so Table.pm setAttribs inserts, the
    database refuses a second row for the node and tabutils reports ``DB error``
    with errorcode 4; nothing is written."""
    tables = Tables()
    assert tables.tabch(["node=linux01,interface=1000", "mac.mac=fa:16:3e:00:00:01"]) == []
    second = tables.tabch(["node=linux01,interface=1003", "mac.mac=fa:16:3e:00:00:02"])
    assert second == [{"error": ["DB error UNIQUE constraint failed: mac.node"],
                       "errorcode": ["4"]}]
    assert tables["mac"].as_dicts() == [{"node": "linux01", "interface": "1000",
                                         "mac": "fa:16:3e:00:00:01", "comments": None,
                                         "disable": None}]
    # a key spec naming the node alone updates its one row (the list syntax of Schema.pm)
    assert tables.tabch(["node=linux01", "mac.mac=fa:16:3e:00:00:01|fa:16:3e:00:00:02!x"]) == []
    assert tables["mac"].as_dicts()[0]["mac"] == "fa:16:3e:00:00:01|fa:16:3e:00:00:02!x"


def test_switch_rows_of_one_node_differ_by_port():
    """switch keys => [node, switch, port]: a node has one row per NIC (port)."""
    tables = Tables()
    for port, vdev in (("p1", "1000"), ("p2", "1003")):
        assert tables.tabch([f"port={port}", "switch.node=linux01",
                             f"switch.interface={vdev}"]) == []
    assert [r["port"] for r in tables["switch"].as_dicts()] == ["p1", "p2"]


def test_second_mac_row_on_the_mn_shell_fails_like_tabch():
    """The client prints the error on stderr as ``Error: ...`` and exits 4."""
    sim = Simulator()
    out = sim.dsh("xcat", "/opt/xcat/sbin/tabch node=linux01,interface=1000 mac.mac=aa; "
                          "/opt/xcat/sbin/tabch node=linux01,interface=1003 mac.mac=bb")
    assert (out.status, out.stdout, out.stderr) == (
        4, "", "Error: DB error UNIQUE constraint failed: mac.node\n")
