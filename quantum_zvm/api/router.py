"""The WSGI application of the Quantum v2.0 REST API.

Paths (an optional ``.json`` suffix is accepted; JSON is the only format)::

    GET  /                                   versions
    GET  /v2.0                               core resources
    GET  /v2.0/extensions[/<alias>]          provider, binding, agent, agent_scheduler
    GET|POST          /v2.0/{networks,subnets,ports}
    GET|PUT|DELETE    /v2.0/{networks,subnets,ports,agents}/<uuid>
    GET               /v2.0/agents
    GET|POST          /v2.0/agents/<uuid>/dhcp-networks
    DELETE            /v2.0/agents/<uuid>/dhcp-networks/<network uuid>
    GET               /v2.0/networks/<uuid>/dhcp-agents
    GET|PUT|POST|DELETE /v2.0/{networks,subnets,ports}/<uuid>/tags[/<tag>]   (:mod:`tags`)

Every request runs inside one error boundary (:func:`faults.to_response`), so
no exception ever reaches eventlet and no traceback reaches a client; the
boundary itself never decodes what the client sent.  A path or query string
that is not UTF-8, or a query parameter that some database cannot store
(:func:`validators.text_problem`), is a 400 before anything else runs.
"""
from __future__ import annotations

import datetime
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import orjson
import webob

from quantum_zvm.api import attributes, auth, faults, tags
from quantum_zvm.api.controller import Controller
from quantum_zvm.api.scheduler import SchedulerController
from quantum_zvm.api.validators import UUID_RE, text_problem
from quantum_zvm.common.context import Context
from quantum_zvm.db import queries

LOG = logging.getLogger(__name__)

VERSION = "v2.0"
CORE_COLLECTIONS = ("networks", "subnets", "ports")
COLLECTION_METHODS = {"networks": "GET, POST", "subnets": "GET, POST", "ports": "GET, POST",
                      "agents": "GET"}
MEMBER_METHODS = "GET, PUT, DELETE"
JSON_TYPES = ("application/json",)

_SEGMENT_RE = re.compile(r"^[A-Za-z0-9_:.@-]*\Z")


class ApiApp:
    """The ``/v2.0`` application (without authentication; see :func:`build_app`).

    ``dhcp_notifier`` is None until the RPC layer sets an object with
    ``notify(ctx, payload, event)``.
    """

    def __init__(self, plugin: Any, conf: Any):
        self.plugin = plugin
        self.conf = conf
        self.dhcp_notifier: Any = None
        self.controllers = {name: Controller(plugin, name, conf, lambda: self.dhcp_notifier)
                            for name in attributes.RESOURCES}
        self.scheduler = SchedulerController(plugin)

    # ------------------------------------------------------------------ WSGI

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = webob.Request(environ)
        try:
            response = self._dispatch(request)
        except Exception as exc:  # noqa: BLE001 - the error boundary of every request
            response = faults.to_response(exc, request.method, _raw_path(environ))
        ctx = environ.get(auth.ENVIRON_KEY)
        if ctx is not None and ctx.request_id:
            response.headers["X-Openstack-Request-Id"] = ctx.request_id
        return response(environ, start_response)

    def _dispatch(self, request: webob.Request) -> webob.Response:
        parts = _path_segments(_decoded_path(request))
        _check_query(request)
        method = request.method
        if not parts:
            _allow(method, "GET")
            return _json(200, self._versions(request))
        if parts[0] != VERSION:
            raise faults.not_found(f"Unknown path {request.path_info}: the API is under "
                                   f"/{VERSION}")
        parts = parts[1:]
        if not parts:
            _allow(method, "GET")
            return _json(200, self._resources(request))
        if parts[0] == "extensions":
            return self._extensions(method, parts[1:])
        collection = parts[0]
        controller = self.controllers.get(collection)
        if controller is None:
            raise faults.not_found(f"The resource /{VERSION}/{collection} does not exist")
        ctx = _context(request)
        if len(parts) == 1:
            _allow(method, COLLECTION_METHODS[collection])
            if method == "GET":
                # A list's items (a dict and lists per port) have no cycle and are freed
                # when its JSON is made: the collector need not walk them meanwhile.
                with queries.collector_paused():
                    return _json(200, controller.index(request, ctx))
            return _json(201, controller.create(request, ctx, self._body(request)))
        resource_id = _resource_id(controller.resource, parts[1])
        if len(parts) == 2:
            _allow(method, MEMBER_METHODS)
            if method == "GET":
                return _json(200, controller.show(request, ctx, resource_id))
            if method == "PUT":
                return _json(200, controller.update(request, ctx, resource_id,
                                                    self._body(request)))
            controller.delete(request, ctx, resource_id)
            return webob.Response(status=204)
        if parts[2] == tags.SEGMENT:
            return tags.handle(self.plugin, request, ctx, collection, resource_id, parts[2:],
                               lambda: self._body(request), _allow, _json)
        return self._scheduler(request, ctx, collection, resource_id, parts[2:])

    # ------------------------------------------------------------------ documents

    def _versions(self, request: webob.Request) -> dict:
        return {"versions": [{"id": VERSION, "status": "CURRENT", "links": [
            {"rel": "self", "href": f"{request.host_url}/{VERSION}/"}]}]}

    def _resources(self, request: webob.Request) -> dict:
        base = f"{request.host_url}/{VERSION}"
        return {"resources": [
            {"name": attributes.RESOURCES[name][0], "collection": name,
             "links": [{"rel": "self", "href": f"{base}/{name}"}]}
            for name in CORE_COLLECTIONS]}

    def _extensions(self, method: str, parts: list[str]) -> webob.Response:
        _allow(method, "GET")
        extensions = [dict(ext, links=[]) for ext in attributes.EXTENSIONS]
        if not parts:
            return _json(200, {"extensions": extensions})
        if len(parts) == 1:
            for ext in extensions:
                if ext["alias"] == parts[0]:
                    return _json(200, {"extension": ext})
            raise faults.not_found(f"Extension with alias {parts[0]} does not exist")
        raise faults.not_found()

    def _scheduler(self, request: webob.Request, ctx: Context, collection: str,
                   resource_id: str, rest: list[str]) -> webob.Response:
        method = request.method
        if collection == "agents" and rest[0] == "dhcp-networks" and len(rest) == 1:
            _allow(method, "GET, POST")
            if method == "GET":
                return _json(200, self.scheduler.list_networks(ctx, resource_id))
            self.scheduler.add_network(ctx, resource_id, self._body(request))
            return _json(201, None)
        if collection == "agents" and rest[0] == "dhcp-networks" and len(rest) == 2:
            _allow(method, "DELETE")
            network_id = _resource_id("network", rest[1])
            self.scheduler.remove_network(ctx, resource_id, network_id)
            return webob.Response(status=204)
        if collection == "networks" and rest == ["dhcp-agents"]:
            _allow(method, "GET")
            return _json(200, self.scheduler.list_agents(ctx, resource_id))
        raise faults.not_found(f"The resource {request.path_info} does not exist")

    # ------------------------------------------------------------------ bodies

    def _body(self, request: webob.Request) -> Any:
        content_type = request.content_type
        if content_type and content_type not in JSON_TYPES and not content_type.endswith("+json"):
            raise faults.ApiError(415, f"Unsupported Content-Type {content_type!r}; "
                                       "send application/json")
        raw = read_body(request, self.conf.max_request_body_size)
        if not raw.strip():
            raise faults.bad_request("Resource body required")
        try:
            return json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise faults.bad_request(f"Malformed request body: {_json_error(exc)}") from None


# --------------------------------------------------------------------------- helpers

def build_app(plugin: Any, conf: Any) -> tuple[Callable, ApiApp]:
    """The WSGI pipeline (authentication + API) and the bare :class:`ApiApp`.

    The ``ApiApp`` is returned too so the RPC layer can set ``dhcp_notifier``.
    """
    app = ApiApp(plugin, conf)
    return auth.pipeline(app, conf), app


def read_body(request: webob.Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes with 413."""
    too_large = faults.ApiError(
        413, f"Request body is larger than the limit of {limit} bytes "
             "(max_request_body_size)", headers={"Connection": "close"})
    length = request.content_length
    if length is not None:
        if length > limit:
            raise too_large
        return request.body_file_raw.read(length) if length else b""
    if request.headers.get("Transfer-Encoding", "").lower() == "chunked":
        try:
            data = request.body_file_raw.read(limit + 1)
        except (ValueError, OSError) as exc:  # eventlet: bad chunk size, early end
            raise faults.ApiError(400, f"Malformed chunked request body: {exc}",
                                  headers={"Connection": "close"}) from None
        if len(data) > limit:
            raise too_large
        return data
    return b""


def _json_error(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8"
    return str(exc)


def _raw_path(environ: dict) -> str:
    """The request path for logs: never raises, whatever bytes the client sent."""
    raw = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return raw.encode("latin-1", "replace").decode("utf-8", "backslashreplace")


def _decoded_path(request: webob.Request) -> str:
    try:
        return request.path_info
    except UnicodeDecodeError:
        raise faults.bad_request("The request path is not valid UTF-8") from None


def _check_query(request: webob.Request) -> None:
    """Refuse a query string that is not UTF-8 or holds what some database cannot store.

    webob keeps the parsed parameters, so the controllers do not parse them again.
    """
    try:
        params = request.GET
    except UnicodeDecodeError:
        raise faults.bad_request("The query string is not valid UTF-8") from None
    for key, value in params.items():
        if problem := text_problem(key) or text_problem(value):
            raise faults.bad_request(f"Invalid query parameter {key!r}: {problem}")


def _path_segments(path: str) -> list[str]:
    if path.endswith(".json"):
        path = path[:-len(".json")]
    elif path.endswith(".xml"):
        raise faults.ApiError(406, "XML is not supported; use JSON")
    parts = [p for p in path.split("/") if p]
    for index, part in enumerate(parts):
        if index and parts[index - 1] == tags.SEGMENT:
            continue  # a tag: any text, checked by tags.validate_tag
        if not _SEGMENT_RE.match(part):
            raise faults.not_found(f"The resource {path} does not exist")
    return parts


def _resource_id(resource: str, value: str) -> str:
    if not UUID_RE.match(value):
        raise faults.not_found(f"{resource.capitalize()} {value} could not be found: "
                               f"'{value}' is not a valid UUID")
    return value


def _allow(method: str, allowed: str) -> None:
    if method not in [m.strip() for m in allowed.split(",")]:
        raise faults.ApiError(405, f"Method {method} is not allowed here; allowed: {allowed}",
                              headers={"Allow": allowed})


def _context(request: webob.Request) -> Context:
    ctx = request.environ.get(auth.ENVIRON_KEY)
    if ctx is None:
        raise faults.ApiError(401, "Authentication required")
    return ctx


def _default(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _json(status: int, body: Any) -> webob.Response:
    """``body`` as a compact JSON response.

    orjson writes it (UTF-8): a list of 10,000 ports with every field is some 7 MB, which
    the standard encoder took about 130 ms of CPU to write and orjson 9 ms.  What orjson
    refuses but the standard encoder writes (a lone surrogate, an integer beyond 64 bits;
    orjson's error is a TypeError, so an unknown type is tried twice and refused) is
    written by the standard encoder, ASCII-escaped, as before.
    """
    try:
        data = orjson.dumps(body, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)
    except orjson.JSONEncodeError:
        data = json.dumps(body, default=_default, separators=(",", ":"),
                          check_circular=False).encode()
    return webob.Response(status=status, content_type="application/json", charset="UTF-8",
                          body=data)
