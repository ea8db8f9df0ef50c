"""The simulator's ``/_sim`` control plane over HTTP (the REST API is
:class:`quantum_zvm.quantum_client.QuantumClient`)."""
from __future__ import annotations

from typing import Any

import requests

TIMEOUT = 30.0


class ApiError(Exception):
    """A control-plane call failed; the message carries the method, path, status and
    server message."""


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300]
    if isinstance(body, dict):
        for key in ("NeutronError", "QuantumError"):
            if isinstance(body.get(key), dict):
                return str(body[key].get("message", body[key]))
        if "error" in body:
            return str(body["error"])
    return str(body)[:300]


class _Http:
    def __init__(self, base: str, verify: Any = True):
        self.base = base.rstrip("/")
        self.verify = verify
        self.session = requests.Session()

    def call(self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200,)) -> Any:
        try:
            # verify per request: a session's own setting loses to REQUESTS_CA_BUNDLE
            response = self.session.request(method, self.base + path, json=body,
                                            timeout=TIMEOUT, verify=self.verify)
        except requests.RequestException as exc:
            raise ApiError(f"{method} {self.base}{path}: {exc}") from None
        if response.status_code not in ok:
            raise ApiError(f"{method} {path}: HTTP {response.status_code}: "
                           f"{_error_text(response)}")
        return response.json() if response.content else None

    def close(self) -> None:
        self.session.close()


class SimControl(_Http):
    """``xcat-zvm-simulator``'s control plane (``/_sim``): state, counters, events, set-up."""

    def __init__(self, url: str, verify: Any = True):
        super().__init__(url + "/_sim", verify)

    def health(self) -> dict:
        return self.call("GET", "/health")

    def state(self) -> dict:
        return self.call("GET", "/state")

    def counters(self) -> dict:
        return self.call("GET", "/counters")

    def reset_counters(self) -> None:
        self.call("POST", "/counters/reset")

    def fire(self, event: str, **extra: Any) -> dict:
        return self.call("POST", "/events", {"event": event, **extra})

    def add_vswitch(self, spec: dict) -> dict:
        return self.call("POST", "/vswitches", spec, ok=(201,))
