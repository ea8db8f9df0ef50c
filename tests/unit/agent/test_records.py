"""The agent's records across restarts (state file) and what a retry wait holds back."""
from __future__ import annotations

import dataclasses
import json
import os
import stat

from quantum_zvm.agent import records
from quantum_zvm.agent.daemon import Agent
from quantum_zvm.agent.model import (
    Binding,
    CoupleLive,
    GrantOp,
    Observed,
    Plan,
    Revoke,
    UncoupleDirectory,
    UncoupleLive,
)
from tests.fixtures.plugin import make_conf

BINDING = Binding("LINUX05", "1000", "VSW1", 102, "linux05", True)
PORTED = Binding("LINUX06", "1003", "VSWP", 103, "linux06", False, 7)


def test_records_round_trip(tmp_path):
    path = tmp_path / "agent-state.json"
    observed = Observed(bindings={"p1": BINDING, "p1@LINUX05.0700": BINDING},
                        granted=frozenset({("VSW1", "LINUX05"), ("VSW1", "LINUX09")}),
                        live_ports={("LINUX06", "1003"): 7})
    records.save(path, "zhcp1", observed)
    loaded = records.load(path)
    assert (loaded.bindings, loaded.granted, loaded.live_ports) == (
        observed.bindings, observed.granted, observed.live_ports)
    assert json.loads(path.read_text())["granted"] == [["VSW1", "LINUX05"], ["VSW1", "LINUX09"]]


def held(observed):
    return observed.bindings, observed.granted, observed.live_ports


def test_changes_go_to_the_journal_and_load_replays_them(tmp_path):
    path = tmp_path / "agent-state.json"
    store = records.Store(path, "zhcp1")
    first = Observed(bindings={"p1": BINDING}, granted=frozenset({("VSW1", "LINUX05")}))
    store.record(Observed(), first, first)  # no snapshot yet: one is written
    assert path.exists() and not records.journal_path(path).exists()
    second = Observed(bindings={"p2": PORTED}, granted=frozenset({("VSWP", "LINUX06")}),
                      live_ports={("LINUX06", "1003"): 7})
    store.record(first, second, second)
    journal = records.journal_path(path).read_text().splitlines()
    assert len(journal) == 5 and store.journal_lines == 5
    assert json.loads(path.read_text())["bindings"] == {"p1": BINDING.__dict__}  # untouched
    assert held(records.load(path)) == held(second)
    store.record(second, second, second)  # nothing changed: nothing written
    assert store.journal_lines == 5


def test_a_journal_as_large_as_a_snapshot_becomes_one(tmp_path, monkeypatch):
    monkeypatch.setattr(records, "MIN_JOURNAL_LINES", 2)
    path = tmp_path / "agent-state.json"
    store = records.Store(path, "zhcp1")
    states = [Observed(bindings={f"p{i}": BINDING}) for i in range(4)]
    store.record(Observed(), states[0], states[0])
    store.record(states[0], states[1], states[1])  # 2 lines
    assert store.journal_lines == 2
    store.record(states[1], states[2], states[2])  # 4 > 2: a new snapshot
    assert store.journal_lines == 0 and not records.journal_path(path).exists()
    assert held(records.load(path)) == held(states[2])


def test_a_torn_last_line_is_skipped_and_a_replayed_journal_changes_nothing(tmp_path, caplog):
    path = tmp_path / "agent-state.json"
    store = records.Store(path, "zhcp1")
    first = Observed(bindings={"p1": BINDING})
    second = Observed(bindings={"p1": BINDING, "p2": PORTED})
    store.record(Observed(), first, first)
    store.record(first, second, second)
    journal = records.journal_path(path)
    lines = journal.read_text()
    journal.write_text(lines + '{"binding": "p3", "val')          # a crash mid-append
    assert held(records.load(path)) == held(second)
    assert "line 2 skipped" in caplog.text
    # a crash after a new snapshot was renamed into place, before the journal went
    records.save(path, "zhcp1", second)
    journal.write_text(lines)
    assert held(records.load(path)) == held(second)
    restarted = records.Store(path, "zhcp1")
    assert held(restarted.load()) == held(second) and restarted.journal_lines == 1


def test_a_record_without_a_ledger_counts_its_bindings_grants_and_ports(tmp_path):
    path = tmp_path / "agent-state.json"
    path.write_text(json.dumps({"zhcp_node": "zhcp1", "bindings": {
        "p1": BINDING.__dict__, "p2": PORTED.__dict__}}))
    loaded = records.load(path)
    assert loaded.granted == {("VSW1", "LINUX05")}
    assert dict(loaded.live_ports) == {("LINUX06", "1003"): 7}


def test_an_unreadable_record_starts_empty(tmp_path, caplog):
    path = tmp_path / "agent-state.json"
    path.write_text('{"bindings": {"p1": {"userid": 1}}}')
    assert records.load(path) == Observed()
    assert "unreadable" in caplog.text


def test_a_retry_wait_holds_back_a_ports_attach_but_never_its_undo():
    conf = make_conf(["VSW1:100:199"])
    for name, value in (("xcat_zhcp_nodename", "zhcp1"), ("host", "zvmhost1")):
        conf.set_override(name, value, group="AGENT")
    agent = Agent(conf, None, None, None)
    agent.retry_at = {"p1": 100.0, "p2": 100.0}
    undo = (UncoupleLive("LINUX05", "1000", ports=("p1",)),
            UncoupleDirectory("LINUX05", "1000", ports=("p1",)),
            Revoke("VSW1", "LINUX05", ports=("p1",)))
    attach = (GrantOp("VSW1", "LINUX06", "ACCESS", (103,), ports=("p2",)),
              CoupleLive("LINUX06", "1000", "VSW1", ports=("p2",)))
    held = agent._hold_back(Plan(ops=undo + attach), now=50.0)
    assert held.ops == undo
    assert agent._hold_back(Plan(ops=undo + attach), now=150.0).ops == undo + attach


def test_a_binding_is_written_with_every_field_as_asdict_gives_it():
    binding = Binding("LINUX01", "1000", "VSW1", 100, "linux01", True, 7)
    line = records.changes(Observed(), Observed(bindings={"p1": binding}))[0]
    assert line == {"binding": "p1", "value": dataclasses.asdict(binding)}


def test_a_new_snapshot_or_journal_is_in_its_directory_once_written(tmp_path, monkeypatch):
    """A crash loses nothing the store said it recorded: a snapshot is synced, renamed,
    and its directory synced (the rename is in the directory, not the file); a journal
    created is synced with its directory; a line appended to a journal syncs the file's
    data only."""
    synced: list[str] = []
    real_fsync, real_fdatasync = records.os.fsync, records.os.fdatasync

    def kind(fd: int) -> str:
        return "directory" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
    # records.os is the os module: these patch the whole process's syncs, for this test
    monkeypatch.setattr(records.os, "fsync", lambda fd: (synced.append(kind(fd)),
                                                         real_fsync(fd))[1])
    monkeypatch.setattr(records.os, "fdatasync", lambda fd: (synced.append(kind(fd) + " data"),
                                                             real_fdatasync(fd))[1])
    path = tmp_path / "agent-state.json"
    store = records.Store(path, "zhcp1")
    first = Observed(bindings={"p1": BINDING})
    store.record(Observed(), first, first)          # the snapshot
    assert synced == ["file", "directory"]
    second = Observed(bindings={"p1": BINDING, "p2": PORTED})
    store.record(first, second, second)             # the journal, created
    assert synced[2:] == ["file data", "directory"]
    store.record(second, first, first)              # a line appended
    assert synced[4:] == ["file data"]
    assert held(records.load(path)) == held(first)


def test_a_crash_before_a_replaced_journal_is_removed_loses_nothing(tmp_path, monkeypatch):
    """A snapshot written when the journal grew too large holds the cycle's changes;
    a crash before the journal's removal leaves the journal to be replayed over it,
    which must give the snapshot's state, not the journal's older values."""
    monkeypatch.setattr(records, "MIN_JOURNAL_LINES", 2)
    path = tmp_path / "agent-state.json"
    store = records.Store(path, "zhcp1")
    first = Observed(bindings={"p1": BINDING})
    second = Observed(bindings={"p1": BINDING, "p2": PORTED})
    third = Observed(bindings={"p1": BINDING, "p3": PORTED})   # p2 gone, p3 new
    store.record(Observed(), first, first)        # the snapshot
    store.record(first, second, second)           # 1 journal line: p2
    # records.Path is pathlib's: no file is removed in this process from here on
    monkeypatch.setattr(records.Path, "unlink", lambda self, missing_ok=False: None)
    store.record(second, third, third)            # 3 lines > 2: a new snapshot, then...
    assert records.journal_path(path).exists()    # ...a crash before the journal went
    assert held(records.load(path)) == held(third)
