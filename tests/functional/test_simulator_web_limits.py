"""What the xCAT MN's web tier and xdsh refuse or cut, over real HTTP (issue 12, findings 1 and 5).

- xdsh joins ``export NODE=<n>; `` + pre-command + command + post-command into one
  argument of the ssh it execs; an argument of 131,072 bytes or more (with its NUL)
  fails with E2BIG: nothing runs, the reply is an error and errorcode 1.
- zvmxcatws.cgi prints nothing before xcatd's last message, so Apache's ``Timeout``
  ends a longer request with its 504 page while the commands go on.
"""
from __future__ import annotations

import time

from xcat.simulator.core import MAX_ARG_STRLEN, xdsh_argument

REFUSED = {"data": [{"error": ["Cannot redirect STDOUT, error= Argument list too long"],
                     "errorcode": ["1"]},
                    {"errorcode": ["1"]}]}


def _script_of_size(node: str, size: int) -> str:
    """An ``echo`` script whose xdsh argument is exactly ``size`` bytes."""
    base = "echo start\n:"
    pad = size - len(xdsh_argument(node, base).encode())
    return base + "x" * pad


def test_a_dsh_command_over_the_exec_argument_limit_never_runs(simulator):
    largest = _script_of_size("zhcp1", MAX_ARG_STRLEN - 1)   # + NUL = the limit
    ok = simulator.xcat("PUT", "nodes/zhcp1/dsh", body=[f"command={largest}"])
    assert ok.status_code == 200
    assert ok.json()["data"][0] == {"data": ["zhcp1: start"]}
    too_long = _script_of_size("zhcp1", MAX_ARG_STRLEN)
    before = simulator.control.counters()["commands"]
    refused = simulator.xcat("PUT", "nodes/zhcp1/dsh", body=[f"command={too_long}"])
    assert refused.status_code == 200 and refused.json() == REFUSED
    assert simulator.control.counters()["commands"] == before   # nothing ran


def test_the_limit_counts_bytes_and_the_node_name(simulator):
    # "\u00e9" is 2 bytes in UTF-8; the node name is part of the argument
    text = "echo " + "\u00e9" * (MAX_ARG_STRLEN // 2)
    assert simulator.xcat("PUT", "nodes/xcat/dsh", body=[f"command={text}"]).json() == REFUSED


APACHE_504 = ("<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n"
              "<title>504 Gateway Timeout</title>\n</head><body>\n<h1>Gateway Timeout</h1>\n"
              "<p>The gateway did not receive a timely response\nfrom the upstream server or "
              "application.</p>\n</body></html>\n")


def test_a_request_longer_than_the_cgi_timeout_gets_apaches_504_and_still_completes(simulator):
    assert simulator.control.faults()["cgi_timeout"] == 60.0     # Apache 2.4's default
    simulator.control.fault(cgi_timeout=0.5, smcli_latency=0.2)
    script = "\n".join(f"smcli Virtual_Network_Vswitch_Set_Extended -T ZHCP -k switch_name=VSW{i} "
                       f"-k grant_userid=LINUX01" for i in range(5))
    started = time.monotonic()
    reply = simulator.xcat("PUT", "nodes/zhcp1/dsh", body=[f"command={script}"])
    elapsed = time.monotonic() - started
    assert (reply.status_code, reply.text) == (504, APACHE_504)
    assert reply.headers["Content-Type"].startswith("text/html")
    assert 0.5 <= elapsed < 0.9          # cut at the timeout, not when the commands end
    time.sleep(1.0)                      # the commands went on after the 504
    calls = simulator.control.counters()["smcli"]["by_function"]
    assert calls["Virtual_Network_Vswitch_Set_Extended"] == 5
    quick = simulator.xcat("GET", "version")           # a short request is unaffected
    assert quick.status_code == 200
    assert simulator.control.counters()["rest"]["by_status"]["504"] == 1


def test_a_thousand_guarded_commands_reach_the_simulator_in_requests_it_accepts(simulator):
    from xcat import batch, smcli
    from xcat.batch import Guard
    from xcat.client import XcatClient
    vectors = [smcli.vswitch_grant("NOSUCH", f"LNX{i:05d}", vlans=100 + i % 50, persist=True)
               for i in range(1000)]
    guards = [Guard((f"{i:08d}-aaaa-bbbb-cccc-dddddddddddd",), False) for i in range(1000)]
    with XcatClient(simulator.url, simulator.username, simulator.password) as client:
        outcomes = batch.run_batch(client, "zhcp1", vectors, batch_size=1000, guards=guards)
        requests = client.counters.snapshot()["kinds"]["PUT dsh"]["requests"]
    assert requests >= 2
    assert all(o.exit_status is not None for o in outcomes)       # every marker came back
    calls = simulator.control.counters()["smcli"]["by_function"]
    assert calls["Virtual_Network_Vswitch_Set_Extended"] == 1000
