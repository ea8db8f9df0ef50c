"""Exceptions of the RPC layer (raised at callers and carried as failures)."""
from __future__ import annotations


class RpcError(Exception):
    """Base class of every RPC error."""


class MalformedMessage(RpcError):
    """A message body that is not a valid (enveloped or bare) RPC message."""


class UnsupportedEnvelopeVersion(MalformedMessage):
    """An envelope whose ``oslo.version`` this implementation cannot read."""


class InvalidArguments(RpcError, TypeError):
    """A call whose arguments do not fit the method: missing, unknown or of the wrong type."""


class UnsupportedRpcVersion(RpcError):
    """No callback object implements the requested API version (§3.4)."""


class RpcTimeout(RpcError):
    """A call got no complete reply within its timeout."""


class RpcConnectionError(RpcError):
    """The broker could not be reached within the time allowed."""


class RemoteError(RpcError):
    """A failure from a peer whose exception class cannot be re-created here."""

    def __init__(self, exc_type: str = "", value: str = "", traceback: str = ""):
        self.exc_type = exc_type
        self.value = value
        self.traceback = traceback
        super().__init__(f"Remote error: {exc_type} {value}".rstrip())


# How servers answer a call of a method they do not have: oslo.messaging (neutron)
# raises NoSuchMethod when an endpoint of the version exists but lacks the method and
# UnsupportedVersion when none is compatible (oslo_messaging/rpc/dispatcher.py, as in
# neutron 29's venv); Grizzly's dispatcher, and ours, AttributeError("No such RPC
# function ...") and UnsupportedRpcVersion.
_UNKNOWN_REMOTE_TYPES = frozenset({"NoSuchMethod", "UnsupportedVersion", "UnsupportedRpcVersion"})
_NO_SUCH_FUNCTION = "No such RPC function"


def unknown_method(exc: BaseException) -> bool:
    """True when ``exc`` is a server's answer that it does not serve the called method."""
    if isinstance(exc, RemoteError):
        return (exc.exc_type in _UNKNOWN_REMOTE_TYPES
                or (exc.exc_type == "AttributeError" and _NO_SUCH_FUNCTION in exc.value))
    if isinstance(exc, UnsupportedRpcVersion):
        return True
    return isinstance(exc, AttributeError) and _NO_SUCH_FUNCTION in str(exc)
