"""``quantum-zvm-agent --config-file F [--once]``: the z/VM agent of one zHCP.

Start-up: load and validate the configuration (exit 2 on problems), set up
logging, build the xCAT client and the RPC side, then run the loop with the
notification consumers and the heartbeat in green threads until SIGTERM or
SIGINT (exit 0).  ``--once`` runs one full reconcile cycle, prints its
summary as JSON and exits: 0 when the cycle ran (port errors are in the
summary), 1 when xCAT or the plugin could not be reached.

eventlet's ``monkey_patch()`` happens here, in the entry point only.
"""
from __future__ import annotations

import gc
import json
import logging
import signal
import sys
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

PROG = "quantum-zvm-agent"
DESCRIPTION = ("The z/VM agent of one zHCP: applies port bindings to vswitch grants, VLANs "
               "and NICs through the xCAT REST API.")
EXIT_FAILURE = 1

# Collect young objects after this many allocations (CPython's default: 700),
# and look at the older generations as rarely as the defaults do, relative to
# it.  The agent's state of 10,000 ports is about 290,000 objects the collector
# tracks, almost all of them immutable and without reference cycles (they are
# freed by their reference counts), and a full resync or an IPL re-apply
# allocates millions: at the defaults, collections took a third to a half of
# such a cycle's CPU, walking the state again and again (``bench_agent.py``'s
# ``gc_cpu_seconds``, with ``--cpython-gc``).  Measured with
# ``benchmarks/bench_agent.py`` (three runs each, 2026-12-05), agent CPU: an IPL
# re-apply of 10,000 bindings 1.40-1.49 s -> 0.84-0.92 s, a convergence of
# 10,000 ports 4.9-5.2 s -> 3.8-4.0 s; a port added unchanged (it allocates a
# few thousand objects).
GC_THRESHOLDS = (50_000, 20, 10)


def collect_less() -> None:
    """Set this process's garbage collector as the agent runs it (:data:`GC_THRESHOLDS`)."""
    gc.set_threshold(*GC_THRESHOLDS)
    logging.getLogger(PROG).info("garbage collection: thresholds %s (CPython's are %s)",
                                 "/".join(map(str, GC_THRESHOLDS)), "700/10/10")


def main(argv: Sequence[str] | None = None) -> int:
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet
    eventlet.monkey_patch()
    return run(sys.argv[1:] if argv is None else list(argv))


def state_file(conf) -> Path:
    """Where the agent remembers what it applied (one file per zHCP)."""
    return Path(conf.state_path) / f"zvm-agent-{conf.AGENT.xcat_zhcp_nodename}.json"


def run(argv: Sequence[str]) -> int:
    from oslo_config import cfg

    from quantum_zvm.agent.daemon import Agent
    from quantum_zvm.common import config, log
    from quantum_zvm.common.xcat_conf import xcat_client
    from quantum_zvm.rpc.agent_api import PluginApi
    from quantum_zvm.rpc.client import RpcClient
    from quantum_zvm.rpc.errors import RpcError
    from quantum_zvm.rpc.transport import Transport, TransportConfigError
    from xcat.errors import XcatError

    cli_opts = [
        cfg.BoolOpt("once", default=False,
                    help="Run one full reconcile cycle, print its summary and exit."),
    ]
    conf = config.load_or_exit(argv, PROG, role="agent", cli_opts=cli_opts,
                               description=DESCRIPTION)
    logger = log.setup(conf, PROG)
    collect_less()
    try:
        client = xcat_client(conf)
        transport = Transport.from_conf(conf)
    except (ValueError, TransportConfigError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return config.EXIT_CONFIG_ERROR
    rpc = RpcClient(transport, timeout=conf.rpc_response_timeout)
    api = PluginApi(rpc, agent_id=f"zvm-{conf.AGENT.xcat_zhcp_nodename}", host=conf.AGENT.host)
    agent = Agent(conf, client, rpc, api, state_file=state_file(conf),
                  system_check_seconds=float(conf.AGENT.system_check_interval))
    try:
        if conf.once:
            return _once(agent, logger, (XcatError, RpcError, OSError))
        return _serve(agent, transport, logger)
    finally:
        rpc.close()
        client.close()


def _once(agent, logger, failures) -> int:
    from quantum_zvm.agent.startup import StartupError
    from quantum_zvm.common import log

    try:
        summary = agent.cycle()
    except (*failures, StartupError) as exc:
        log.fatal(agent.conf, logger, PROG, f"cycle failed: {exc}")
        return EXIT_FAILURE
    result = summary.as_dict()
    result["agent_errors"] = sorted(agent.errors.values())
    print(json.dumps(result, indent=1, sort_keys=True))
    return 0


def _serve(agent, transport, logger) -> int:
    from quantum_zvm.rpc.agent_api import start_notification_consumer

    consumer = start_notification_consumer(transport, agent)
    heartbeat = threading.Thread(target=agent.heartbeat_loop, name="heartbeat", daemon=True)

    def stop(signum, _frame):
        logger.info("signal %d: stopping", signum)
        agent.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    heartbeat.start()
    logger.info("%s started for zHCP %s (host %s)", PROG, agent.zhcp_node, agent.host)
    try:
        agent.run()
    finally:
        agent.stop()
        consumer.stop()
        heartbeat.join(timeout=5)
    logger.info("stopped")
    return 0
