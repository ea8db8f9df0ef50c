"""``NicTool.detach`` over fake xCAT tables, dsh batches and Quantum API: what it removes,
which ports it releases, and which failures it reports."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from quantum_zvm import nic
from quantum_zvm.nic import NicError, NicTool, nics_to_remove, ports_of, row_is_nic
from quantum_zvm.quantum_client import QuantumApiError
from xcat import smcli, tables
from xcat.outcomes import Outcome

ZHCP = "zhcp1"


def switch_row(port, interface, node="linux01", comments=ZHCP):
    return tables.SwitchRow(node=node, switch="VSW1", port=port, interface=interface,
                            comments=comments)


def test_row_is_nic_by_port_or_by_vdev():
    row = switch_row("p1", "1000")
    assert row_is_nic(row, "p1", None) and row_is_nic(row, None, "1000")
    assert not row_is_nic(row, "p2", None) and not row_is_nic(row, None, "1003")


def test_nics_to_remove_adds_the_named_vdev_and_ports_of_skips_empty_ports():
    rows = [switch_row("p2", "1003"), switch_row(None, "1000"), switch_row("p1", None)]
    assert nics_to_remove(rows, None) == ["1000", "1003"]
    assert nics_to_remove(rows, "2000") == ["1000", "1003", "2000"]
    assert nics_to_remove([], "1000") == ["1000"]
    assert ports_of(rows + [switch_row("p1", "1006")]) == ["p1", "p2"]


class FakeQuantum:
    def __init__(self, fail_status=None):
        self.calls = []
        self.fail_status = fail_status

    def _maybe_fail(self):
        if self.fail_status is not None:
            raise QuantumApiError(self.fail_status, "boom")

    def delete_port(self, port_id):
        self.calls.append(("delete", port_id))
        self._maybe_fail()

    def update_port(self, port_id, attrs):
        self.calls.append(("update", port_id, attrs))
        self._maybe_fail()
        return {}


def outcome(ok=True, kind=Outcome.OK):
    return SimpleNamespace(ok=ok, outcome=kind, describe=lambda: "rc 8 rs 4")


@pytest.fixture
def fake_xcat(monkeypatch):
    """The zvm and switch tables of one guest, and a log of removed rows and dsh commands."""
    state = SimpleNamespace(
        switch=[switch_row("p1", "1000"), switch_row("p2", "1003"),
                switch_row("p9", "1000", node="linux02"),
                switch_row("p8", "1006", comments="zhcp2")],
        removed=[], commands=[], outcomes=None)

    def dump(client, row_type):
        if row_type is tables.ZvmRow:
            return [tables.ZvmRow(node="linux01", userid="LINUX01")]
        return state.switch

    def run_batch(client, node, commands, **kwargs):
        state.commands.extend(commands)
        return state.outcomes or [outcome() for _ in commands]

    monkeypatch.setattr(nic.tables, "dump", dump)
    monkeypatch.setattr(nic.tables, "remove_nic_rows",
                        lambda client, node, vdev: state.removed.append((node, vdev)))
    monkeypatch.setattr(nic.batch, "run_batch", run_batch)
    return state


def tool(quantum):
    return NicTool(object(), quantum, ZHCP, "zvmhost1")


def test_detach_by_port_removes_rows_and_nic_and_unbinds_the_port(fake_xcat):
    quantum = FakeQuantum()
    result = tool(quantum).detach("linux01", port_id="p1")
    assert result == {"userid": "LINUX01", "detached": ["1000"], "ports": ["p1"],
                      "deleted_ports": []}
    assert fake_xcat.removed == [("linux01", "1000")]
    assert fake_xcat.commands == [smcli.adapter_delete("LINUX01", "1000"),
                                  smcli.adapter_delete_dm("LINUX01", "1000")]
    assert quantum.calls == [("update", "p1", {"device_id": "", "device_owner": "",
                                               "binding:host_id": ""})]


def test_detach_by_vdev_deletes_the_port_when_asked(fake_xcat):
    quantum = FakeQuantum()
    result = tool(quantum).detach("LINUX01", vdev="1003", delete_port=True)
    assert result == {"userid": "LINUX01", "detached": ["1003"], "ports": ["p2"],
                      "deleted_ports": ["p2"]}
    assert quantum.calls == [("delete", "p2")]


def test_detach_of_a_vdev_without_rows_still_removes_the_nic(fake_xcat):
    quantum = FakeQuantum()
    result = tool(quantum).detach("LINUX01", vdev="2000")
    assert result == {"userid": "LINUX01", "detached": ["2000"], "ports": [],
                      "deleted_ports": []}
    assert fake_xcat.removed == [("linux01", "2000")] and len(fake_xcat.commands) == 2
    assert quantum.calls == []


def test_detach_of_an_unknown_port_is_a_no_op(fake_xcat):
    quantum = FakeQuantum()
    assert tool(quantum).detach("LINUX01", port_id="p8") == {
        "userid": "LINUX01", "detached": [], "port_id": "p8"}
    assert fake_xcat.removed == [] and fake_xcat.commands == [] and quantum.calls == []


def test_detach_needs_exactly_one_of_port_and_vdev(fake_xcat):
    with pytest.raises(NicError, match="give exactly one of --port and --vdev"):
        tool(FakeQuantum()).detach("LINUX01", port_id="p1", vdev="1000")
    with pytest.raises(NicError, match="give exactly one of --port and --vdev"):
        tool(FakeQuantum()).detach("LINUX01")


def test_detach_of_an_inactive_guest_is_fine_but_a_failed_delete_is_an_error(fake_xcat):
    fake_xcat.outcomes = [outcome(False, Outcome.INACTIVE), outcome()]
    assert tool(FakeQuantum()).detach("LINUX01", port_id="p1")["detached"] == ["1000"]
    fake_xcat.outcomes = [outcome(), outcome(False, Outcome.FAILED)]
    quantum = FakeQuantum()
    with pytest.raises(NicError, match="removing NIC of LINUX01 failed: rc 8 rs 4"):
        tool(quantum).detach("LINUX01", port_id="p1")
    assert quantum.calls == []


def test_detach_tolerates_a_gone_port_but_reports_other_port_errors(fake_xcat):
    assert tool(FakeQuantum(404)).detach("LINUX01", port_id="p1")["ports"] == ["p1"]
    with pytest.raises(NicError, match="NIC removed, but updating port p1 failed: boom"):
        tool(FakeQuantum(500)).detach("LINUX01", port_id="p1")
