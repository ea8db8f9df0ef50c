"""Batches are bounded by the exec argument limit and by their expected duration, and a
batch whose request may have run is reported as unknown, never re-run (issue 12, 1 and 5)."""
from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xcat import batch, smcli
from xcat.batch import BatchOutcomeUnknown, Guard
from xcat.envelope import command_result, parse_envelope
from xcat.errors import XcatAuthError, XcatRequestError, XcatTimeoutError
from xcat.simulator.core import MAX_ARG_STRLEN, exec_accepts, xdsh_argument

_MARKER = re.compile(r'echo "(QZVM[0-9a-f]+:\d+):\$[s?]"')


class MarkerClient:
    """Answers every dsh as if each command succeeded silently; records the scripts."""

    def __init__(self, fail_at: int | None = None, error: Exception | None = None):
        self.scripts: list[str] = []
        self.fail_at = fail_at
        self.error = error

    def dsh(self, node, command, *, idempotent=False, check=False):
        self.scripts.append(command)
        if self.fail_at is not None and len(self.scripts) == self.fail_at:
            raise self.error
        lines = [f"{node}: {marker}:0" for marker in _MARKER.findall(command)]
        body = {"data": [{"data": ["\n".join(lines)]}, {"errorcode": ["0"]}]}
        return command_result(node, command, parse_envelope(200, json.dumps(body)))


userids = st.from_regex(r"[A-Z][A-Z0-9]{0,7}", fullmatch=True)
commands = st.lists(st.tuples(userids, st.integers(1, 4094)), min_size=1, max_size=3000)


@settings(max_examples=25, deadline=None)
@given(commands=commands, batch_size=st.integers(1, 5000),
       keys=st.lists(st.text("0123456789abcdef-", min_size=36, max_size=36), min_size=1,
                     max_size=50), guarded=st.booleans())
def test_every_batch_the_executor_builds_is_under_the_argument_limit(commands, batch_size,
                                                                      keys, guarded):
    vectors = [smcli.vswitch_grant("VSWITCH1", userid, vlans=vlan, persist=True)
               for userid, vlan in commands]
    guards = [Guard((keys[i % len(keys)], keys[(i * 7) % len(keys)]), i % 3 == 0)
              for i in range(len(vectors))] if guarded else None
    client = MarkerClient()
    outcomes = batch.run_batch(client, "zhcp1", vectors, batch_size=batch_size, guards=guards)
    assert [o.ok for o in outcomes] == [True] * len(vectors)
    assert all(exec_accepts(xdsh_argument("zhcp1", s)) for s in client.scripts)
    assert all(len(_MARKER.findall(s)) <= batch_size for s in client.scripts)
    assert len(client.scripts) <= 1 + sum(len(s.encode()) for s in client.scripts) \
        // (batch.MAX_SCRIPT_BYTES // 2) + len(vectors) // batch_size


def test_a_thousand_guarded_grants_go_in_several_requests_under_the_limit():
    vectors = [smcli.vswitch_grant("VSW1", f"LNX{i:05d}", vlans=100 + i % 50, persist=True)
               for i in range(1000)]
    guards = [Guard((f"{i:08d}-aaaa-bbbb-cccc-dddddddddddd",), True) for i in range(1000)]
    one_script = batch.build_script([smcli.render(v) for v in vectors],
                                    batch.make_token(), guards)
    assert len(xdsh_argument("zhcp1", one_script).encode()) > MAX_ARG_STRLEN  # the old way
    client = MarkerClient()
    outcomes = batch.run_batch(client, "zhcp1", vectors, batch_size=1000, guards=guards)
    assert len(outcomes) == 1000 and all(o.ok for o in outcomes)
    assert len(client.scripts) >= 2
    assert all(exec_accepts(xdsh_argument("zhcp1", s)) for s in client.scripts)


def test_batches_are_bounded_by_their_expected_duration():
    vectors = [smcli.vswitch_grant("VSW1", f"LNX{i:04d}", persist=True) for i in range(25)]
    client = MarkerClient()
    batch.run_batch(client, "zhcp1", vectors, batch_size=1000,
                    expected_seconds=lambda argv: 1.0, max_seconds=10.0)
    assert [len(_MARKER.findall(s)) for s in client.scripts] == [10, 10, 5]
    slow = MarkerClient()   # a command longer than the budget still goes, alone
    batch.run_batch(slow, "zhcp1", vectors[:2], expected_seconds=lambda argv: 50.0,
                    max_seconds=10.0)
    assert [len(_MARKER.findall(s)) for s in slow.scripts] == [1, 1]


@pytest.mark.parametrize("error", [
    XcatRequestError("mn", "PUT", "nodes/zhcp1/dsh", 504, "Gateway Timeout"),
    XcatTimeoutError("mn", "PUT", "nodes/zhcp1/dsh", "read timeout", request_sent=True),
])
def test_a_batch_that_may_have_run_is_unknown_not_rerun(error):
    vectors = [smcli.vswitch_grant("VSW1", f"LNX{i:04d}", persist=True) for i in range(25)]
    client = MarkerClient(fail_at=2, error=error)
    with pytest.raises(BatchOutcomeUnknown) as caught:
        batch.run_batch(client, "zhcp1", vectors, expected_seconds=lambda argv: 1.0,
                        max_seconds=10.0)
    unknown = caught.value
    assert len(client.scripts) == 2                     # nothing sent after it, nothing again
    assert [o.ok for o in unknown.outcomes] == [True] * 10
    assert unknown.unknown == range(10, 20) and unknown.seconds == 10.0
    assert unknown.cause is error


@pytest.mark.parametrize("error, idempotent", [
    (XcatAuthError("mn", "PUT", "nodes/zhcp1/dsh", 401, "Authentication failure", "root"), False),
    (XcatRequestError("mn", "PUT", "nodes/zhcp1/dsh", 403, "Invalid nodes"), False),
    (XcatTimeoutError("mn", "PUT", "nodes/zhcp1/dsh", "connect", request_sent=False), False),
    (XcatRequestError("mn", "PUT", "nodes/zhcp1/dsh", 504, "Gateway Timeout"), True),
])
def test_failures_that_ran_nothing_or_reads_keep_their_error(error, idempotent):
    client = MarkerClient(fail_at=1, error=error)
    with pytest.raises(type(error)) as caught:
        batch.run_batch(client, "zhcp1", [smcli.vswitch_grant("VSW1", "LNX0001")],
                        idempotent=idempotent)
    assert not isinstance(caught.value, BatchOutcomeUnknown)
