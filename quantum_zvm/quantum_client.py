"""A small client of the Quantum v2.0 REST API (what ``quantum-zvm-nic`` needs).

Errors come back as :class:`QuantumApiError` carrying the HTTP status and the
server's message (``{"NeutronError": {"message": ...}}`` or the older string
form), so commands can print what the server said.
"""
from __future__ import annotations

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
    """Calls ``<url>/v2.0``; with noauth the identity headers say who is calling."""

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

    def get_port(self, port_id: str) -> dict:
        return self._call("GET", f"ports/{port_id}")["port"]

    def create_port(self, attrs: dict) -> dict:
        return self._call("POST", "ports", {"port": attrs})["port"]

    def update_port(self, port_id: str, attrs: dict) -> dict:
        return self._call("PUT", f"ports/{port_id}", {"port": attrs})["port"]

    def delete_port(self, port_id: str) -> None:
        self._call("DELETE", f"ports/{port_id}")

    def list_ports(self, **filters: Any) -> list[dict]:
        return self._call("GET", "ports", params=filters)["ports"]

    def get_network(self, id_or_name: str) -> dict:
        """A network by id, else by a unique name."""
        try:
            return self._call("GET", f"networks/{id_or_name}")["network"]
        except QuantumApiError as exc:
            if exc.status not in (400, 404):
                raise
        found = self._call("GET", "networks", params={"name": id_or_name})["networks"]
        if len(found) != 1:
            raise QuantumApiError(404, f"network {id_or_name!r}: "
                                       f"{'no such network' if not found else 'name is not unique'}")
        return found[0]

    def list_networks(self, **filters: Any) -> list[dict]:
        return self._call("GET", "networks", params=filters)["networks"]
