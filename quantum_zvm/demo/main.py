"""``quantum-zvm-demo [--keep-running] | --stop STATE_DIR``.

Without options: run the whole demo (simulator, server, agent as real
processes), print what happens and stop everything; exit 0 when every step
passed, 1 when one failed (the step, the reason and the relevant log tail are
printed), 128+N when stopped by signal N.  ``--keep-running`` leaves the
services up after a successful run and prints how to use and stop them;
``--stop STATE_DIR`` stops such services and removes their state directory.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from quantum_zvm import __version__
from quantum_zvm.demo.runner import run_demo
from quantum_zvm.demo.services import RECORD, stop_recorded

PROG = "quantum-zvm-demo"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Run quantum-zvm end to end on this machine: an xCAT/z/VM simulator, the "
                    "server (SQLite) and the agent (embedded RPC), guest NICs attached through "
                    "the API and quantum-zvm-nic, a z/VM IPL; then stop everything.")
    p.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--keep-running", action="store_true",
                      help="leave the services running at the end and print how to use them")
    mode.add_argument("--stop", metavar="STATE_DIR", type=Path,
                      help="stop the services a --keep-running demo left in STATE_DIR and "
                           "remove the directory")
    return p


def stop(state_dir: Path) -> int:
    if not (state_dir / RECORD).is_file():
        print(f"{PROG}: {state_dir} holds no {RECORD}: not the state directory of a "
              "--keep-running demo", file=sys.stderr)
        return 2
    stopped = stop_recorded(state_dir)
    shutil.rmtree(state_dir, ignore_errors=True)
    print(f"stopped {', '.join(stopped) or 'nothing (already gone)'}; removed {state_dir}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.stop is not None:
        return stop(args.stop)
    return run_demo(sys.stdout, keep_running=args.keep_running)


if __name__ == "__main__":
    sys.exit(main())
