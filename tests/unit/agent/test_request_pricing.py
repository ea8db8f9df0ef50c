"""How the agent prices an smcli command when it sizes a dsh request."""
from __future__ import annotations

from quantum_zvm.agent.executor import expected_call_seconds
from xcat import smcli


def test_directory_calls_cost_dirmaint_time_and_cp_calls_smapi_time():
    def price(argv):
        return expected_call_seconds(argv, call_seconds=1.0, dirmaint_seconds=2.0)
    assert price(smcli.image_query_dm("LINUX01")) == 2.0
    assert price(smcli.vswitch_query_extended("ZHCP", "*")) == 1.0
    assert price(["/opt/xcat/sbin/tabch", "node=linux01", "switch.port=p1"]) == 1.0
