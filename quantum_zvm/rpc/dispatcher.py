"""Method dispatch with Quantum's version rules (reference §3.4).

Endpoints are plain objects with an ``RPC_API_VERSION`` attribute (default
``"1.0"``) whose public methods take ``(context, **args)``.  The dispatcher
walks them in order and calls the first that is version-compatible and has
the method.  Some compatible endpoint but none with the method →
``AttributeError("No such RPC function '<m>'")``; no compatible endpoint →
:class:`errors.UnsupportedRpcVersion`.  Names starting with ``_`` are never
callable remotely.

Arguments are bound to the method's signature before the call and checked
against its annotations (``str``, ``int``, ``X | None``, ``Sequence[X]``,
``Mapping[K, V]``; ``Any`` and unannotated parameters take anything):
a missing, unknown or ill-typed argument is :class:`errors.InvalidArguments`
naming the method and the argument, never a failure deep in the endpoint.
"""
from __future__ import annotations

import collections.abc
import functools
import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

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
                _check_arguments(function, method, context, args)
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


@functools.lru_cache(maxsize=256)
def _contract(function: Any) -> tuple[inspect.Signature, dict[str, Any]]:
    """The signature of ``function`` and the annotations of its checked parameters (all but
    the first, the context, and ``*args``/``**kwargs``)."""
    signature = inspect.signature(function)
    try:
        hints = typing.get_type_hints(function)
    except Exception:  # noqa: BLE001 - annotations that do not resolve are not checked
        hints = {}
    checked = [p.name for p in list(signature.parameters.values())[1:]
               if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return signature, {name: hints[name] for name in checked if name in hints}


def _check_arguments(function: Any, method: str, context: Any, args: Mapping[str, Any]) -> None:
    target = getattr(function, "__func__", function)
    signature, hints = _contract(target)
    bound_self = (function.__self__,) if target is not function else ()
    try:
        bound = signature.bind(*bound_self, context, **args)
    except TypeError as exc:
        raise errors.InvalidArguments(f"{method}: {exc}") from None
    for name, value in bound.arguments.items():
        expected = hints.get(name)
        if expected is not None and not _matches(value, expected):
            raise errors.InvalidArguments(
                f"{method}: {name} must be {_describe(expected)}, not "
                f"{type(value).__name__} {value!r:.100}")


def _matches(value: Any, expected: Any) -> bool:
    """Whether an argument fits its annotation: a union, a sequence, a mapping or a class."""
    if expected is Any:
        return True
    if expected is None or expected is type(None):
        return value is None
    origin, params = typing.get_origin(expected), typing.get_args(expected)
    generic = _GENERIC_MATCHERS.get(origin)
    if generic is not None:
        return generic(value, params)
    return _matches_class(value, expected)


def _matches_union(value: Any, params: tuple[Any, ...]) -> bool:
    return any(_matches(value, param) for param in params)


def _matches_sequence(value: Any, params: tuple[Any, ...]) -> bool:
    """A JSON array; every item is checked against the first parameter."""
    return isinstance(value, (list, tuple)) and (
        not params or all(_matches(item, params[0]) for item in value))


def _matches_mapping(value: Any, params: tuple[Any, ...]) -> bool:
    return isinstance(value, collections.abc.Mapping) and (
        not params or all(_matches(k, params[0]) and _matches(v, params[1])
                          for k, v in value.items()))


_GENERIC_MATCHERS: dict[Any, Callable[[Any, tuple[Any, ...]], bool]] = {
    typing.Union: _matches_union, types.UnionType: _matches_union,
    list: _matches_sequence, tuple: _matches_sequence,
    collections.abc.Sequence: _matches_sequence,
    dict: _matches_mapping, collections.abc.Mapping: _matches_mapping,
}


def _matches_class(value: Any, expected: Any) -> bool:
    """A plain class; a bool is no number, an int is a float (as in JSON)."""
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(expected, type):
        return isinstance(value, expected)
    return True  # other typing constructs are not checked


def _describe(expected: Any) -> str:
    origin, params = typing.get_origin(expected), typing.get_args(expected)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(param) for param in params)
    if (origin or expected) in (list, tuple, collections.abc.Sequence):
        return "a list" + (f" of {_describe(params[0])}" if params else "")
    if (origin or expected) in (dict, collections.abc.Mapping):
        return "an object"
    if expected is None or expected is type(None):
        return "null"
    return getattr(expected, "__name__", str(expected))
