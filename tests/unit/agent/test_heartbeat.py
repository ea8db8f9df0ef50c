"""What a heartbeat carries: bounded to what the server stores, whatever the reasons say."""
from __future__ import annotations

import json

from quantum_zvm.agent import heartbeat
from quantum_zvm.common import constants

BASE = {"vswitch_mappings": {"VSW1": ["100:199"], "FLATSW": []}, "zhcp_node": "zhcp1",
        "devices": 3, "last_cycle_seconds": 0.25}
HOSTILE = ["$(reboot)\u202e\"\\" + "\u00e9" * 3000, "a\nb\x00c\ud800", "'\"" * 4000,
           "\U0001f600" * 1000, "x" * 10_000]


def stored_size(configurations):
    return len(json.dumps(configurations, sort_keys=True))


def test_printable_escapes_everything_outside_printable_ascii_and_cuts():
    assert heartbeat.printable("LINUX01 vdev 1000") == "LINUX01 vdev 1000"
    assert heartbeat.printable("a\nb\x00\u202e\ud800") == "a\\nb\\x00\\u202e\\ud800"
    cut = heartbeat.printable("\u00e9" * 100, limit=20)
    assert cut == "\\xe9" * 4 + "\\" + "..." and len(cut) == 20
    for text in HOSTILE:
        shown = heartbeat.printable(text)
        assert len(shown) <= heartbeat.REASON_CHARS and shown.isascii() and shown.isprintable()


def test_a_thousand_hostile_reasons_fit_with_their_count():
    reasons = [f"port {i:04d}: {HOSTILE[i % len(HOSTILE)]}" for i in range(1000)]
    conf = heartbeat.configurations(BASE, reasons)
    assert stored_size(conf) <= constants.AGENT_CONFIGURATIONS_MAX
    assert conf["error_count"] == 1000
    assert 0 < len(conf["errors"]) <= heartbeat.MAX_REASONS
    assert conf["errors"][0].startswith("port 0000: $(reboot)\\u202e")
    assert {k: conf[k] for k in BASE} == BASE


def test_reasons_take_only_the_room_left_and_the_count_always_stays():
    for limit in range(stored_size({**BASE, "error_count": 9, "errors": []}), 2000, 37):
        conf = heartbeat.configurations(BASE, ["y" * 250] * 9, limit=limit)
        assert stored_size(conf) <= limit and conf["error_count"] == 9
    assert heartbeat.configurations(BASE, [])["errors"] == []
