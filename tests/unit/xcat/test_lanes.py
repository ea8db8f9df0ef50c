import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.xcat.fakes import LocalShellClient
from xcat.batch import BatchOutcomeUnknown, Guard
from xcat.errors import XcatConnectionError, XcatRequestError
from xcat.lanes import partition, run_lanes
from xcat.outcomes import Outcome

commands_keys = st.lists(st.sets(st.sampled_from("ABCDEFGH"), max_size=2), max_size=40)


@settings(max_examples=300, deadline=None)
@given(keys=commands_keys, count=st.integers(1, 6), data=st.data())
def test_partition_keeps_related_commands_in_one_lane_in_order(keys, count, data):
    weights = data.draw(st.lists(st.floats(0, 5), min_size=len(keys), max_size=len(keys)))
    lanes = partition(keys, weights, count)
    assert sorted(i for lane in lanes for i in lane) == list(range(len(keys)))
    assert len(lanes) <= count and all(lanes)
    assert all(lane == sorted(lane) for lane in lanes)
    lane_of = {i: n for n, lane in enumerate(lanes) for i in lane}
    for i, first in enumerate(keys):
        for j in range(i + 1, len(keys)):
            if first & keys[j]:
                assert lane_of[i] == lane_of[j]


@given(size=st.integers(0, 60), count=st.integers(1, 5))
def test_independent_commands_of_equal_weight_are_spread_evenly(size, count):
    lanes = partition([{i} for i in range(size)], [1.0] * size, count)
    assert len(lanes) == min(size, count)
    if lanes:
        assert max(map(len, lanes)) - min(map(len, lanes)) <= 1


def test_partition_balances_by_weight():
    # one heavy guest (a directory call) against three light ones
    lanes = partition([{"A"}, {"B"}, {"C"}, {"D"}], [3.0, 1.0, 1.0, 1.0], 2)
    assert sorted(lanes) == [[0], [1, 2, 3]]


def test_partition_rejects_bad_arguments():
    with pytest.raises(ValueError):
        partition([], [], 0)
    with pytest.raises(ValueError):
        partition([{"A"}], [], 1)


class ConcurrentShell(LocalShellClient):
    """A local shell that notes how many scripts run at once."""

    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()
        self.running = self.peak = 0

    def dsh(self, node, command, *, idempotent=False, check=False):
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            return super().dsh(node, command, idempotent=idempotent, check=check)
        finally:
            with self.lock:
                self.running -= 1


def test_lanes_run_side_by_side_and_outcomes_come_back_by_index():
    client = ConcurrentShell()
    commands = [["sh", "-c", f"sleep 0.3; echo {i}"] for i in range(4)]
    run = run_lanes(client, "zhcp", commands, [[0, 2], [1, 3]], batch_size=10)
    assert [o.stdout_lines for o in run.outcomes] == [["0"], ["1"], ["2"], ["3"]]
    assert [o.index for o in run.outcomes] == [0, 1, 2, 3]
    assert client.peak == 2 and len(client.scripts) == 2
    assert run.errors == [] and run.unknown == frozenset()


def test_guards_hold_within_a_lane():
    guards = [Guard(("p1",)), Guard(("p1",), skippable=True), Guard(("p2",), skippable=True)]
    run = run_lanes(LocalShellClient(), "zhcp", [["false"], ["true"], ["true"]],
                    [[0, 1], [2]], guards=guards, batch_size=10)
    assert run.outcomes[1].outcome is Outcome.SKIPPED
    assert run.outcomes[2].outcome is Outcome.OK


class FailingSecondRequest(LocalShellClient):
    """Answers the first script it sees of each lane, then fails with ``error``."""

    def __init__(self, error):
        super().__init__()
        self.error = error

    def dsh(self, node, command, *, idempotent=False, check=False):
        if "echo late" in command:
            raise self.error
        return super().dsh(node, command, idempotent=idempotent, check=check)


@pytest.mark.parametrize("error, unknown", [
    (XcatRequestError("mn", "PUT", "nodes/zhcp/dsh", 504, "Gateway Timeout"), True),
    (XcatRequestError("mn", "PUT", "nodes/zhcp/dsh", 400, "Bad Request"), False),
    (XcatConnectionError("mn", "PUT", "nodes/zhcp/dsh", "refused", request_sent=False), False),
])
def test_a_lane_that_stops_leaves_the_others_and_its_earlier_batches(error, unknown):
    commands = [["echo", "a"], ["echo", "late"], ["echo", "b"], ["echo", "c"]]
    run = run_lanes(FailingSecondRequest(error), "zhcp", commands, [[0, 1], [2, 3]],
                    batch_size=1)
    assert run.outcomes[0].stdout_lines == ["a"]
    assert run.outcomes[1] is None
    assert [o.stdout_lines for o in run.outcomes[2:]] == [["b"], ["c"]]
    assert run.unknown == (frozenset({1}) if unknown else frozenset())
    assert (run.outcome_unknown is not None) is unknown
    assert (run.failure is not None) is (not unknown)
    if unknown:
        assert isinstance(run.outcome_unknown, BatchOutcomeUnknown)


def test_an_invalid_command_in_any_lane_sends_nothing():
    client = LocalShellClient()
    with pytest.raises(ValueError):
        run_lanes(client, "zhcp", [["true"], ["echo", "a\nrm -rf /"]], [[0], [1]],
                  batch_size=10)
    assert client.scripts == []
