"""The agent behind a web tier that cuts long requests (issue 12, finding 5): a batch
whose request got Apache's 504 while its commands went on is never replayed; the
agent waits, reads z/VM again and converges without re-issuing a grant."""
from __future__ import annotations

from tests.fixtures.procs import wait_for


def handed_off_ports(stack, count: int) -> list[dict]:
    """``count`` guests LNX0000... with NIC 1000, each handed a port of VLAN 150."""
    net = stack.network("blue", "vlan", "VSW1", 150)
    ports = []
    for i in range(count):
        userid = f"LNX{i:04d}"
        stack.guest(userid, ("1000",))
        port = stack.port(net["id"])
        stack.hand_off(userid, port["id"])
        ports.append(port)
    return ports


def start_behind_a_short_cgi_timeout(stack, count: int, **latencies) -> list[dict]:
    """``count`` handed-off ports, a 1.5 s web tier with ``latencies``, then the agent.
    The test owns its timing: profile "zero" whatever QZVM_SIM_PROFILE says."""
    ports = handed_off_ports(stack, count)
    stack.sim.control.fault(profile="zero", cgi_timeout=1.5, **latencies)
    stack.start_agent()
    return ports


def wait_active(stack, ports: list[dict]) -> None:
    for port in ports:
        stack.wait_status(port["id"], timeout=60)


def test_a_batch_cut_by_the_cgi_timeout_is_resynced_not_replayed(zvm_stack):
    stack = zvm_stack(start_agent=False, ini="""\
        dsh_request_seconds = 30
        smcli_call_seconds = 0.2
        smapi_workers = 1
        """)
    # 30 commands at 0.1 s in one lane: 3 s, twice the web tier's 1.5 s; reads of 10 stay
    # under it
    ports = start_behind_a_short_cgi_timeout(stack, 10, smcli_latency=0.1)
    wait_for(lambda: stack.sim.control.counters()["rest"]["by_status"].get("504"),
             timeout=60, what="a request cut by the CGI timeout")
    wait_active(stack, ports)
    calls = stack.sim.control.counters()["smcli"]["by_function"]
    assert calls["Virtual_Network_Vswitch_Set_Extended"] == 10      # no grant issued twice
    assert calls["Virtual_Network_Adapter_Connect_Vswitch_DM"] == 10
    assert calls["Virtual_Network_Adapter_Connect_Vswitch"] == 10
    model = stack.model()
    for i in range(10):
        userid = f"LNX{i:04d}"
        assert model["vswitches"]["VSW1"]["grants"][userid]["vlans"] == ["150"]
        assert model["guests"][userid]["active_nics"]["1000"]["coupled_to"] == "VSW1"
    assert "outcome of commands" in stack.agent_log() and "Traceback" not in stack.agent_log()


def test_the_agent_sizes_requests_to_stay_under_the_cgi_timeout(zvm_stack):
    stack = zvm_stack(start_agent=False, ini="""\
        dsh_request_seconds = 0.6
        smcli_call_seconds = 0.1
        """)
    ports = start_behind_a_short_cgi_timeout(stack, 6, smcli_latency=0.1)
    wait_active(stack, ports)
    assert "504" not in stack.sim.control.counters()["rest"]["by_status"]


def test_directory_calls_are_priced_apart_from_cp_calls(zvm_stack):
    # DirMaint handles one request at a time and is the slow part of SMAPI: six directory
    # reads at 0.3 s would outlast the 1.5 s web tier in one request; priced at 0.35 s each
    # (dirmaint_call_seconds) the agent splits them, while CP calls stay cheap
    stack = zvm_stack(start_agent=False, ini="""\
        dsh_request_seconds = 1.0
        smcli_call_seconds = 0.02
        dirmaint_call_seconds = 0.35
        """)
    ports = start_behind_a_short_cgi_timeout(stack, 6, smcli_latency=0.02,
                                             dirmaint_latency=0.3)
    wait_active(stack, ports)
    counters = stack.sim.control.counters()
    assert "504" not in counters["rest"]["by_status"]
    assert counters["smcli"]["by_function"]["Image_Query_DM"] == 6
