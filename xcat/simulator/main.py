"""``xcat-zvm-simulator``: run the simulator as a program.

```
xcat-zvm-simulator --listen 127.0.0.1:8443 [--tls-cert F --tls-key F]
                   [--state FILE] [--scenario FILE] [--seed N] [--cgi-timeout SECONDS]
```

When it is ready it prints exactly one line on stdout,
``xcat-zvm-simulator listening on http(s)://127.0.0.1:PORT`` (port 0 picks a
free port and prints it), then serves until SIGTERM/SIGINT.  Errors in the
arguments, the scenario or the state file are printed as one line on stderr
with exit status 2.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from importlib import metadata

from xcat.simulator.faults import DEFAULT_CGI_TIMEOUT, PROFILES
from xcat.simulator.scenario import ScenarioError
from xcat.simulator.server import SimulatorServer, build
from xcat.simulator.state import StateError


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


def _seconds(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return value or None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="xcat-zvm-simulator",
        description="Simulated xCAT management node + zHCP + z/VM host (xCAT REST API /xcatws, "
                    "control plane /_sim).")
    # the distribution's version: xcat/ imports nothing of quantum_zvm
    p.add_argument("--version", action="version",
                   version=f"xcat-zvm-simulator {metadata.version('quantum-zvm')}")
    p.add_argument("--listen", type=_listen, default=("127.0.0.1", 8443),
                   help="HOST:PORT to listen on (default 127.0.0.1:8443; port 0 = any free port)")
    p.add_argument("--tls-cert", help="PEM certificate: serve HTTPS")
    p.add_argument("--tls-key", help="PEM private key of --tls-cert")
    p.add_argument("--state", help="persist the simulated host in this file across restarts")
    p.add_argument("--scenario", help="scenario file (YAML or JSON); default: the bundled one")
    p.add_argument("--seed", type=int, default=0, help="seed of fault probabilities and jitter")
    p.add_argument("--cgi-timeout", type=_seconds, default=DEFAULT_CGI_TIMEOUT,
                   help="Apache's Timeout in front of the xCAT CGI: a longer /xcatws request "
                        "gets a 504 while it runs on (default 60; 0: none)")
    p.add_argument("--latency-profile", choices=sorted(PROFILES),
                   help="latencies and SMAPI workers of a real site ('realistic', sources in "
                        "the README) or none ('zero', the default)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        print("xcat-zvm-simulator: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    try:
        sim, store = build(args.scenario, args.seed, args.state)
        sim.faults.cgi_timeout = args.cgi_timeout
        if args.latency_profile:
            sim.faults.configure({"profile": args.latency_profile})
        host, port = args.listen
        tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
        server = SimulatorServer(sim, host, port, tls=tls, store=store)
    except (ScenarioError, StateError) as exc:
        print(f"xcat-zvm-simulator: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"xcat-zvm-simulator: cannot listen on {args.listen[0]}:{args.listen[1]} "
              f"or read TLS files: {exc.strerror or exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _signal(_signum: int, _frame: object) -> None:
        stop.set()
    signal.signal(signal.SIGTERM, _signal)
    signal.signal(signal.SIGINT, _signal)
    server.start()
    print(f"xcat-zvm-simulator listening on {server.url}", flush=True)
    stop.wait()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
