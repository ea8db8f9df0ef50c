"""The agent's executor against a real xcat-zvm-simulator process."""
from __future__ import annotations

import uuid

import pytest

from quantum_zvm.agent import startup
from quantum_zvm.agent.executor import Executor, vlan_chunks
from quantum_zvm.agent.model import (
    STATUS_ACTIVE,
    STATUS_ERROR,
    TRUNK,
    AddRows,
    DeleteRows,
    DesiredPort,
    DesiredState,
    Observed,
    Plan,
    SwitchRow,
    VswitchSpec,
    WriteSwitchRow,
)
from quantum_zvm.agent.planner import Result, apply, plan
from xcat.client import XcatClient

P1 = str(uuid.UUID(int=1))
SPECS = {"VSW1": VswitchSpec("VSW1", ((100, 199),)), "VSW2": VswitchSpec("VSW2")}


@pytest.fixture
def zvm(simulator):
    sim = simulator
    sim.control.add_vswitch("VSW1", transport="ETHERNET", vlan_aware=True, default_vid=1)
    sim.control.add_vswitch("VSW2", transport="ETHERNET")
    sim.control.add_guest("LINUX07", "linux07", logged_on=True, nicdefs=[{"vdev": "1000"}])
    sim.control.add_guest("LINUX08", "linux08", logged_on=False, nicdefs=[{"vdev": "1000"}])
    client = XcatClient(sim.url, sim.username, sim.password)
    yield sim, Executor(client, "zhcp1", "ZHCP", "xcat")
    client.close()


def model(sim):
    return sim.control.state()["model"]


def table(sim, name):
    return sim.control.state()["tables"][name]["rows"]


def observe_all(executor, guests=()):
    vswitches, read, problems = executor.observe(SPECS, guests)
    assert not problems
    return Observed(vswitches, {g.userid: g for g in read})


def test_observe_reads_vswitches_and_directories_in_one_request(zvm):
    sim, executor = zvm
    sim.control.reset_counters()
    vswitches, guests, problems = executor.observe(["VSW1", "VSW2"], ["LINUX07", "LINUX08"])
    assert set(vswitches) == {"VSW1", "VSW2"}
    assert vswitches["VSW1"].vlan_aware and not vswitches["VSW2"].vlan_aware
    assert {g.userid: sorted(g.directory) for g in guests} == {"LINUX07": ["1000"],
                                                              "LINUX08": ["1000"]}
    assert all(g.directory_complete for g in guests) and not problems
    assert executor.client.counters.requests == 1


def test_a_guest_without_a_directory_entry_is_known_empty(zvm):
    sim, executor = zvm
    _, guests, problems = executor.observe([], ["NOSUCH1"])
    assert [(g.userid, dict(g.directory), g.directory_complete) for g in guests] == [
        ("NOSUCH1", {}, True)]
    assert "rc 400" in problems["NOSUCH1"] or "rc=400" in problems["NOSUCH1"]


def test_a_vlan_port_is_granted_coupled_and_its_row_written(zvm):
    sim, executor = zvm
    port = DesiredPort(P1, "LINUX07", "1000", "VSW1", 150, "net1", node="linux07")
    want = DesiredState({P1: port}, {}, SPECS)
    state = observe_all(executor, ["LINUX07"])
    state = state.replace(rows={P1: SwitchRow("linux07", "1000", None, None)})
    step = plan(want, state)
    run = executor.execute(step)
    assert not run.errors and run.smcli_calls == 3
    assert [r.outcome.status for r in run.reports] == [STATUS_ACTIVE]
    m = model(sim)
    assert m["vswitches"]["VSW1"]["grants"]["LINUX07"]["vlans"] == ["150"]
    assert m["system_config"]["grants"]["VSW1"]["LINUX07"]["vlans"] == ["150"]  # persistent
    assert m["guests"]["LINUX07"]["nicdefs"]["1000"]["lan_name"] == "VSW1"
    assert m["guests"]["LINUX07"]["active_nics"]["1000"]["coupled_to"] == "VSW1"
    rows = {r["port"]: r for r in table(sim, "switch")}
    assert rows[P1]["switch"] == "VSW1" and rows[P1]["vlan"] == "150"
    # what the executor learnt equals a fresh read: nothing left to do
    after = apply(state, step, run.results)
    fresh = observe_all(executor, ["LINUX07"]).replace(rows=after.rows, bindings=after.bindings,
                                                       reported=after.reported)
    assert plan(want, fresh).empty


def test_logged_off_guest_live_couple_is_expected_not_an_error(zvm):
    sim, executor = zvm
    port = DesiredPort(P1, "LINUX08", "1000", "VSW2", None, "net2", node="linux08")
    step = plan(DesiredState({P1: port}, {}, SPECS), observe_all(executor, ["LINUX08"]))
    run = executor.execute(step)
    assert not run.errors
    assert Result.LOGGED_OFF in run.results.values()
    assert run.reports[0].outcome.status == STATUS_ACTIVE


def test_smapi_failure_marks_the_port_error_with_rc_and_rs(zvm):
    sim, executor = zvm
    # DirMaint refuses the directory couple (a NIC the directory lacks is refused by
    # the planner before any command, so the failure is injected)
    sim.control.fault("smapi", function="Virtual_Network_Adapter_Connect_Vswitch_DM",
                      userid="LINUX07", rc=404, rs=8, count=1)
    port = DesiredPort(P1, "LINUX07", "1000", "VSW1", 150, "net1", node="linux07")
    step = plan(DesiredState({P1: port}, {}, SPECS), observe_all(executor, ["LINUX07"]))
    run = executor.execute(step)
    (report,) = run.reports
    assert report.outcome.status == STATUS_ERROR
    assert "rc 404 rs 8" in report.outcome.error
    assert "Connect_Vswitch_DM" in report.outcome.error


def test_injected_smapi_fault_is_reported(zvm):
    sim, executor = zvm
    sim.control.fault("smapi", function="Virtual_Network_Vswitch_Set_Extended",
                      userid="LINUX07", rc=396, rs=2838, count=1)
    port = DesiredPort(P1, "LINUX07", "1000", "VSW1", 150, "net1", node="linux07")
    run = executor.execute(plan(DesiredState({P1: port}, {}, SPECS),
                                observe_all(executor, ["LINUX07"])))
    assert "rc 396 rs 2838" in run.reports[0].outcome.error


def test_a_row_value_no_tabch_line_may_carry_fails_its_port_only(zvm):
    sim, executor = zvm
    p2 = str(uuid.UUID(int=2))
    bad = AddRows("linux07", P1, "1000", "fa:16:3e:00:00:01 x", "VSW1", "150", ports=(P1,))
    good = WriteSwitchRow(p2, "VSW1", "150", ports=(p2,))
    run = executor.execute(Plan(ops=(bad, good)))
    assert run.results[bad] == Result.FAILED and "xCAT rows of port" in run.errors[P1]
    assert run.results[good] == Result.OK and p2 not in run.errors
    assert run.rows_written == 1
    assert {r["port"]: r["vlan"] for r in table(sim, "switch")}.get(p2) == "150"


def test_a_large_trunk_goes_in_several_additive_grants(zvm):
    sim, executor = zvm
    vlans = [100, 102, 104, 106, 108, 110, 111, 112]
    want = DesiredState({}, {}, SPECS, "DHCPAGT", {"VSW1": frozenset(vlans)})
    run = executor.execute(plan(want, observe_all(executor)))
    assert not run.errors and run.smcli_calls == len(vlan_chunks(vlans)) > 1
    grant = model(sim)["vswitches"]["VSW1"]["grants"]["DHCPAGT"]
    assert grant["porttype"] == TRUNK
    shown = set()
    for item in grant["vlans"]:
        low, _, high = item.partition("-")
        shown |= set(range(int(low), int(high or low) + 1))
    assert shown == set(vlans)


def test_vlan_chunks_respect_the_smapi_limits():
    assert vlan_chunks([1, 2, 3]) == [[(1, 3)]]
    assert vlan_chunks([1, 3, 5, 7, 9]) == [[(1, 1), (3, 3), (5, 5), (7, 7)], [(9, 9)]]
    assert vlan_chunks([1, 2, 5, 6, 9]) == [[(1, 2), (5, 6)], [(9, 9)]]


def test_a_guests_nics_share_its_mac_row_and_removing_one_keeps_the_others(zvm):
    """The xCAT mac table is keyed by node (Schema.pm): a second NIC's MAC joins the
    node's row in the list syntax instead of failing as a second row."""
    sim, executor = zvm
    p2, p3 = str(uuid.UUID(int=2)), str(uuid.UUID(int=3))
    adds = [AddRows("linux07", port, vdev, mac, "VSW1", "150", ports=(port,))
            for port, vdev, mac in ((P1, "1000", "fa:16:3e:00:00:01"),
                                    (p2, "1003", "FA:16:3E:00:00:02"))]
    run = executor.execute(Plan(ops=tuple(adds)))
    assert run.errors == {} and all(run.results[op] == Result.OK for op in adds)
    third = AddRows("linux07", p3, "1006", "fa:16:3e:00:00:03", "VSW1", "150", ports=(p3,))
    assert executor.execute(Plan(ops=(third,))).errors == {}
    (row,) = table(sim, "mac")
    assert (row["node"], row["interface"], row["comments"]) == ("linux07", "1000", "zhcp1")
    assert row["mac"] == ("fa:16:3e:00:00:01|fa:16:3e:00:00:02!linux07-1003|"
                          "fa:16:3e:00:00:03!linux07-1006")
    gone = DeleteRows("linux07", P1, "1000", ports=(P1,))
    assert executor.execute(Plan(ops=(gone,))).errors == {}
    (row,) = table(sim, "mac")
    assert (row["interface"], row["mac"]) == (
        "1003", "fa:16:3e:00:00:02|fa:16:3e:00:00:03!linux07-1006")
    assert sorted(r["port"] for r in table(sim, "switch")) == [p2, p3]
    rest = [DeleteRows("linux07", port, vdev, ports=(port,))
            for port, vdev in ((p2, "1003"), (p3, "1006"))]
    assert executor.execute(Plan(ops=tuple(rest))).errors == {}
    assert table(sim, "mac") == [] and table(sim, "switch") == []


def test_the_management_nic_is_brought_online_before_its_address_is_set(zvm):
    """A NIC CP defines for the running xCAT MN is offline in Linux until qeth brings
    it online (znetconf -a): only then does enccw0.0.0800 exist to take the address."""
    sim, executor = zvm
    done = startup.ensure_management_nic(executor, "xcat", "XCAT", "VSW2", "10.9.0.1",
                                         "255.255.0.0")
    assert "znetconf -a 0800" in done and "10.9.0.1/16" in done
    nic = model(sim)["guests"]["XCAT"]["active_nics"]["0800"]
    assert (nic["online"], nic["link_up"], nic["coupled_to"]) == (True, True, "VSW2")
    assert [a["local"] for a in nic["addresses"]] == ["10.9.0.1/16"]
    assert startup.ensure_management_nic(executor, "xcat", "XCAT", "VSW2", "10.9.0.1",
                                         "255.255.0.0") == "unchanged"
    # defined and coupled but left offline (an agent stopped half way): brought online
    sim.control.fire("xcat_restart")
    out = sim.dsh("xcat", "vmcp define nic 0800 type qdio; vmcp couple 0800 system VSW2")
    assert out["data"][-1] == {"errorcode": ["0"]}, out
    done = startup.ensure_management_nic(executor, "xcat", "XCAT", "VSW2", "10.9.0.1",
                                         "255.255.0.0")
    assert done == "znetconf -a 0800; enccw0.0.0800 10.9.0.1/16"
