"""Error responses: ``{"NeutronError": {"type", "message", "detail"}}``.

Quantum exceptions carry their HTTP status; errors found by the API layer
itself (bad JSON, unknown attributes, ...) are :class:`ApiError`.  Anything
else is a bug or an outage: the client gets 500 with a generic message and the
traceback goes to the log only.
"""
from __future__ import annotations

import json
import logging

import webob

from quantum_zvm.common import exceptions

LOG = logging.getLogger(__name__)

GENERIC_500 = "Request Failed: internal server error while processing your request."

_TYPES = {400: "HTTPBadRequest", 401: "HTTPUnauthorized", 403: "HTTPForbidden",
          404: "HTTPNotFound", 405: "HTTPMethodNotAllowed", 406: "HTTPNotAcceptable",
          409: "HTTPConflict", 412: "HTTPPreconditionFailed",
          413: "HTTPRequestEntityTooLarge",
          414: "HTTPRequestURITooLong", 415: "HTTPUnsupportedMediaType",
          431: "HTTPRequestHeaderFieldsTooLarge", 500: "HTTPInternalServerError",
          501: "HTTPNotImplemented", 503: "HTTPServiceUnavailable"}


class ApiError(Exception):
    """An error detected by the API layer, with its HTTP status."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str = "The resource could not be found.") -> ApiError:
    return ApiError(404, message)


def error_body(status: int, message: str, error_type: str | None = None,
               detail: str = "") -> bytes:
    """The JSON ``NeutronError`` body (ASCII: lone surrogates in a message are escaped)."""
    body = {"NeutronError": {"type": error_type or _TYPES.get(status, "HTTPError"),
                             "message": message, "detail": detail}}
    return json.dumps(body).encode()


def error_response(status: int, message: str, error_type: str | None = None,
                   detail: str = "", headers: dict[str, str] | None = None) -> webob.Response:
    response = webob.Response(status=status, content_type="application/json",
                              charset="UTF-8", body=error_body(status, message, error_type,
                                                               detail))
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def to_response(exc: BaseException, method: str = "", path: str = "") -> webob.Response:
    """The response for an exception raised while serving ``method path``."""
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.message, headers=exc.headers)
    if isinstance(exc, exceptions.QuantumException):
        if exc.status_code >= 500:
            LOG.warning("%s %s: %s", method, path, exc)
        return error_response(exc.status_code, str(exc), type(exc).__name__)
    if isinstance(exc, NotImplementedError):
        return error_response(501, str(exc) or "Not implemented.", "NotImplementedError")
    if getattr(exc, "connection_invalidated", False):
        LOG.warning("%s %s: database connection lost: %s", method, path, exc)
        return error_response(503, "The database is unavailable; retry later.",
                              "DatabaseUnavailable")
    LOG.exception("%s %s failed", method, path)
    return error_response(500, GENERIC_500)
