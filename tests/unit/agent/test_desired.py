"""Desired state from xCAT rows and plugin details: validation and joins."""
from __future__ import annotations

import dataclasses
import uuid

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from quantum_zvm.agent import desired as d
from quantum_zvm.agent.model import Binding, VswitchSpec
from quantum_zvm.rpc.errors import MalformedMessage
from xcat.tables import SwitchRow as XcatSwitchRow

P1, P2, P3 = (str(uuid.UUID(int=i)) for i in (1, 2, 3))
SPECS = {"VSW1": VswitchSpec("VSW1", ((100, 199),)), "VSW2": VswitchSpec("VSW2")}


def srow(port, node="linux01", interface="1000", comments="zhcp1", **kw):
    return {"node": node, "switch": None, "port": port, "vlan": None,
            "interface": interface, "comments": comments, "disable": None, **kw}


def details(port, network_type="vlan", physnet="vsw1", seg=100, admin=True, **kw):
    return {"device": port, "port_id": port, "network_id": "net-" + port[-1],
            "admin_state_up": admin, "network_type": network_type,
            "physical_network": physnet, "segmentation_id": seg,
            "mac_address": "fa:16:3e:0e:4e:8e", "binding:host_id": None,
            "binding:profile": {}, **kw}


NODES = d.zvm_nodes([{"node": "linux01", "hcp": "zhcp.example.com", "userid": "linux01"},
                     {"node": "linux02", "hcp": "zhcp.example.com", "userid": "LINUX02"},
                     {"node": "zhcp1", "hcp": "zhcp.example.com", "userid": "ZHCP"},
                     {"node": "other", "hcp": "zhcp2.example.com", "userid": "LINUX03"},
                     {"node": "evil", "hcp": "zhcp.example.com", "userid": "x;rm -rf"}],
                    "zhcp1")


def build(rows, det, bound=(), bindings=None, user_prefix=None):
    return d.build(d.Inputs(d.switch_rows(rows, "zhcp1"), NODES, det, bound, SPECS,
                            "zvmhost1", "zhcp1", bindings or {}, user_prefix))


def test_rows_of_other_zhcps_and_disabled_rows_are_ignored():
    rowset = d.switch_rows([srow(P1), srow(P2, comments="zhcp2"), srow(P3, disable="1")],
                           "zhcp1")
    assert list(rowset.rows) == [P1]
    assert rowset.rows[P1].vdev == "1000" and rowset.rows[P1].node == "linux01"


def test_typed_xcat_rows_are_accepted_too():
    rowset = d.switch_rows([XcatSwitchRow(node="linux01", port=P1.upper(), interface="1003",
                                          comments="zhcp1")], "zhcp1")
    assert rowset.rows[P1].vdev == "1003"


@pytest.mark.parametrize("field,value,fragment", [
    ("interface", "10000", "interface (vdev)"),
    ("interface", "1000;reboot", "interface (vdev)"),
    ("interface", None, "interface (vdev)"),
    ("interface", "FFFE", "no room"),
    ("node", "bad node", "node"),
])
def test_bad_row_values_reject_the_port_with_a_reason(field, value, fragment):
    rowset = d.switch_rows([srow(P1, **{field: value})], "zhcp1")
    assert P1 not in rowset.rows
    assert fragment in rowset.rejected[P1]


def test_row_without_a_port_id_is_only_logged():
    rowset = d.switch_rows([srow("not-a-uuid"), srow("$(reboot)")], "zhcp1")
    assert not rowset.rows and not rowset.rejected
    assert len(rowset.invalid) == 2


def test_a_port_in_two_rows_is_rejected():
    rowset = d.switch_rows([srow(P1), srow(P1, node="linux02")], "zhcp1")
    assert P1 not in rowset.rows and "2 switch rows" in rowset.rejected[P1]


def test_rows_join_zvm_userids_and_network_details():
    state = build([srow(P1), srow(P2, node="linux02", interface="1003")],
                  {P1: details(P1), P2: details(P2, "flat", "vsw2", None, admin=False)})
    p1, p2 = state.ports[P1], state.ports[P2]
    assert (p1.userid, p1.vdev, p1.vswitch, p1.vlan, p1.admin_up) == (
        "LINUX01", "1000", "VSW1", 100, True)
    assert (p2.userid, p2.vswitch, p2.vlan, p2.admin_up) == ("LINUX02", "VSW2", None, False)
    assert p1.order < p2.order and not state.rejected


def test_unknown_ports_are_left_out_not_rejected():
    state = build([srow(P1)], {P1: {"device": P1}})
    assert not state.ports and not state.rejected


@pytest.mark.parametrize("det,fragment", [
    (details(P1, "local", None, None), "type local"),
    (details(P1, "vlan", "vsw1", 5000), "outside 1-4094"),
    (details(P1, "vlan", "bad name!", 100), "physical network"),
    (details(P1, **{"binding:host_id": "elsewhere"}), "bound to host elsewhere"),
])
def test_unusable_details_reject_the_port(det, fragment):
    state = build([srow(P1, interface="1003")], {P1: det})
    assert fragment in state.rejected[P1] and P1 not in state.ports
    assert state.rejected_nics == {P1: ("LINUX01", "1003")}  # to be kept uncoupled


def test_node_without_zvm_row_or_with_a_bad_userid_is_rejected():
    state = build([srow(P1, node="ghost"), srow(P2, node="evil")],
                  {P1: details(P1), P2: details(P2)})
    assert "no row in the xCAT zvm table" in state.rejected[P1]
    assert "not a z/VM userid" in state.rejected[P2]
    assert not state.rejected_nics  # no userid: no NIC the agent may touch


def api_details(port, userid="linux02", vdev=None, mac="fa:16:3e:0e:4e:8e", **kw):
    profile = {"zvm_userid": userid}
    if vdev:
        profile["vdev"] = vdev
    return details(port, mac_address=mac, **{"binding:host_id": "zvmhost1",
                                             "binding:profile": profile}, **kw)


def test_api_bound_port_becomes_an_api_port_with_macid_and_node():
    state = build([], {P1: api_details(P1)}, bound=[P1])
    port = state.ports[P1]
    assert port.api and port.userid == "LINUX02" and port.node == "linux02"
    assert port.macid == "0E4E8E" and port.vdev is None and port.mac == "fa:16:3e:0e:4e:8e"


def test_api_port_takes_its_vdev_from_its_row_once_written():
    state = build([srow(P1, node="linux02", interface="1003")], {P1: api_details(P1)},
                  bound=[P1])
    assert state.ports[P1].vdev == "1003" and state.ports[P1].api


@pytest.mark.parametrize("det,fragment", [
    (api_details(P1, userid="LINUX03"), "not an xCAT node of zHCP zhcp1"),
    (api_details(P1, userid="toolonguserid"), "zvm_userid"),
    (api_details(P1, vdev="zz"), "vdev"),
    (api_details(P1, mac="02:00:00:0e:4e:8e"), "USER PREFIX FA163E"),
])
def test_bad_api_bindings_are_rejected(det, fragment):
    state = build([], {P1: det}, bound=[P1], user_prefix="FA163E")
    assert fragment in state.rejected[P1]
    assert not state.rejected_nics


@pytest.mark.parametrize("det,fragment", [
    (api_details(P1, vdev="1006", mac="02:00:00:0e:4e:8e"), "USER PREFIX FA163E"),
    (api_details(P1, vdev="1006", network_type="gre"), "type gre"),
])
def test_a_rejected_api_port_with_valid_names_names_its_nic(det, fragment):
    state = build([], {P1: det}, bound=[P1], user_prefix="FA163E")
    assert fragment in state.rejected[P1]
    assert state.rejected_nics == {P1: ("LINUX02", "1006")}


def test_row_of_a_port_unbound_from_the_api_is_not_desired():
    state = build([srow(P1, node="linux02")], {P1: details(P1)},
                  bindings={P1: Binding("LINUX02", "1000", "VSW1", 100, "linux02", api=True)})
    assert P1 not in state.ports and P1 not in state.rejected


def test_ports_needing_details_are_rows_not_cached():
    rowset = d.switch_rows([srow(P1), srow(P2, interface="1003")], "zhcp1")
    assert d.ports_needing_details(rowset, {P1: {}}) == [P2]


def test_ports_needing_details_among_some_ports_are_those_rows_only():
    rowset = d.switch_rows([srow(P1), srow(P2, interface="1003")], "zhcp1")
    assert d.ports_needing_details(rowset, {}, among={P2, P3}) == [P2]  # P3: no row
    assert d.ports_needing_details(rowset, {P2: {}}, {P2}, among={P2}) == [P2]
    assert d.ports_needing_details(rowset, {P2: {}}, among=set()) == []


def test_notified_ports_need_their_details_again():
    rowset = d.switch_rows([srow(P1), srow(P2, interface="1003")], "zhcp1")
    assert d.ports_needing_details(rowset, {P1: {}, P2: {}}, {P2}) == [P2]
    assert d.ports_needing_details(rowset, {P1: {}}, {P1}) == [P1, P2]


def test_a_zvm_row_whose_node_is_not_a_node_name_is_bad_and_maps_no_userid():
    nodes = d.zvm_nodes([{"node": "linux 05,x", "hcp": "", "userid": "LINUX05"},
                         {"node": "linux06", "hcp": "", "userid": "LINUX06"}], "zhcp1")
    assert "not an xCAT node name" in nodes.bad["linux 05,x"]
    assert "LINUX05" not in nodes.by_userid and "linux 05,x" not in nodes.userids
    assert dict(nodes.by_userid) == {"LINUX06": "linux06"}
    port = d.build(d.Inputs(d.switch_rows([], "zhcp1"), nodes, {P1: details(
        P1, **{"binding:host_id": "zvmhost1", "binding:profile": {"zvm_userid": "LINUX05"}})},
        [P1], SPECS, "zvmhost1", "zhcp1"))
    assert P1 not in port.ports and "LINUX05" in port.rejected[P1]


def test_device_details_of_an_rpc_reply_are_keyed_by_valid_port_ids_only():
    found, problems = d.details_by_port(
        [details(P1), {"device": P2.upper()}, {"device": "not-a-port"}, "junk", {}],
        "device", "get_devices_details_list")
    assert found == {P1: details(P1), P2: {"device": P2.upper()}}
    assert len(problems) == 3 and all("get_devices_details_list" in p for p in problems)
    with pytest.raises(MalformedMessage, match="get_ports_bound_to_host answered dict"):
        d.details_by_port({"ports": []}, "port_id", "get_ports_bound_to_host")


def test_verdicts_check_each_object_once_while_it_is_the_same_one():
    from quantum_zvm.agent.desired import Verdicts
    calls = []

    def check(thing):
        calls.append(thing)
        return len(thing)
    verdicts = Verdicts()
    first, second = {"a": 1}, {"a": 1, "b": 2}
    verdicts.start()
    assert verdicts.of(first, check) == 1 and verdicts.of(second, check) == 2
    verdicts.start()
    assert verdicts.of(first, check) == 1            # kept from the round before
    assert calls == [first, second]
    verdicts.start()
    verdicts.start()                                 # second was not asked: forgotten
    assert verdicts.of(second, check) == 2 and calls == [first, second, second]
    equal_but_new = {"a": 1}
    assert verdicts.of(equal_but_new, check) == 1 and calls[-1] is equal_but_new


# ----------------------------------------------------------------------- other z/VM systems

SSI_NODES = d.zvm_nodes([{"node": "zhcp1", "hcp": "zhcp1.example.com", "userid": "ZHCP"},
                         {"node": "zhcp2", "hcp": "zhcp2.example.com", "userid": "ZHCP"},
                         {"node": "zhcp3", "hcp": "zhcp3.example.com", "userid": "ZHCP"},
                         {"node": "here", "hcp": "zhcp1.example.com", "userid": "LINUX01"},
                         {"node": "member", "hcp": "zhcp2.example.com", "userid": "LINUX02"},
                         {"node": "foreign", "hcp": "zhcp3.example.com", "userid": "LINUX01"}],
                        "zhcp1")


def build_ssi(rows, det, bindings=None, peers=frozenset({"zhcp2"})):
    return d.build(d.Inputs(d.switch_rows(rows, "zhcp1", peers=peers), SSI_NODES, det, (),
                            SPECS, "zvmhost1", "zhcp1", bindings or {}, peers=peers))


def test_a_row_for_a_node_of_another_zvm_system_is_refused_and_names_no_nic():
    """zhcp3's LINUX01 is not this system's LINUX01: nothing of it is touched here."""
    want = build_ssi([srow(P1, node="foreign")], {P1: details(P1, physnet="VSW1")})
    assert not want.ports
    assert "managed by zHCP zhcp3.example.com" in want.rejected[P1]
    assert P1 not in want.rejected_nics
    no_ssi = build_ssi([srow(P1, node="member")], {P1: details(P1, physnet="VSW1")},
                       peers=frozenset())
    assert P1 in no_ssi.rejected and not no_ssi.away


def test_a_guest_on_another_ssi_member_is_away_and_its_port_accepted_ahead():
    want = build_ssi([srow(P1, node="member")], {P1: details(P1, physnet="VSW1")})
    assert want.ports[P1].userid == "LINUX02"
    assert want.away == {"LINUX02"} and not want.leaving


def test_a_row_handed_to_a_member_while_the_guest_is_here_is_leaving():
    rows = [srow(P1, node="here", comments="zhcp2"), srow(P2, node="member", comments="zhcp2"),
            srow(P3, node="here", comments="zhcp3")]
    det = {p: details(p, physnet="VSW1") for p in (P1, P2, P3)}
    want = build_ssi(rows, det)
    assert set(want.ports) == {P1} and want.leaving == {P1} and not want.away


def test_a_binding_whose_guest_moved_to_a_member_is_away():
    bindings = {P1: Binding("LINUX02", "1000", "VSW1", 100, "member")}
    want = build_ssi([], {}, bindings)
    assert want.away == {"LINUX02"} and not want.ports


def test_a_moving_port_follows_its_binding_host_only_where_it_arrives():
    """Rows first, binding host next: the leaving side serves it whatever the host; the
    arriving side waits for the host (neither refuses: a refusal would uncouple)."""
    on_two = details(P1, physnet="VSW1", **{"binding:host_id": "zvmhost2"})
    on_one = details(P2, physnet="VSW1", **{"binding:host_id": "zvmhost1"})
    leaving = build_ssi([srow(P1, node="here", comments="zhcp2")], {P1: on_two})
    assert set(leaving.ports) == {P1} and leaving.leaving == {P1} and not leaving.rejected
    arriving = build_ssi([srow(P2, node="member")], {P2: details(
        P2, physnet="VSW1", **{"binding:host_id": "zvmhost9"})})
    assert not arriving.ports and not arriving.rejected
    arrived = build_ssi([srow(P2, node="member")], {P2: {**on_one}})
    assert set(arrived.ports) == {P2} and arrived.away == {"LINUX02"}


ZVM_ROW = st.fixed_dictionaries({
    "node": st.sampled_from(["linux01", "linux02", "linux03", "zhcp1", "bad node", "n4"]),
    "userid": st.sampled_from(["LINUX01", "LINUX02", "linux03", "", "TOO_LONG_USERID", "X"]),
    "hcp": st.sampled_from([None, "zhcp1.example.com", "zhcp2.example.com"])})


@given(rows=st.lists(ZVM_ROW, max_size=6), new=ZVM_ROW)
def test_one_node_added_is_the_table_read_again_with_its_row(rows, new):
    """:func:`with_node` (one node looked up) gives what reading the whole table with
    that row added gives, for a node not known yet that is not the zHCP's own and whose
    row has a userid (the agent reads the whole table otherwise)."""
    assume(new["node"] != "zhcp1" and new["userid"])
    assume(all(row["node"] != new["node"] for row in rows))
    before = d.zvm_nodes(rows, "zhcp1")
    assert d.with_node(before, new["node"], new["userid"], new["hcp"]) == \
        d.zvm_nodes([*rows, new], "zhcp1")



# rows also as the agent rewrites them (vswitch and VLAN written) and on another NIC
ROW_POOL = [srow(port, node=node, comments=comments, interface=vdev, **written)
            for port in (P1, P2) for node in ("here", "member", "unknown")
            for comments in ("zhcp1", "zhcp2") for vdev in ("1000", "1001")
            for written in ({}, {"switch": "VSW1", "vlan": "100"})]
DETAILS = st.dictionaries(st.sampled_from([P1, P2]), st.builds(
    lambda port, seg, host, admin: details(port, physnet="VSW1", seg=seg, admin=admin,
                                           **{"binding:host_id": host}),
    st.sampled_from([P1]), st.sampled_from([100, 101]),
    st.sampled_from([None, "zvmhost2"]), st.just(True)))


NODE_VARIANTS = [d.zvm_nodes([{"node": "zhcp1", "hcp": own, "userid": "ZHCP"},
                              {"node": "zhcp2", "hcp": "zhcp2.example.com", "userid": "ZHCP2"},
                              {"node": "here", "hcp": here, "userid": "LINUX01"},
                              {"node": "member", "hcp": member, "userid": "LINUX02"},
                              {"node": "unknown", "hcp": here, "userid": unknown}],
                             "zhcp1")
                 for own in (None, "zhcp1.example.com")
                 for here in ("zhcp1.example.com", "zhcp2.example.com")
                 for member in ("zhcp2.example.com", "zhcp1.example.com")
                 for unknown in (None, "LINUX04")]


@settings(max_examples=1000)
@given(rounds=st.lists(st.tuples(st.lists(st.sampled_from(ROW_POOL), min_size=1, max_size=2),
                                 DETAILS, st.sampled_from(NODE_VARIANTS)),
                       min_size=2, max_size=6))
def test_builds_that_keep_each_rows_port_equal_builds_from_scratch(rounds):
    """The ports a build keeps for the next (``row_ports``) never make a later build
    differ from one made from scratch, whatever changed between them: rows, details,
    nodes (a guest moved between SSI members), or a row object kept while its port's
    details change."""
    row_verdicts, networks, kept = d.Verdicts(), d.Verdicts(), d.Verdicts()
    peers = frozenset({"zhcp2"})
    for rows, det, nodes in rounds:
        fresh = d.Inputs(d.switch_rows(rows, "zhcp1", row_verdicts, peers), nodes, det, (),
                         SPECS, "zvmhost1", "zhcp1", {}, peers=peers)
        kept_inputs = dataclasses.replace(fresh, networks=networks, row_ports=kept)
        assert d.build(kept_inputs) == d.build(fresh)


def test_a_kept_port_is_judged_again_when_this_zhcps_own_hcp_becomes_known():
    """The same row and details, and the node's own row unchanged, but this zHCP's row
    now names its hcp: the member's guest counts as arriving from a peer (left alone)
    instead of bound elsewhere (refused), as a build from scratch says."""
    rows = [srow(P1, node="member")]
    det = {P1: details(P1, physnet="VSW1", **{"binding:host_id": "zvmhost2"})}
    peers = frozenset({"zhcp2"})
    row_verdicts, kept = d.Verdicts(), d.Verdicts()
    results = []
    for own in (None, "zhcp1.example.com"):
        nodes = d.zvm_nodes([{"node": "zhcp1", "hcp": own, "userid": "ZHCP"},
                             {"node": "zhcp2", "hcp": "zhcp2.example.com", "userid": "ZHCP2"},
                             {"node": "member", "hcp": "zhcp2.example.com",
                              "userid": "LINUX02"}], "zhcp1")
        fresh = d.Inputs(d.switch_rows(rows, "zhcp1", row_verdicts, peers), nodes, det, (),
                         SPECS, "zvmhost1", "zhcp1", {}, peers=peers)
        results.append(d.build(dataclasses.replace(fresh, row_ports=kept)))
        assert results[-1] == d.build(fresh)
    assert "bound to host zvmhost2" in results[0].rejected[P1]
    assert P1 not in results[1].rejected and P1 not in results[1].ports


# ------------------------------------------------------------- judging what changed only
CHANGING_ROWS = [srow(port, node=node, comments=comments, interface=vdev, **extra)
                 for port in (P1, P2, P3, "not-a-port") for node in ("linux01", "evil")
                 for comments in ("zhcp1", "zhcp2") for vdev in ("1000", "1001")
                 for extra in ({}, {"switch": "VSW1", "vlan": "100"}, {"disable": "1"})]
EDITS = st.lists(st.one_of(
    st.tuples(st.just("append"), st.sampled_from(CHANGING_ROWS)),
    st.tuples(st.just("remove"), st.integers(0, 7)),
    st.tuples(st.just("replace"), st.integers(0, 7), st.sampled_from(CHANGING_ROWS))),
    max_size=3)


def edited(rows: list, edits) -> list:
    """The table after xCAT-like edits: rows appended at the end, removed, changed in place."""
    rows = list(rows)
    for edit in edits:
        if edit[0] == "append":
            rows.append(edit[1])
        elif rows and edit[0] == "remove":
            del rows[edit[1] % len(rows)]
        elif rows:
            rows[edit[1] % len(rows)] = edit[2]
    return rows


def multiset_diff(before: list, after: list) -> tuple[list, list]:
    """(rows only ``before`` has, rows only ``after`` has), counting repeats."""
    added, removed = list(after), []
    for row in before:
        if row in added:
            added.remove(row)
        else:
            removed.append(row)
    return removed, added


def by_order(rowset: d.RowSet) -> list[str]:
    return sorted(rowset.rows, key=lambda pid: rowset.order[pid])


def in_table_order(rowset: d.RowSet, rows: list) -> list[str]:
    """The ports of ``rowset`` in the order of the table's ``rows`` that count (this
    zHCP's, not disabled)."""
    counted = (row["port"] for row in rows
               if row.get("comments") == "zhcp1" and not d._disabled(row.get("disable")))
    return [pid for pid in dict.fromkeys(counted) if pid in rowset.rows]


@settings(max_examples=500)
@given(st.lists(st.sampled_from(CHANGING_ROWS), max_size=6), st.lists(EDITS, max_size=4))
def test_rows_changed_by_a_diff_are_the_rows_of_the_whole_new_dump(first, rounds):
    peers = frozenset({"zhcp2"})
    rows, rowset = first, d.switch_rows(first, "zhcp1", peers=peers)
    for edits in rounds:
        after = edited(rows, edits)
        removed, added = multiset_diff(rows, after)
        changed = d.rows_changed(rowset, removed, added, "zhcp1", peers)
        whole = d.switch_rows(after, "zhcp1", peers=peers, earlier=rowset)
        if changed is None:
            changed = whole
        assert (changed.rows, changed.rejected, changed.peer_rows, changed.order,
                changed.next_order) == (whole.rows, whole.rejected, whole.peer_rows,
                                        whole.order, whole.next_order)
        assert set(changed.order) == set(changed.rows)
        rows, rowset = after, changed


@given(st.lists(st.sampled_from(CHANGING_ROWS), max_size=6), EDITS)
def test_a_port_keeps_its_order_and_new_ports_come_after_in_table_order(first, edits):
    earlier = d.switch_rows(first, "zhcp1")
    assert by_order(earlier) == in_table_order(earlier, first)
    after = edited(first, edits)
    rowset = d.switch_rows(after, "zhcp1", earlier=earlier)
    kept = [p for p in by_order(rowset) if p in earlier.order]
    assert kept == [p for p in by_order(earlier) if p in rowset.rows]
    assert by_order(rowset)[:len(kept)] == kept
    assert by_order(rowset)[len(kept):] == [p for p in in_table_order(rowset, after)
                                            if p not in earlier.order]


def test_rows_changed_hands_a_repeated_or_refused_port_to_a_whole_walk():
    rowset = d.switch_rows([srow(P1)], "zhcp1")
    assert d.rows_changed(rowset, [], [srow(P1, interface="1001")], "zhcp1") is None
    refused = d.switch_rows([srow(P1, node="bad node")], "zhcp1")
    assert d.rows_changed(refused, [srow(P1, node="bad node")], [srow(P1)], "zhcp1") is None
    assert d.rows_changed(rowset, [], [srow("not-a-port")], "zhcp1") is None
    added = d.rows_changed(rowset, [], [srow(P2, node="linux02")], "zhcp1")
    assert added is not None and by_order(added) == [P1, P2]


BOUND_DETAILS = [api_details(P3, userid=userid, vdev=vdev)
                 for userid in ("linux02", "linux05", "nobody") for vdev in (None, "1000")]
ROUND = st.tuples(
    st.lists(st.sampled_from([srow(P1), srow(P1, interface="1001"), srow(P2),
                              srow(P2, node="linux02"), srow(P3), srow(P3, node="bad node"),
                              srow(P1, node="other")]),
             max_size=3),
    st.dictionaries(st.sampled_from([P1, P2]), st.sampled_from(
        [details(P1), details(P2, seg=101), details(P1, network_type="gre"),
         details(P2, **{"binding:host_id": "zvmhost9"})])),
    st.sampled_from([None, *BOUND_DETAILS]),
    st.dictionaries(st.sampled_from([P1, P2, P3]), st.sampled_from(
        [Binding("LINUX01", "1000", "VSW1", 100), Binding("LINUX02", "1000", "VSW1", 100,
                                                          api=True)])),
    st.sampled_from([NODES, d.with_node(NODES, "linux05", "LINUX05", "zhcp.example.com")]))


BOUND_P3 = (P3,)


@settings(max_examples=500)
@given(st.lists(ROUND, min_size=2, max_size=5))
def test_a_build_judging_the_touched_ports_only_equals_a_whole_build(rounds):
    """Each round changes rows, details, bindings and nodes at random; a build given the
    earlier one and the ports whose row or details changed, or whose binding did as
    far as a verdict reads it, equals a build of everything."""
    bound: tuple[str, ...] = ()
    earlier = None
    for rows, det, api, bindings, nodes in rounds:
        det = {**det, P3: api} if api is not None else det
        rowset = d.switch_rows(rows, "zhcp1", earlier=earlier[0].rowset if earlier else None)
        inputs = d.Inputs(rowset, nodes, det, bound, SPECS, "zvmhost1", "zhcp1", bindings)
        whole = d.build(inputs)
        if earlier is not None:
            before_inputs, before = earlier
            touched = {p for p in (P1, P2, P3) if any(
                a.get(p) != b.get(p) for a, b in (
                    (before_inputs.rowset.rows, inputs.rowset.rows),
                    (before_inputs.rowset.rejected, inputs.rowset.rejected),
                    (before_inputs.details, inputs.details))) or d.attached_through_api(
                        before_inputs.bindings.get(p)) != d.attached_through_api(
                        inputs.bindings.get(p))}
            touched |= {p for p, row in inputs.rowset.rows.items()
                        if before_inputs.nodes.userids.get(row.node) != nodes.userids.get(
                            row.node)}
            # the agent judges again the ports bound or unbound here (all notified)
            touched |= set(before_inputs.bound) ^ set(inputs.bound)
            rebuilt = d.build(inputs, d.Since(before, before_inputs, touched))
            assert rebuilt == whole
            if before_inputs.nodes is nodes:  # judged again: the touched ports alone
                assert all(rebuilt.ports[p] is before.ports[p] for p in before.ports
                           if p in rebuilt.ports and p not in touched)
        earlier = (inputs, whole)
        # a new object each round: the same ports bound is not the same list
        bound = tuple(p for p in BOUND_P3 if api is not None)


def test_a_node_added_is_seen_by_the_ports_bound_through_the_api_in_a_build_since():
    api = api_details(P3, userid="linux05")
    before = d.Inputs(d.switch_rows([], "zhcp1"), NODES, {P3: api}, BOUND_P3, SPECS,
                      "zvmhost1", "zhcp1", {})
    refused = d.build(before)
    assert P3 in refused.rejected
    after = dataclasses.replace(before, nodes=d.with_node(NODES, "linux05", "LINUX05",
                                                         "zhcp.example.com"))
    rebuilt = d.build(after, d.Since(refused, before, ()))
    assert rebuilt == d.build(after) and rebuilt.ports[P3].userid == "LINUX05"


def test_a_port_bound_here_since_but_not_touched_makes_a_whole_build():
    """A caller that did not name a port whose API binding to this host changed gets
    the build of everything, not the earlier verdict of that port."""
    api = api_details(P3, userid="linux02")
    before = d.Inputs(d.switch_rows([srow(P1)], "zhcp1"), NODES, {P1: details(P1), P3: api},
                      (), SPECS, "zvmhost1", "zhcp1", {})
    earlier = d.build(before)
    after = dataclasses.replace(before, bound=(P3,))
    for touched in ((), (P1,)):
        rebuilt = d.build(after, d.Since(earlier, before, touched))
        assert rebuilt == d.build(after) and rebuilt.ports[P3].userid == "LINUX02"
    assert d.build(after, d.Since(earlier, before, (P3,))) == d.build(after)


def test_a_build_since_judges_the_touched_ports_only():
    """The contract a caller keeps: a port whose inputs changed but that it did not
    name as touched keeps its earlier verdict (so a build since is not a whole build)."""
    rows = [srow(P1), srow(P2, node="linux02")]
    before = d.Inputs(d.switch_rows(rows, "zhcp1"), NODES, {P1: details(P1), P2: details(P2)},
                      (), SPECS, "zvmhost1", "zhcp1", {})
    earlier = d.build(before)
    after = dataclasses.replace(before, details={P1: details(P1, seg=101),
                                                 P2: details(P2, seg=101)})
    rebuilt = d.build(after, d.Since(earlier, before, {P2}))
    assert rebuilt.ports[P1] is earlier.ports[P1] and rebuilt.ports[P1].vlan == 100
    assert rebuilt.ports[P2].vlan == 101 == d.build(after).ports[P1].vlan
