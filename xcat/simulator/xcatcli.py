"""xCAT's table commands as programs on the management node's shell
(``/opt/xcat/sbin/tabch``, ``/opt/xcat/sbin/tabdump``, ``/opt/xcat/bin/gettab``).

The xCAT client prints every ``data`` string on stdout, every ``error``
string as ``Error: <text>`` on stderr, and exits with the highest
``errorcode`` (0 when none).
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from xcat.simulator.smcli import Output
from xcat.simulator.tables import Message, Tables

Command = Callable[[list[str], str], Output]


def render(messages: list[Message]) -> Output:
    out, err, status = [], [], 0
    for message in messages:
        for text in message.get("data", []):
            out.append(text if text.endswith("\n") else text + "\n")
        for text in message.get("error", []):
            err.append(f"Error: {text}" + ("" if text.endswith("\n") else "\n"))
        for code in message.get("errorcode", []):
            if code.isdigit():
                status = max(status, int(code))
    return Output(stdout="".join(out), stderr="".join(err), status=status)


def commands(tables: Tables, lock: threading.RLock) -> dict[str, Command]:
    def tabch(argv: list[str], _stdin: str) -> Output:
        with lock:
            return render(tables.tabch(argv[1:]))

    def tabdump(argv: list[str], _stdin: str) -> Output:
        names = [a for a in argv[1:] if not a.startswith("-")]
        with lock:
            if not names:
                return Output(stdout="".join(f"{n}\n" for n in sorted(tables.tables)))
            return render(tables.tabdump(names[0]))

    def gettab(argv: list[str], _stdin: str) -> Output:
        args = [a for a in argv[1:] if not a.startswith("-")]
        if len(args) < 2 or "=" not in args[0]:
            return Output(stderr="Usage: gettab key=value,...  table.attribute ...\n", status=1)
        key, _, value = args[0].partition("=")
        attrs = [a.partition(".") for a in args[1:]]
        names = {t for t, _, _ in attrs}
        if len(names) != 1:
            return Output(stderr="Error: gettab: one table per call\n", status=1)
        with lock:
            return render(tables.gettab(names.pop(), key, value, [c for _, _, c in attrs]))

    return {"tabch": tabch, "/opt/xcat/sbin/tabch": tabch,
            "tabdump": tabdump, "/opt/xcat/sbin/tabdump": tabdump,
            "gettab": gettab, "/opt/xcat/bin/gettab": gettab}
