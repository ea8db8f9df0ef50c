"""Micro-benchmark of ``xcat.batch.split_output``: cutting a batch's stdout at its markers.

The agent runs every batch result through ``split_output``; with thousands of
ports its cost is paid once per command. The output is synthetic but shaped
like a real grant batch: per command one smcli progress line ending in
``Done`` (every fifth a four-line failure block), then the marker line.

    .venv/bin/python benchmarks/bench_batch_split.py [--commands 2000] [--repeat 20]

Prints a JSON document, then a table (CPU seconds per call, lines, markers).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from xcat.batch import make_token, split_output


def batch_stdout(commands: int, token: str) -> list[str]:
    lines = []
    for index in range(commands):
        lines.append(f"Granting access to user LNX{index:05d} for vswitch VSW1... Done")
        status = 0
        if index % 5 == 4:
            lines[-1] = f"Granting access to user LNX{index:05d} for vswitch VSW1... Failed"
            lines += ["  Return Code: 212", "  Reason Code: 40",
                      "  Description: Virtual switch does not exist"]
            status = 1
        lines.append(f"{token}:{index}:{status}")
    return lines


def run(commands: int, repeat: int) -> dict:
    best = None
    for _ in range(repeat):
        token = make_token()  # fresh per batch, as run_batch does: no warm caches
        lines = batch_stdout(commands, token)
        start = time.process_time()
        finished, leftover = split_output(lines, token, commands)
        spent = time.process_time() - start
        best = spent if best is None else min(best, spent)
    assert len(finished) == commands and not leftover
    return {"commands": commands, "lines": len(lines), "markers": len(finished),
            "repeat": repeat, "best_cpu_seconds": round(best, 6),
            "cpu_us_per_command": round(best / commands * 1e6, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    result = run(args.commands, args.repeat)
    print(json.dumps(result, indent=2))
    print(f"\n{'commands':>9} {'lines':>7} {'markers':>8} {'best CPU s':>11} {'µs/command':>11}")
    print(f"{result['commands']:>9} {result['lines']:>7} {result['markers']:>8} "
          f"{result['best_cpu_seconds']:>11.4f} {result['cpu_us_per_command']:>11.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
