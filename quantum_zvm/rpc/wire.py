"""The Quantum RPC wire format, as pure functions (reference §5.2–§5.4, §5.6).

A request is a JSON object ``{"method", "args", "version", "_unique_id",
"_msg_id"?, "_reply_q"?, "_context_<key>"...}``.  It is sent inside the 2.0
envelope ``{"oslo.version": "2.0", "oslo.message": "<request as a JSON
string>"}``; bare (Grizzly) and enveloped bodies are both accepted.

Replies are framed so that 2013 callers and modern oslo.messaging callers
both read them (recipe §5.6 step 3): a null result is one terminator
``{"result": null, "failure": null, "ending": true}``; a non-null result is a
data frame ``{"result": R, "failure": null}`` followed by the terminator; a
failure is one frame with ``failure`` set and ``ending: true``.  Every frame
carries ``_msg_id`` and a fresh ``_unique_id``.  A caller that reads a result
from its ``ending`` frame, as ours and oslo.messaging's do, may say so with
``"_one_reply_frame": true`` in its request (:data:`ONE_REPLY_FRAME`; other
servers ignore the key) and gets ``{"result": R, "failure": null, "ending":
true}``: one message instead of two, a Grizzly caller (which takes no result
from an ``ending`` frame) never asks.

:class:`ReplyReader` accepts every framing a peer may send: data frames plus
terminator, a single ``ending`` frame with a result, failures with or without
``ending``, and ``ending: false`` heartbeats (ignored).
"""
from __future__ import annotations

import collections
import datetime
import decimal
import importlib
import json
import traceback
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from quantum_zvm.rpc import errors

ENVELOPE_VERSION = "2.0"
VERSION_KEY = "oslo.version"
MESSAGE_KEY = "oslo.message"
CONTEXT_PREFIX = "_context_"
DEFAULT_RPC_VERSION = "1.0"

#: Modules whose exceptions a caller re-creates (``builtins`` always is).
DEFAULT_ALLOWED_EXCEPTION_MODULES = (
    "quantum_zvm.common.exceptions",
    "quantum_zvm.rpc.errors",
)

_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"


def new_id() -> str:
    """A uuid4 hex string, as used for ``_unique_id``, ``_msg_id`` and queue names."""
    return uuid.uuid4().hex


# --------------------------------------------------------------------------- values

def to_primitive(value: Any) -> Any:
    """``value`` made of JSON primitives only.

    Datetimes become ``%Y-%m-%dT%H:%M:%S.%f`` strings, tuples and sets become
    lists, UUIDs and Decimals become strings.  Anything else that JSON cannot
    represent raises :class:`TypeError`, so a bad result fails loudly at the
    sender instead of confusing the receiver.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_primitive(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_primitive(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.strftime(_DATETIME_FORMAT)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, decimal.Decimal)):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be sent over RPC")


# --------------------------------------------------------------------------- context

def pack_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """The ``_context_<key>`` entries for a context dict."""
    return {CONTEXT_PREFIX + str(key): to_primitive(value) for key, value in context.items()}


def unpack_context(message: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a request into ``(context dict, message without _context_ keys)``."""
    context: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for key, value in message.items():
        if isinstance(key, str) and key.startswith(CONTEXT_PREFIX):
            context[key[len(CONTEXT_PREFIX):]] = value
        else:
            rest[key] = value
    return context, rest


# --------------------------------------------------------------------------- envelope

def serialize(message: Mapping[str, Any]) -> dict[str, str]:
    """Wrap a message of :func:`request` or :func:`reply_frames` (JSON primitives
    already) in the 2.0 envelope (the inner message is JSON-encoded here)."""
    return {VERSION_KEY: ENVELOPE_VERSION, MESSAGE_KEY: json.dumps(message)}


def deserialize(body: Any) -> dict[str, Any]:
    """The message inside ``body``: an enveloped or bare dict, or its JSON text.

    Raises :class:`errors.MalformedMessage` for anything that is not a JSON
    object and :class:`errors.UnsupportedEnvelopeVersion` for an envelope of
    another major version or a newer minor one.
    """
    if isinstance(body, (bytes, bytearray)):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise errors.MalformedMessage(f"body is not UTF-8: {exc}") from None
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError as exc:
            raise errors.MalformedMessage(f"body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise errors.MalformedMessage(f"body is a {type(body).__name__}, not an object")
    if VERSION_KEY not in body or MESSAGE_KEY not in body:
        return body
    version = str(body[VERSION_KEY])
    try:
        compatible = version_compatible(version, ENVELOPE_VERSION)
    except errors.UnsupportedRpcVersion:
        compatible = False
    if not compatible:
        raise errors.UnsupportedEnvelopeVersion(f"envelope version {version!r} is not supported")
    inner = body[MESSAGE_KEY]
    try:
        message = json.loads(inner) if isinstance(inner, str) else inner
    except ValueError as exc:
        raise errors.MalformedMessage(f"enveloped message is not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise errors.MalformedMessage("enveloped message is not an object")
    return message


# --------------------------------------------------------------------------- versions

def parse_version(version: str | None) -> tuple[int, int]:
    """``"1.1"`` → ``(1, 1)``; a missing version is ``1.0`` (§3.4)."""
    text = DEFAULT_RPC_VERSION if version in (None, "") else str(version)
    major, _, minor = text.partition(".")
    try:
        return int(major), int(minor or 0)
    except ValueError:
        raise errors.UnsupportedRpcVersion(f"malformed version {version!r}") from None


def version_compatible(requested: str | None, implemented: str) -> bool:
    """Same major version and requested minor not newer than implemented."""
    req_major, req_minor = parse_version(requested)
    imp_major, imp_minor = parse_version(implemented)
    return req_major == imp_major and req_minor <= imp_minor


# --------------------------------------------------------------------------- requests

ONE_REPLY_FRAME = "_one_reply_frame"


def request(method: str, args: Mapping[str, Any], *, context: Mapping[str, Any],
            version: str | None = DEFAULT_RPC_VERSION, msg_id: str | None = None,
            reply_q: str | None = None, one_reply_frame: bool = False) -> dict[str, Any]:
    """A request message (not yet enveloped); calls give ``msg_id`` and ``reply_q``,
    and ``one_reply_frame`` when they read a result from an ``ending`` frame."""
    message: dict[str, Any] = {"method": method, "args": to_primitive(dict(args)),
                               "_unique_id": new_id()}
    if version is not None:
        message["version"] = version
    if msg_id is not None:
        message["_msg_id"] = msg_id
        if reply_q is not None:
            message["_reply_q"] = reply_q
        if one_reply_frame:
            message[ONE_REPLY_FRAME] = True
    message.update(pack_context(context))
    return message


# --------------------------------------------------------------------------- replies

def reply_frames(msg_id: str, result: Any = None, failure: str | None = None,
                 one_frame: bool = False) -> list[dict[str, Any]]:
    """The reply messages for one call, framed for old and new callers alike, or in
    one frame for a caller that asked for it (``one_frame``, :data:`ONE_REPLY_FRAME`)."""
    def frame(**values: Any) -> dict[str, Any]:
        return {**values, "_msg_id": msg_id, "_unique_id": new_id()}

    if failure is not None:
        return [frame(result=None, failure=failure, ending=True)]
    if one_frame:
        return [frame(result=to_primitive(result), failure=None, ending=True)]
    terminator = frame(result=None, failure=None, ending=True)
    if result is None:
        return [terminator]
    return [frame(result=to_primitive(result), failure=None), terminator]


class ReplyReader:
    """Collects the reply frames of one call until it is complete.

    :meth:`feed` returns True once the call is answered; :meth:`outcome`
    then returns the result or raises the remote exception.
    """

    def __init__(self, allowed_modules: Iterable[str] = DEFAULT_ALLOWED_EXCEPTION_MODULES):
        self.allowed_modules = tuple(allowed_modules)
        self.done = False
        self._result: Any = None
        self._failure: BaseException | None = None

    def feed(self, frame: Mapping[str, Any]) -> bool:
        if self.done:
            return True
        failure = frame.get("failure")
        if failure:
            self._failure = deserialize_failure(failure, self.allowed_modules)
            self.done = True
            return True
        result = frame.get("result")
        if "ending" in frame and not frame["ending"]:
            if result is not None:  # a data frame that names ending explicitly
                self._result = result
            return False            # otherwise a call-monitor heartbeat
        if frame.get("ending"):
            if result is not None:
                self._result = result
            self.done = True
            return True
        self._result = result       # a 2013 data frame (null results included)
        return False

    def outcome(self) -> Any:
        if self._failure is not None:
            raise self._failure
        return self._result


# --------------------------------------------------------------------------- failures

def serialize_exception(exc: BaseException, tb: Any = None) -> str:
    """The failure JSON string for ``exc`` (§5.4 keys: class, module, message, tb, args, kwargs).

    Exceptions keeping their constructor keywords in a ``kwargs`` dict
    (Quantum exceptions) are re-created from those alone, so ``args`` is empty
    for them.
    """
    kwargs = getattr(exc, "kwargs", None)
    if isinstance(kwargs, dict):
        args: list[Any] = []
    else:
        kwargs = {}
        args = list(exc.args)
    lines = traceback.format_exception(type(exc), exc, tb) if tb is not None else []
    data = {"class": type(exc).__name__, "module": type(exc).__module__,
            "message": str(exc), "tb": lines,
            "args": _primitive_or_str(args), "kwargs": _primitive_or_str(kwargs)}
    return json.dumps(data)


def _primitive_or_str(value: Any) -> Any:
    try:
        return to_primitive(value)
    except TypeError:
        if isinstance(value, dict):
            return {str(k): _primitive_or_str(v) for k, v in value.items()}
        if isinstance(value, list):
            return [_primitive_or_str(v) for v in value]
        return str(value)


def deserialize_failure(data: Any,
                        allowed_modules: Iterable[str] = DEFAULT_ALLOWED_EXCEPTION_MODULES,
                        ) -> BaseException:
    """The exception a failure string describes.

    The class is re-created (as a ``<Name>_Remote`` subclass whose text is the
    remote message) only when its module is ``builtins`` or in
    ``allowed_modules``; otherwise the result is :class:`errors.RemoteError`.
    """
    try:
        failure = json.loads(data) if isinstance(data, str) else dict(data)
    except (ValueError, TypeError):
        return errors.RemoteError("Unknown", str(data))
    name = str(failure.get("class") or "Unknown")
    module_name = str(failure.get("module") or "")
    message = str(failure.get("message") or "")
    trace = "".join(str(line) for line in failure.get("tb") or [])
    if module_name != "builtins" and module_name not in tuple(allowed_modules):
        return errors.RemoteError(name, message, trace)
    try:
        cls = getattr(importlib.import_module(module_name), name)
        if not (isinstance(cls, type) and issubclass(cls, Exception)):
            raise TypeError(name)
        args = failure.get("args") or []
        kwargs = failure.get("kwargs") or {}
        remote_cls = type(f"{name}_Remote", (cls,), {
            "__str__": lambda self: message,
            "__module__": cls.__module__,
        })
        exc = remote_cls(*args, **kwargs)
    except Exception:  # noqa: BLE001 - any re-creation problem degrades to RemoteError
        return errors.RemoteError(name, message, trace)
    exc.remote_traceback = trace
    return exc


# --------------------------------------------------------------------------- duplicates

class DuplicateFilter:
    """Remembers the last ``size`` ``_unique_id`` values seen.

    Grizzly kept 16; a server handling many concurrent calls needs more, so
    the default is larger.  Messages without an id are never duplicates.
    """

    def __init__(self, size: int = 1024):
        self.size = size
        self._order: collections.deque[str] = collections.deque()
        self._seen: set[str] = set()

    def seen(self, unique_id: Any) -> bool:
        """True if ``unique_id`` was seen before; records it otherwise."""
        if not isinstance(unique_id, str) or not unique_id:
            return False
        if unique_id in self._seen:
            return True
        self._seen.add(unique_id)
        self._order.append(unique_id)
        if len(self._order) > self.size:
            self._seen.discard(self._order.popleft())
        return False
