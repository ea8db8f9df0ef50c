"""The simulator's WSGI application: ``/xcatws`` (with faults, latency and
counters), ``/_sim`` (control plane), and state persistence after changes.

Every ``/xcatws`` request runs as the CGI would behind Apache: zvmxcatws.cgi
(xcatws.cgi at xcat-core tag 2.8.3, ccb66ff79: ``sendRequest`` reads until
xcatd's ``serverdone``, ``sendResponseMsg`` then prints header and body) writes
nothing before xcatd's last message, so when the request (its REST latency
included) outlasts ``faults.cgi_timeout`` (Apache's ``Timeout``) the client
gets Apache's 504 page at that moment while the request runs on to its end
in its own thread: the commands complete and the state changes.

Faults that need the socket (connection reset, silent timeout, truncated
body) use ``environ["xcat.sim.socket"]``, which the simulator's own server
provides; under another WSGI server they degrade to an HTTP 500/504.
"""
from __future__ import annotations

import json
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from xcat.simulator import rest
from xcat.simulator.control import PREFIX as CONTROL_PREFIX
from xcat.simulator.control import Control
from xcat.simulator.core import Simulator, first_command
from xcat.simulator.rest import HttpError, Reply, XcatRest, request_from_environ, status_line
from xcat.simulator.state import StateStore

LOG = logging.getLogger(__name__)
NON_JSON_BODY = (b"<html><head><title>xCAT</title></head><body>"
                 b"<p>Internal error: the request could not be completed.</p></body></html>\n")


class AbortConnection(Exception):
    """Raised after the socket was reset or closed on purpose: send nothing."""


def _abort(environ: dict[str, Any], reset: bool) -> None:
    sock = environ.get("xcat.sim.socket")
    if sock is None:
        raise HttpError(500 if reset else 504, "connection fault injected")
    try:
        if reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass
    raise AbortConnection()


def _log_late_failure(future: Future) -> None:
    """A request that failed after its client got the 504 (nobody else will see it)."""
    if future.exception() is not None:
        LOG.error("xcatws request failed after its CGI timeout", exc_info=future.exception())


def classify(request: rest.Request) -> None:
    """Fill ``request.info`` (resource, table, node, function) before handling,
    for fault matching and counters."""
    parts = request.parts
    info = request.info
    info["method"] = request.method
    resource = parts[0] if parts else ""
    if resource == "nodes" and len(parts) > 2:
        resource = f"nodes/{parts[2]}"
    elif resource == "networks" and len(parts) > 1:
        resource = f"networks/{parts[1]}"
    info["resource"] = resource
    if parts and parts[0] == "tables" and len(parts) > 1:
        info["table"] = parts[1]
    if parts and parts[0] in ("nodes", "vms") and len(parts) > 1:
        info["node"] = parts[1]
    if resource == "nodes/dsh" and request.body:
        try:
            strings = json.loads(request.body.decode("utf-8"))
            command = next((s.partition("=")[2] for s in strings
                            if isinstance(s, str) and s.startswith("command=")), "")
            info["function"] = first_command(command)
        except (UnicodeDecodeError, ValueError, TypeError, AttributeError):
            pass


class SimulatorApp:
    def __init__(self, sim: Simulator, store: StateStore | None = None):
        self.sim = sim
        self.store = store
        self.xcat = XcatRest(sim)
        self.control = Control(sim)

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        body = self._read_body(environ)
        try:
            if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
                reply = self._control(environ["REQUEST_METHOD"], path, body)
            elif path == rest.PREFIX or path.startswith(rest.PREFIX + "/"):
                return self._xcat(environ, body, start_response)
            else:
                reply = Reply(404, b"Not Found\n", "text/plain")
            self._persist()
        except AbortConnection:
            raise
        except Exception as exc:     # a bug must not kill the connection silently
            LOG.exception("simulator error on %s %s", environ.get("REQUEST_METHOD"), path)
            body_text = (rest.APACHE_500 if path.startswith(rest.PREFIX)
                         else json.dumps({"error": f"internal error: {type(exc).__name__}"}))
            reply = Reply(500, body_text.encode("utf-8"),
                          "text/html" if path.startswith(rest.PREFIX) else "application/json")
        return self._send(reply, start_response)

    @staticmethod
    def _read_body(environ: dict[str, Any]) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        return environ["wsgi.input"].read(length) if length > 0 else b""

    @staticmethod
    def _send(reply: Reply, start_response: Callable[..., Any],
              length: int | None = None) -> list[bytes]:
        headers = [("Content-Type", reply.content_type),
                   ("Content-Length", str(len(reply.body) if length is None else length))]
        start_response(status_line(reply.status), headers)
        return [reply.body]

    def _control(self, method: str, path: str, body: bytes) -> Reply:
        try:
            return self.control.handle(method, path, body)
        except HttpError as exc:
            return Reply(exc.status, exc.body.encode("utf-8"), exc.content_type)

    def _persist(self) -> None:
        if self.store is not None:
            self.store.save_if_changed(self.sim)

    def _handle(self, request: rest.Request, delay: float) -> Reply:
        """The CGI's work: its latency, then the request against the model."""
        if delay:
            time.sleep(delay)
        try:
            reply = self.xcat.handle(request)
        except HttpError as exc:
            reply = Reply(exc.status, exc.body.encode("utf-8"), exc.content_type)
        self._persist()
        return reply

    def _cgi(self, request: rest.Request, delay: float) -> Reply:
        """:meth:`_handle` under Apache's ``Timeout`` (see the module docstring)."""
        timeout = self.sim.faults.cgi_timeout
        if timeout is None:
            return self._handle(request, delay)
        future: Future = Future()

        def work() -> None:
            try:
                future.set_result(self._handle(request, delay))
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits
                future.set_exception(exc)
        threading.Thread(target=work, name="xcatws-cgi", daemon=True).start()
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.add_done_callback(_log_late_failure)
            return Reply(504, rest.APACHE_504.encode("utf-8"), "text/html; charset=iso-8859-1")

    def _xcat(self, environ: dict[str, Any], body: bytes,
              start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self.sim.counters.busy("rest"):
            return self._xcat_request(environ, body, start_response)

    def _xcat_request(self, environ: dict[str, Any], body: bytes,
                      start_response: Callable[..., Any]) -> Iterable[bytes]:
        sim = self.sim
        request = request_from_environ(environ, body)
        classify(request)
        info = {k: v for k, v in request.info.items() if v is not None}
        faults = sim.faults
        status = 0
        sent = 0
        try:
            outage = faults.take(("outage",), **info)
            if outage is not None:
                if outage.params["mode"] == "reset":
                    _abort(environ, reset=True)
                raise HttpError(503, "Service Unavailable")
            delay = faults.rest_delay()
            rule = faults.take(("http_error", "reset", "timeout", "truncate", "non_json"), **info)
            if rule is not None and rule.kind == "http_error":
                raise HttpError(rule.params["status"],
                                f"{status_line(rule.params['status'])}: fault injected")
            if rule is not None and rule.kind == "reset":
                _abort(environ, reset=True)
            if rule is not None and rule.kind == "timeout":
                time.sleep(delay + rule.params["seconds"])
                _abort(environ, reset=False)
            reply = self._cgi(request, delay)
            status = reply.status
            if rule is not None and rule.kind == "non_json":
                reply = Reply(200, NON_JSON_BODY, "application/json")
                status = 200
            if rule is not None and rule.kind == "truncate":
                cut = reply.body[:max(1, len(reply.body) // 2)]
                sent = len(cut)
                environ["xcat.sim.close"] = True
                return self._send(Reply(reply.status, cut, reply.content_type),
                                  start_response, length=len(reply.body))
            sent = len(reply.body)
            return self._send(reply, start_response)
        except HttpError as exc:
            status = exc.status
            reply = Reply(exc.status, exc.body.encode("utf-8"), exc.content_type)
            sent = len(reply.body)
            return self._send(reply, start_response)
        finally:
            sim.counters.record_rest(request.method, request.info.get("resource") or "",
                                     request.info.get("table"), request.info.get("function"),
                                     status, len(body), sent)
