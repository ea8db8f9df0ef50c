"""What a heartbeat (``report_state``) carries: bounded so the server always stores it.

The server refuses a report whose ``configurations``, measured as
``json.dumps(configurations, sort_keys=True)``, is longer than
:data:`~quantum_zvm.common.constants.AGENT_CONFIGURATIONS_MAX` characters, and
a refused heartbeat makes the agent look dead.  Problems can be many (one per
failing port) and their reasons quote untrusted values (xCAT rows, REST
fields), so a report carries their number (``error_count``) and only the
first :data:`MAX_REASONS` reasons (``errors``), each made printable ASCII and
cut to :data:`REASON_CHARS` characters, as many as fit in what is left.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from quantum_zvm.common import constants

MAX_REASONS = 5
REASON_CHARS = 300
CUT_MARK = "..."

_UNPRINTABLE = re.compile(r"[^ -~]")


def printable(text: str, limit: int = REASON_CHARS) -> str:
    """``text`` with every character outside printable ASCII escaped as Python writes
    it (``\\n``, ``\\x00``, ``\\u202e``), cut to ``limit`` characters (ending in ``...``)."""
    escaped = _UNPRINTABLE.sub(lambda match: ascii(match.group())[1:-1], text)
    return escaped if len(escaped) <= limit else escaped[:limit - len(CUT_MARK)] + CUT_MARK


def _json_size(value: Any) -> int:
    """Characters of ``value`` in JSON, measured as the server measures configurations."""
    return len(json.dumps(value, sort_keys=True))


def configurations(base: Mapping[str, Any], reasons: Sequence[str],
                   limit: int = constants.AGENT_CONFIGURATIONS_MAX) -> dict[str, Any]:
    """``base`` plus ``error_count`` (every reason) and ``errors``: the first reasons,
    printable and cut, as many as keep the whole within ``limit`` characters of JSON."""
    report: dict[str, Any] = {**base, "error_count": len(reasons), "errors": []}
    room = limit - _json_size(report)
    for reason in reasons[:MAX_REASONS]:
        text = printable(reason)
        cost = _json_size(text) + (len(", ") if report["errors"] else 0)
        if cost > room:
            break
        report["errors"].append(text)
        room -= cost
    return report
