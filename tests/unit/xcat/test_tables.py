import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.xcat.fakes import RecordingClient
from xcat import tables
from xcat.envelope import parse_envelope
from xcat.errors import XcatRequestError
from xcat.tables import (
    MacRow,
    RowCache,
    SiteRow,
    SwitchRow,
    TabdumpError,
    ZvmRow,
    parse_line,
    parse_tabdump,
)

SWITCH_HEADER = "#node,switch,port,vlan,interface,comments,disable"


def render_row(values):
    """xCAT's output_table: quoted values with doubled quotes, NULL as nothing."""
    return ",".join("" if v is None else '"' + v.replace('"', '""') + '"' for v in values)


def test_reference_switch_rows_before_and_after_the_agent():
    dump = parse_tabdump([SWITCH_HEADER,
                          '"os000001","","5f3c-port-uuid",,"1000","zhcp",',
                          '"os000002","XCATVSW2","6a4d",\"-1\","1000","zhcp",'])
    first, second = (SwitchRow.from_dict(r) for r in dump.rows)
    assert first.switch == "" and first.vlan is None and first.disable is None
    assert first.port == "5f3c-port-uuid" and first.interface == "1000"
    assert first.zhcp_node == "zhcp"
    assert second.switch == "XCATVSW2" and second.vlan == "-1"


def test_header_drives_parsing_so_extra_zvm_columns_do_not_break_it():
    old = parse_tabdump(["#node,hcp,userid,nodetype,parent,comments,disable",
                         '"node1","fakezhcp","user01",,,,'])
    new = parse_tabdump(["#node,hcp,userid,nodetype,parent,comments,disable,discovered,status",
                         '"node1","fakezhcp","user01",,,,,"1","booted"'])
    assert ZvmRow.from_dict(old.rows[0]) == ZvmRow.from_dict(new.rows[0])
    assert ZvmRow.from_dict(new.rows[0]).userid == "user01"
    assert new.rows[0]["status"] == "booted"


def test_site_sample_and_quotes_commas_inside_values():
    dump = parse_tabdump(["#key,value,comments,disable", '"master","10.1.0.1",,',
                          '"x","a,b ""q""",,"1"'])
    assert SiteRow.from_dict(dump.rows[0]).value == "10.1.0.1"
    row = SiteRow.from_dict(dump.rows[1])
    assert row.value == 'a,b "q"' and row.disabled


def test_null_versus_empty_and_disable_rules():
    assert parse_line('"",,"0"', 3) == ["", None, "0"]
    for value, disabled in ((None, False), ("", False), ("0", False), ("no", False),
                            ("NO", False), ("1", True), ("yes", True)):
        assert SwitchRow(disable=value).disabled is disabled


@pytest.mark.parametrize("line", ['"unterminated', '"a"b,', 'a"b', '"a","b","c","d"'])
def test_malformed_lines_are_reported_not_guessed(line):
    dump = parse_tabdump(["#a,b,c", line, '"ok",,'])
    assert len(dump.rows) == 1 and dump.rows[0]["a"] == "ok"
    assert dump.bad_lines and dump.bad_lines[0][1] == line


def test_missing_header_is_an_error():
    with pytest.raises(TabdumpError):
        parse_tabdump(['"a","b"'])


values = st.one_of(st.none(), st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"),
    max_size=12))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(values, min_size=4, max_size=4), max_size=6))
def test_round_trip_rendered_rows(rows):
    lines = ["#a,b,c,d"] + [render_row(r) for r in rows]
    dump = parse_tabdump(lines)
    assert dump.bad_lines == []
    # A row of four NULLs renders as ",,," and still parses to four NULLs.
    assert [[row[c] for c in "abcd"] for row in dump.rows] == rows


def envelope(body):
    return parse_envelope(200, body)


def test_tabdump_via_client_and_typed_dump():
    client = RecordingClient(replies=[envelope(
        '{"data":[{"data":["#node,switch,port,vlan,interface,comments,disable",'
        '"\\"n1\\",,\\"p1\\",,\\"1000\\",\\"zhcp\\",",'
        '"\\"n2\\",,\\"p2\\",,\\"1003\\",\\"other\\",",'
        '"\\"n3\\",,\\"p3\\",,\\"1006\\",\\"zhcp\\",\\"1\\""]}]}')])
    rows = tables.switch_handoff_rows(client, "zhcp")
    assert [r.port for r in rows] == ["p1"]
    assert client.sent == [("GET", ("tables", "switch"), [], None)]


def test_tabdump_error_message_raises():
    client = RecordingClient(replies=[envelope(
        '{"data":[{"error":["Table nosuch does not exist."],"errorcode":["1"]}]}')])
    with pytest.raises(XcatRequestError, match="does not exist"):
        tables.tabdump(client, "nosuch")


def test_gettab_single_and_multiple_attributes():
    client = RecordingClient(replies=[
        envelope('{"data":[{"data":["user01"]}]}'),
        envelope('{"data":[{"data":["zvm.hcp: zhcp.ibm.com"]},{"data":["zvm.userid: USER01"]}]}'),
        envelope('{"data":[]}'),
    ])
    assert tables.gettab(client, "zvm", "node", "node1", "userid") == "user01"
    assert tables.gettab(client, "zvm", "node", "node1", ["userid", "hcp", "parent"]) == \
        {"userid": "USER01", "hcp": "zhcp.ibm.com", "parent": None}
    assert tables.gettab(client, "zvm", "node", "nobody", "userid") is None
    assert client.sent[0][2] == [("col", "node"), ("value", "node1"), ("attribute", "userid")]
    assert client.sent[1][2][-3:] == [("attribute", "userid"), ("attribute", "hcp"),
                                      ("attribute", "parent")]


def test_gettab_unknown_key_column_is_an_error_despite_http_200():
    client = RecordingClient(replies=[envelope(
        '{"data":[{"error":["Unkown key x to zvm"],"errorcode":["1"]}]}')])
    with pytest.raises(XcatRequestError, match="Unkown key"):
        tables.gettab(client, "zvm", "x", "y", "userid")


def test_one_put_per_row_because_xcatws_runs_one_tabch_per_request():
    client = RecordingClient()
    count = tables.set_switch_binding(client, [("p1", "vsw1", 10), ("p2", "flat", None)])
    assert count == 2
    assert client.sent == [
        ("PUT", ("tables", "switch"), [], ["port=p1 switch.switch=VSW1 switch.vlan=10"]),
        ("PUT", ("tables", "switch"), [], ["port=p2 switch.switch=FLAT switch.vlan=-1"])]


def test_tabch_argv_for_the_mn_script():
    assert tables.tabch_upsert_argv("switch", {"port": "p1"}, {"switch": "VSW1", "vlan": "-1"}) == [
        "/opt/xcat/sbin/tabch", "port=p1", "switch.switch=VSW1", "switch.vlan=-1"]
    assert tables.tabch_delete_argv("mac", {"node": "n1", "interface": "1000"}) == [
        "/opt/xcat/sbin/tabch", "-d", "node=n1,interface=1000", "mac"]
    with pytest.raises(ValueError):
        tables.tabch_upsert_argv("switch", {"port": "p1;reboot"}, {"vlan": "1"})


def test_insert_delete_and_nic_rows():
    client = RecordingClient()
    tables.tabch_insert(client, "mac", [{"node": "n1", "mac": "00:00:00:00:00:00",
                                         "interface": "fake"}])
    tables.tabch_delete(client, "mac", [{"node": "n1"}, {"node": "n2", "interface": "1000"}])
    client.replies = [envelope(
        '{"data":[{"data":["#node,interface,mac,comments,disable",'
        '"\\"n1\\",\\"fake\\",\\"00:00:00:00:00:00\\",,"]}]}')]
    tables.add_nic_rows(client, "n1", "1000", "FA:16:3E:00:01:66", "port-1", "zhcp")
    tables.remove_node_rows(client, "n1")
    bodies = [s[3] for s in client.sent]
    assert bodies[0] == ["mac.node=n1 mac.mac=00:00:00:00:00:00 mac.interface=fake"]
    assert bodies[1:3] == [["-d node=n1 mac"], ["-d node=n2,interface=1000 mac"]]
    assert client.sent[3][:2] == ("GET", ("tables", "mac"))
    # nova's placeholder row (interface=fake) is replaced; the mac row is keyed by node
    assert bodies[4] == ["node=n1 mac.interface=1000 mac.mac=fa:16:3e:00:01:66 "
                         "mac.comments=zhcp"]
    assert bodies[5] == ["node=n1,interface=1000 switch.port=port-1 switch.comments=zhcp"]
    assert bodies[6:] == [["-d node=n1 mac"], ["-d node=n1 switch"]]


def mac_row(interface, mac, node="linux01"):
    return MacRow(node=node, interface=interface, mac=mac, comments="zhcp1")


def test_a_node_keeps_the_macs_of_all_its_nics_in_one_row():
    """Schema.pm mac.mac: ``mac1|mac2!name2``; the first MAC is the node's (its
    NIC is ``interface``), the others are named ``<node>-<vdev>``."""
    first = tables.with_nic_mac(None, "linux01", "1000", "FA:16:3E:00:00:01")
    assert first == {"interface": "1000", "mac": "fa:16:3e:00:00:01"}
    row = mac_row(**first)
    second = tables.with_nic_mac(row, "linux01", "1003", "fa:16:3e:00:00:02")
    assert second == {"interface": "1000",
                      "mac": "fa:16:3e:00:00:01|fa:16:3e:00:00:02!linux01-1003"}
    assert tables.nic_macs(mac_row(**second)) == {"1000": "fa:16:3e:00:00:01",
                                                   "1003": "fa:16:3e:00:00:02"}
    # writing a NIC again changes nothing; a new MAC replaces its own entry only
    assert tables.with_nic_mac(mac_row(**second), "linux01", "1003",
                               "fa:16:3e:00:00:02") == second
    assert tables.with_nic_mac(mac_row(**second), "linux01", "1000", "fa:16:3e:00:00:09") == {
        "interface": "1000", "mac": "fa:16:3e:00:00:09|fa:16:3e:00:00:02!linux01-1003"}


def test_removing_one_nic_keeps_the_others_macs():
    three = mac_row("1000", "fa:16:3e:00:00:01|fa:16:3e:00:00:02!linux01-1003|"
                            "fa:16:3e:00:00:03!linux01-1006")
    assert tables.without_nic_mac(three, "1003") == {
        "interface": "1000", "mac": "fa:16:3e:00:00:01|fa:16:3e:00:00:03!linux01-1006"}
    # the first NIC goes: the next one becomes the node's MAC and its interface
    assert tables.without_nic_mac(three, "1000") == {
        "interface": "1003", "mac": "fa:16:3e:00:00:02|fa:16:3e:00:00:03!linux01-1006"}
    assert tables.without_nic_mac(mac_row("1000", "fa:16:3e:00:00:01"), "1000") is None
    assert tables.without_nic_mac(mac_row("1000", "fa:16:3e:00:00:01"), "2000") == {
        "interface": "1000", "mac": "fa:16:3e:00:00:01"}


def test_entries_of_others_are_kept_and_bad_lists_refused():
    """VMCommon.pm writes further MACs as ``mac!*NOIP*``: kept as they are."""
    row = mac_row("1000", "fa:16:3e:00:00:01|02:00:00:00:00:07!*NOIP*")
    assert tables.with_nic_mac(row, "linux01", "1003", "fa:16:3e:00:00:02")["mac"] == (
        "fa:16:3e:00:00:01|02:00:00:00:00:07!*NOIP*|fa:16:3e:00:00:02!linux01-1003")
    assert tables.without_nic_mac(row, "1000") == {"interface": "",
                                                   "mac": "02:00:00:00:00:07!*NOIP*"}
    for bad in ("fa:16:3e:00:00:01;reboot", "fa:16:3e:00:00:01|", "x!y", "aa:bb!a b"):
        with pytest.raises(ValueError, match="mac list"):
            tables.with_nic_mac(mac_row("1000", bad), "linux01", "1003", "fa:16:3e:00:00:02")
    argv = tables.tabch_upsert_argv("mac", {"node": "linux01"},
                                    {"mac": "fa:16:3e:00:00:01|fa:16:3e:00:00:02!linux01-1003"})
    assert argv[-1] == "mac.mac=fa:16:3e:00:00:01|fa:16:3e:00:00:02!linux01-1003"
    with pytest.raises(ValueError):
        tables.tabch_upsert_argv("switch", {"port": "p"}, {"vlan": "1|2"})


def test_tabch_error_in_reply_raises():
    client = RecordingClient(replies=[envelope(
        '{"data":[{"error":["switch.bogus not a valid table.column description"],'
        '"errorcode":["1"]}]}')])
    with pytest.raises(XcatRequestError, match="not a valid"):
        tables.tabch_upsert(client, "switch", [({"port": "p"}, {"bogus": "x"})])


def test_one_bad_row_sends_nothing():
    client = RecordingClient()
    with pytest.raises(ValueError, match=r"rows\[1\] vlan"):
        tables.tabch_upsert(client, "switch", [({"port": "p1"}, {"vlan": "1"}),
                                               ({"port": "p2"}, {"vlan": "1 2"})])
    assert client.sent == []


def test_a_row_cache_parses_only_the_lines_a_dump_did_not_have(caplog):
    cache = RowCache("switch")
    first = [SWITCH_HEADER, '"n1",,"p1",,"1000","zhcp1",', '"bad', '"n2",,"p2",,"1003",,']
    rows = cache.rows_of(first)
    assert rows == parse_tabdump(first).rows
    assert caplog.text.count("malformed line 2") == 1
    second = [SWITCH_HEADER, first[1], '"bad', '"n3",,"p3",,"1006",,']
    again = cache.rows_of(second)
    assert again == parse_tabdump(second).rows
    assert again[0] is rows[0]                            # not parsed again
    assert caplog.text.count("malformed line 2") == 1     # nor logged again
    changed = [SWITCH_HEADER + ",extra"] + second[1:]
    assert cache.rows_of(changed) == parse_tabdump(changed).rows   # a new header: all anew
