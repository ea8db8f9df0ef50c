"""Authentication: the request context from identity headers.

``auth_strategy = noauth`` (default) trusts the headers a client sends:
``X-Project-Id`` (or ``X-Tenant-Id``), ``X-User-Id``, ``X-Roles`` (comma
list; ``admin`` makes an admin context).  A request with none of them is an
admin of ``noauth_default_project``: that is what ``openstack --os-auth-type
none`` and openstacksdk without keystone send.  The project id must be
a tenant id every database stores (:data:`attributes.TENANT_ID`), else the
answer is 400.

``auth_strategy = keystone`` puts keystonemiddleware's ``auth_token`` in
front (options in ``[keystone_authtoken]``); it validates the token and sets
the same headers, and requests it did not confirm are refused with 401.
keystonemiddleware is an optional dependency (``pip install quantum-zvm[keystone]``).
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from oslo_config import cfg

from quantum_zvm.api import attributes, faults
from quantum_zvm.common.context import Context

ENVIRON_KEY = "quantum.context"
NOAUTH = "noauth"
KEYSTONE = "keystone"

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]

_PROJECT_HEADERS = ("HTTP_X_PROJECT_ID", "HTTP_X_TENANT_ID", "HTTP_X_TENANT")
_USER_HEADERS = ("HTTP_X_USER_ID", "HTTP_X_USER")


class KeystoneUnavailable(RuntimeError):
    """auth_strategy = keystone but keystonemiddleware is not installed."""


def _first(environ: dict, names: Iterable[str]) -> str | None:
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return value
    return None


def context_from_environ(environ: dict, strategy: str, default_project: str) -> Context:
    """The caller's context; raises ApiError(401) for unconfirmed keystone requests."""
    request_id = "req-" + str(uuid.uuid4())
    if strategy == KEYSTONE and environ.get("HTTP_X_IDENTITY_STATUS") != "Confirmed":
        raise faults.ApiError(401, "Authentication required")
    project = _first(environ, _PROJECT_HEADERS)
    if project is not None and (problem := attributes.TENANT_ID(project)):
        raise faults.bad_request(f"Invalid project id header: {problem}")
    user = _first(environ, _USER_HEADERS)
    roles_header = environ.get("HTTP_X_ROLES")
    if strategy == NOAUTH and project is None and user is None and roles_header is None:
        return Context(user_id=None, tenant_id=default_project, roles=["admin"],
                       request_id=request_id)
    roles = [r.strip() for r in (roles_header or "").split(",") if r.strip()]
    return Context(user_id=user, tenant_id=project, roles=roles, request_id=request_id)


class ContextMiddleware:
    """Puts the caller's :class:`Context` into ``environ['quantum.context']``."""

    def __init__(self, app: WsgiApp, strategy: str, default_project: str):
        self.app = app
        self.strategy = strategy
        self.default_project = default_project

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        try:
            environ[ENVIRON_KEY] = context_from_environ(environ, self.strategy,
                                                        self.default_project)
        except faults.ApiError as exc:
            return faults.to_response(exc)(environ, start_response)
        return self.app(environ, start_response)


def keystone_filter(app: WsgiApp, conf: cfg.ConfigOpts) -> WsgiApp:
    """keystonemiddleware's auth_token around ``app``, configured from ``conf``."""
    try:
        from keystonemiddleware import auth_token
    except ImportError as exc:
        raise KeystoneUnavailable(
            "auth_strategy = keystone needs keystonemiddleware, which is not installed "
            "(pip install 'quantum-zvm[keystone]'), or set auth_strategy = noauth") from exc
    return auth_token.AuthProtocol(app, {"oslo_config_config": conf})


def pipeline(app: WsgiApp, conf: cfg.ConfigOpts) -> WsgiApp:
    """``app`` behind the authentication configured by ``auth_strategy``."""
    wrapped: WsgiApp = ContextMiddleware(app, conf.auth_strategy, conf.noauth_default_project)
    if conf.auth_strategy == KEYSTONE:
        wrapped = keystone_filter(wrapped, conf)
    return wrapped
