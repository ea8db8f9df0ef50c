"""The request context from identity headers (noauth and keystone strategies)."""
import importlib.util

import pytest

from quantum_zvm.api import auth, faults
from quantum_zvm.common import config


def ctx(headers, strategy="noauth"):
    environ = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    return auth.context_from_environ(environ, strategy, "admin")


def test_no_identity_headers_is_admin_of_default_project():
    context = ctx({})
    assert context.is_admin and context.tenant_id == "admin"
    assert context.request_id.startswith("req-")


def test_project_headers_make_a_tenant_context():
    context = ctx({"X-Project-Id": "t1", "X-User-Id": "u1"})
    assert (context.tenant_id, context.user_id, context.is_admin) == ("t1", "u1", False)
    assert ctx({"X-Tenant-Id": "t2"}).tenant_id == "t2"


def test_admin_role_from_x_roles():
    context = ctx({"X-Project-Id": "t1", "X-Roles": "member, admin"})
    assert context.is_admin and context.roles == ["member", "admin"]
    assert not ctx({"X-Project-Id": "t1", "X-Roles": "member"}).is_admin


def test_keystone_requires_confirmed_identity():
    with pytest.raises(faults.ApiError) as info:
        ctx({"X-Project-Id": "t1", "X-Roles": "admin"}, strategy="keystone")
    assert info.value.status == 401
    confirmed = ctx({"X-Identity-Status": "Confirmed", "X-Project-Id": "t1"}, "keystone")
    assert confirmed.tenant_id == "t1" and not confirmed.is_admin
    # No headers under keystone is never an admin.
    with pytest.raises(faults.ApiError):
        ctx({}, strategy="keystone")


def test_keystone_without_keystonemiddleware_is_a_clear_error():
    if importlib.util.find_spec("keystonemiddleware") is not None:
        pytest.skip("keystonemiddleware (an optional extra) is installed")
    conf = config.new_conf()
    conf([], project="quantum")
    conf.set_override("auth_strategy", "keystone")
    with pytest.raises(auth.KeystoneUnavailable, match="needs keystonemiddleware"):
        auth.pipeline(lambda e, s: [], conf)
