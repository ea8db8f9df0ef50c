"""A small client of the Quantum v2.0 REST API (``quantum-zvm-nic`` and the demo use it).

Errors come back as :class:`QuantumApiError` carrying the HTTP status and the
server's message (``{"NeutronError": {"message": ...}}`` or the older string
form), so commands can print what the server said.
"""
from __future__ import annotations

import builtins
from typing import Any

import requests


class QuantumApiError(Exception):
    """A REST call failed: ``status`` (None when the server was unreachable) and message."""

    def __init__(self, status: int | None, message: str):
        super().__init__(message)
        self.status = status


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason
    error = body.get("NeutronError", body.get("QuantumError")) if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error or body)


class QuantumClient:
    """Calls ``<url>/v2.0``; with noauth the identity headers say who is calling
    (``admin=False`` and no ``project_id``: no headers, the admin of noauth's default
    project)."""

    def __init__(self, url: str, *, token: str | None = None, project_id: str | None = None,
                 admin: bool = True, timeout: float = 30.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        headers = {"Accept": "application/json"}
        if token:
            headers["X-Auth-Token"] = token
        if project_id:
            headers["X-Project-Id"] = project_id
        if admin:
            headers["X-Roles"] = "admin"
        self.session.headers.update(headers)

    def _call(self, method: str, path: str, body: dict | None = None,
              params: Any = None) -> dict:
        try:
            response = self.session.request(method, f"{self.url}/v2.0/{path}", json=body,
                                            params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise QuantumApiError(None, f"cannot reach the Quantum API at {self.url}: "
                                        f"{exc.__class__.__name__}") from exc
        if response.status_code >= 400:
            raise QuantumApiError(response.status_code, _error_message(response))
        return response.json() if response.content else {}

    def close(self) -> None:
        self.session.close()

    # ------------------------------------------------------------------ any resource
    def create(self, resource: str, attrs: dict) -> dict:
        """POST ``<resource>s``: the created ``resource`` (``network``, ``subnet``, ``port``)."""
        return self._call("POST", f"{resource}s", {resource: attrs})[resource]

    def show(self, resource: str, ident: str) -> dict:
        return self._call("GET", f"{resource}s/{ident}")[resource]

    def update(self, resource: str, ident: str, attrs: dict) -> dict:
        return self._call("PUT", f"{resource}s/{ident}", {resource: attrs})[resource]

    def delete(self, resource: str, ident: str) -> None:
        self._call("DELETE", f"{resource}s/{ident}")

    def list(self, resource: str, **filters: Any) -> list[dict]:
        """GET ``<resource>s`` with ``filters`` as the query (a list value repeats the key).

        Below this method, ``list`` in the class body names it: annotations there
        spell the type ``builtins.list``."""
        return self._call("GET", f"{resource}s", params=filters)[f"{resource}s"]

    # ------------------------------------------------------------------ ports and networks
    def get_port(self, port_id: str) -> dict:
        return self.show("port", port_id)

    def create_port(self, attrs: dict) -> dict:
        return self.create("port", attrs)

    def update_port(self, port_id: str, attrs: dict) -> dict:
        return self.update("port", port_id, attrs)

    def delete_port(self, port_id: str) -> None:
        self.delete("port", port_id)

    def list_ports(self, **filters: Any) -> builtins.list[dict]:
        return self.list("port", **filters)

    def get_network(self, id_or_name: str) -> dict:
        """A network by id, else by a unique name."""
        try:
            return self.show("network", id_or_name)
        except QuantumApiError as exc:
            if exc.status not in (400, 404):
                raise
        found = self.list("network", name=id_or_name)
        if len(found) != 1:
            why = "no such network" if not found else "name is not unique"
            raise QuantumApiError(404, f"network {id_or_name!r}: {why}")
        return found[0]

    def list_networks(self, **filters: Any) -> builtins.list[dict]:
        return self.list("network", **filters)
