"""Method dispatch with Quantum's version rules (reference §3.4).

Endpoints are plain objects with an ``RPC_API_VERSION`` attribute (default
``"1.0"``) whose public methods take ``(context, **args)``.  The dispatcher
walks them in order and calls the first that is version-compatible and has
the method.  Some compatible endpoint but none with the method →
``AttributeError("No such RPC function '<m>'")``; no compatible endpoint →
:class:`errors.UnsupportedRpcVersion`.  Names starting with ``_`` are never
callable remotely.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from quantum_zvm.rpc import errors, wire


class Dispatcher:
    def __init__(self, endpoints: Sequence[object]):
        self.endpoints = list(endpoints)

    def dispatch(self, context: Any, version: str | None, method: str,
                 args: Mapping[str, Any]) -> Any:
        compatible = False
        for endpoint in self.endpoints:
            implemented = str(getattr(endpoint, "RPC_API_VERSION", wire.DEFAULT_RPC_VERSION))
            if not wire.version_compatible(version, implemented):
                continue
            compatible = True
            function = _remote_callable(endpoint, method)
            if function is not None:
                return function(context, **args)
        if compatible:
            raise AttributeError(f"No such RPC function '{method}'")
        raise errors.UnsupportedRpcVersion(
            f"Specified RPC version, {version or wire.DEFAULT_RPC_VERSION}, not supported by "
            "this endpoint.")


def _remote_callable(endpoint: object, method: str) -> Any:
    if not method or method.startswith("_"):
        return None
    function = getattr(endpoint, method, None)
    return function if callable(function) and not isinstance(function, type) else None
