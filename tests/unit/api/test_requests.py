"""Request checks that answer before the plugin is involved: bodies, attributes, URLs."""
import json

import pytest
import webob

from quantum_zvm.api import router
from quantum_zvm.common import config

NET = "3f1a2b3c-0000-4000-8000-00000000abcd"


class NoPlugin:
    """Every request here must be refused before a plugin method runs."""

    def __getattr__(self, name):
        raise AssertionError(f"plugin.{name} must not be called")


@pytest.fixture(scope="module")
def app():
    conf = config.new_conf()
    conf([], project="quantum")
    conf.set_override("max_request_body_size", 2048)
    return router.build_app(NoPlugin(), conf)[0]


def call(app, method, path, body=None, headers=None, raw=None):
    request = webob.Request.blank(path, method=method, headers=headers or {})
    if body is not None or raw is not None:
        request.body = raw if raw is not None else json.dumps(body).encode()
        request.content_type = "application/json"
    response = request.get_response(app)
    if response.status_int != 204:
        assert response.content_type == "application/json"
    return response


def error(response):
    error = response.json["NeutronError"]
    assert set(error) == {"type", "message", "detail"}
    assert "Traceback" not in error["message"]
    return error["message"]


@pytest.mark.parametrize("body, status, message", [
    ({"network": {"name": "a", "bogus": 1}}, 400, "Unrecognized attribute(s) 'bogus'"),
    ({"network": {"status": "DOWN"}}, 400, "Attribute 'status' not allowed in POST"),
    ({"network": {"admin_state_up": "perhaps"}}, 400,
     "Invalid input for admin_state_up. Reason: 'perhaps' cannot be converted to boolean."),
    ({"network": {"name": 5}}, 400, "Invalid input for name. Reason: '5' is not a valid string."),
    ({"network": {"provider:segmentation_id": "ten"}}, 400,
     "Invalid input for provider:segmentation_id. Reason: 'ten' is not an integer."),
    ({"network": {"project_id": "a", "tenant_id": "b"}}, 400, "do not match"),
    ({"network": "x"}, 400, "'network' must be an object"),
    ({"netwerk": {}}, 400, "Unable to find 'network' in request body"),
    ({}, 400, "Resource body required"),
    ({"networks": []}, 400, "non-empty list"),
])
def test_bad_network_bodies(app, body, status, message):
    response = call(app, "POST", "/v2.0/networks", body)
    assert response.status_int == status
    assert message in error(response)


def test_required_attribute_and_ipv6(app):
    response = call(app, "POST", "/v2.0/subnets", {"subnet": {"network_id": NET}})
    assert response.status_int == 400
    assert "Required attribute 'ip_version' not specified" in error(response)
    response = call(app, "POST", "/v2.0/subnets", {"subnet": {
        "network_id": NET, "ip_version": 6, "cidr": "fd00::/64"}})
    assert response.status_int == 400 and "IPv6 is not supported" in error(response)


def test_port_attribute_errors(app):
    for port, message in [
            ({"network_id": "nope"}, "'nope' is not a valid UUID"),
            ({"network_id": NET, "mac_address": "zz"}, "not a valid MAC address"),
            ({"network_id": NET, "fixed_ips": [{"ip": "1.2.3.4"}]}, "unexpected key(s) ip"),
            ({"network_id": NET, "binding:profile": {"zvm_userid": "way too long"}},
             "not a z/VM userid")]:
        response = call(app, "POST", "/v2.0/ports", {"port": port})
        assert response.status_int == 400, port
        assert message in error(response)


def test_malformed_json_and_content_type(app):
    response = call(app, "POST", "/v2.0/networks", raw=b'{"network": ')
    assert response.status_int == 400 and "Malformed request body" in error(response)
    response = call(app, "POST", "/v2.0/networks", raw=b"\xff\xfe")
    assert response.status_int == 400
    response = call(app, "POST", "/v2.0/networks", raw=b"[" * 100000)
    assert response.status_int in (400, 413)
    request = webob.Request.blank("/v2.0/networks", method="POST", body=b"name=x")
    request.content_type = "application/x-www-form-urlencoded"
    response = request.get_response(app)
    assert response.status_int == 415 and "application/json" in error(response)


def test_body_over_the_limit_is_413(app):
    response = call(app, "POST", "/v2.0/networks", {"network": {"name": "x" * 3000}})
    assert response.status_int == 413
    assert "max_request_body_size" in error(response)


def test_read_only_attribute_on_update(app):
    response = call(app, "PUT", f"/v2.0/networks/{NET}", {"network": {"status": "DOWN"}})
    assert response.status_int == 400
    assert error(response) == "Cannot update read-only attribute status"
    response = call(app, "PUT", f"/v2.0/networks/{NET}", {"network": {"tenant_id": "x"}})
    assert error(response) == "Cannot update read-only attribute tenant_id"


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/v2.0/networks/not-a-uuid", 404),
    ("DELETE", "/v2.0/ports/1234", 404),
    ("GET", "/v2.0/widgets", 404),
    ("GET", "/v3/networks", 404),
    ("DELETE", "/v2.0/networks", 405),
    ("POST", "/v2.0/agents", 405),
    ("PATCH", f"/v2.0/networks/{NET}", 405),
    ("GET", "/v2.0/networks.xml", 406),
])
def test_urls(app, method, path, status):
    response = call(app, method, path)
    assert response.status_int == status
    assert error(response)
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_bad_list_parameters(app):
    for query, message in [("limit=-1", "Limit must be an integer from 0 to 2147483647"),
                           ("limit=abc", "Limit must be an integer from 0 to 2147483647"),
                           ("limit=2147483648", "Limit must be an integer from 0 to"),
                           ("limit=2&marker=x", "'x' is not a valid UUID"),
                           ("sort_key=fixed_ips", "invalid attribute for sort_key"),
                           ("sort_key=name&sort_dir=up", "invalid value for sort_dir"),
                           ("sort_key=name&sort_dir=asc&sort_dir=desc", "must be the same"),
                           ("admin_state_up=perhaps", "Invalid filter admin_state_up"),
                           ("fixed_ips=mac=1", "Invalid filter fixed_ips")]:
        response = call(app, "GET", f"/v2.0/ports?{query}")
        assert response.status_int == 400, query
        assert message in error(response), query


@pytest.mark.parametrize("path, message", [
    ("/v2.0/networks/%FF", "The request path is not valid UTF-8"),
    ("/v2.0/networks?name=%FF", "The query string is not valid UTF-8"),
    ("/v2.0/networks?name=%ED%A0%80", "The query string is not valid UTF-8"),
    ("/v2.0/networks?name=a%00b", "Invalid query parameter 'name': the string contains a NUL"),
    ("/v2.0/networks?fields=%00", "Invalid query parameter 'fields'"),
    ("/v2.0/networks?provider:segmentation_id=99999999999999999999999", "is out of range"),
    ("/v2.0/subnets?ip_version=18446744073709551616", "is out of range"),
    ("/v2.0/networks?limit=9223372036854775807", "Limit must be an integer from 0 to"),
])
def test_query_and_path_no_database_could_use_are_400(app, path, message):
    response = call(app, "GET", path)
    assert response.status_int == 400
    assert message in error(response)


@pytest.mark.parametrize("raw, message", [
    (b'{"network": {"name": "\\ud800"}}', "lone surrogate"),
    (b'{"network": {"name": "a\\u0000b"}}', "NUL"),
    (b'{"network": {"tenant_id": "\\udfff"}}', "lone surrogate"),
    (b'{"network": {"provider:segmentation_id": 18446744073709551616}}', "out of range"),
    (b'{"network": {"name": "' + b"n" * 256 + b'"}}', "exceeds maximum length of 255"),
])
def test_body_values_no_database_stores_are_400(app, raw, message):
    response = call(app, "POST", "/v2.0/networks", raw=raw)
    assert response.status_int == 400
    assert message in error(response)


@pytest.mark.parametrize("project, message", [
    ("p" * 256, "exceeds maximum length of 255"), ("a\x00b", "NUL")])
def test_project_header_no_database_stores_is_400(app, project, message):
    response = call(app, "GET", "/v2.0/networks", headers={"X-Project-Id": project})
    assert response.status_int == 400
    assert message in error(response) and "project id header" in error(response)


def test_the_error_boundary_survives_an_undecodable_path(app):
    request = webob.Request.blank("/v2.0/networks/x")
    request.environ["PATH_INFO"] = "/v2.0/\xff\xfe"   # latin-1, as a WSGI server passes bytes
    response = request.get_response(app)
    assert response.status_int == 400 and error(response)


def test_documents(app):
    assert call(app, "GET", "/").json["versions"][0]["id"] == "v2.0"
    resources = call(app, "GET", "/v2.0").json["resources"]
    assert [r["collection"] for r in resources] == ["networks", "subnets", "ports"]
    aliases = {e["alias"] for e in call(app, "GET", "/v2.0/extensions.json").json["extensions"]}
    assert aliases == {"provider", "binding", "agent", "agent_scheduler",
                       "standard-attr-description", "standard-attr-timestamp",
                       "standard-attr-revisions", "revision-if-match", "standard-attr-tag",
                       "tag-ports-during-bulk-creation",
                       "net-mtu", "net-mtu-writable", "security-group",
                       "allowed-address-pairs", "subnet_allocation"}
    assert call(app, "GET", "/v2.0/extensions/binding").json["extension"]["alias"] == "binding"
    assert call(app, "GET", "/v2.0/extensions/router").status_int == 404


def test_request_id_header(app):
    response = call(app, "GET", "/v2.0/networks/not-a-uuid")
    assert response.headers["X-Openstack-Request-Id"].startswith("req-")
