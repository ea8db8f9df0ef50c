"""The agent's records across restarts: the state file.

What the agent applied to z/VM cannot all be read back from z/VM (which port
a NIC serves, which grants the agent made, which vswitch port a live NIC
uses), so it is kept in a JSON file and written atomically after every
change: a port removed while the agent was down is still undone, and a
grant the agent made is revoked once no port needs it.

Format (version 2; a file without ``granted``/``live_ports`` is version 1
and gets them from its bindings, as agents that wrote it behaved)::

    {"zhcp_node": "zhcp1",
     "bindings": {"<port id>": {"userid": ..., "vdev": ..., ...}},
     "granted": [["VSW1", "LINUX01"]],
     "live_ports": [["LINUX01", "1000", 3]]}
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
from pathlib import Path

from quantum_zvm.agent.model import Binding, Observed, legacy_granted, legacy_live_ports

LOG = logging.getLogger(__name__)


def load(path: Path | None) -> Observed:
    """The records of ``path`` (empty when there is none or it is unreadable)."""
    if path is None or not path.exists():
        return Observed()
    try:
        data = json.loads(path.read_text())
        bindings = {port: Binding(**fields) for port, fields in data["bindings"].items()}
        granted = (frozenset((str(v), str(u)) for v, u in data["granted"])
                   if "granted" in data else legacy_granted(bindings))
        live_ports = ({(str(u), str(d)): int(n) for u, d, n in data["live_ports"]}
                      if "live_ports" in data else legacy_live_ports(bindings))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        LOG.error("state file %s is unreadable (%s); starting without it: ports removed "
                  "while the agent was down will not be undone", path, exc)
        return Observed()
    return Observed(bindings=bindings, granted=granted, live_ports=live_ports)


def snapshot(observed: Observed) -> tuple:
    """What :func:`save` writes, to tell whether it changed."""
    return (observed.bindings, observed.granted, observed.live_ports)


def save(path: Path | None, zhcp_node: str, observed: Observed) -> None:
    """Write the records of ``observed`` to ``path`` atomically."""
    if path is None:
        return
    data = {"zhcp_node": zhcp_node,
            "bindings": {p: dataclasses.asdict(b) for p, b in sorted(observed.bindings.items())},
            "granted": sorted([v, u] for v, u in observed.granted),
            "live_ports": sorted([u, d, n] for (u, d), n in observed.live_ports.items())}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".bindings-")
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=1)
    os.replace(tmp, path)
