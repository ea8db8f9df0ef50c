"""xcat-zvm-simulator: an xCAT management node + zHCP + z/VM host in one process.

It speaks the old xCAT REST API (``/xcatws``) byte for byte where clients
parse bytes, runs ``dsh`` scripts through a safe shell that offers zHCP's
``smcli`` and CP's ``vmcp``, and models z/VM vswitches, grants, directory
NICDEFs and active NICs.  A control plane under ``/_sim/`` fires events,
injects faults and reads counters.

Programmatic use::

    from xcat.simulator import serve
    server = serve("127.0.0.1", 0, scenario=None, seed=0, tls=None)   # tls=(cert, key)
    server.url, server.port, server.simulator
    server.shutdown()

As a program: ``xcat-zvm-simulator --listen 127.0.0.1:PORT [--tls-cert F
--tls-key F] [--state FILE] [--scenario FILE] [--seed N]`` prints
``xcat-zvm-simulator listening on http(s)://127.0.0.1:PORT`` when ready.
Control plane: see :mod:`xcat.simulator.control`; faults:
:mod:`xcat.simulator.faults`; counters: :mod:`xcat.simulator.counters`.
"""
from __future__ import annotations

from typing import Any


def serve(*args: Any, **kwargs: Any):
    """Start a simulator in a background thread; see :func:`xcat.simulator.server.serve`."""
    from xcat.simulator.server import serve as _serve
    return _serve(*args, **kwargs)
