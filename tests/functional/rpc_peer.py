"""A separate process serving a test endpoint over our RPC (used by the RPC tests).

``python -m tests.functional.rpc_peer URL TOPIC [--fanout] [--shared]`` serves
``echo``, ``pid`` and ``note`` (appends the value to ``<TOPIC>.<pid>.notes``
in the current directory) until SIGTERM, and prints ``ready`` once consuming.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from quantum_zvm.rpc.server import RpcServer
from quantum_zvm.rpc.transport import Backoff, Transport, parse_transport_url


class PeerEndpoint:
    def __init__(self, notes_path: str):
        self.notes_path = notes_path

    def echo(self, ctx, value):
        return value

    def pid(self, ctx):
        return os.getpid()

    def note(self, ctx, value):
        with open(self.notes_path, "a", encoding="utf-8") as fh:
            fh.write(f"{value}\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("topic")
    parser.add_argument("--fanout", action="store_true")
    parser.add_argument("--no-shared", dest="shared", action="store_false")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    transport = Transport(parse_transport_url(args.url), backoff=Backoff(0.2, 0.3, 1.0))
    endpoint = PeerEndpoint(f"{args.topic}.{os.getpid()}.notes")
    server = RpcServer(transport, [args.topic], [endpoint], fanout=args.fanout,
                       shared=args.shared).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if server.wait_ready(30):
        print("ready", flush=True)
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
