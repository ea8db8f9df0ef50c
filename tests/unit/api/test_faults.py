"""Error bodies: Quantum exceptions keep their status; anything else is a generic 500."""
import json
import logging

import webob

from quantum_zvm.api import faults, router
from quantum_zvm.common import config, exceptions


class BrokenPlugin:
    def get_networks(self, ctx, **kwargs):
        raise RuntimeError("db password=hunter2 at /srv/secret.py line 3")

    def get_ports(self, ctx, **kwargs):
        raise exceptions.DatabaseUnavailable(reason="connection refused")

    def get_subnets(self, ctx, **kwargs):
        raise NotImplementedError("subnet listing is not implemented")


def app():
    conf = config.new_conf()
    conf([], project="quantum")
    return router.build_app(BrokenPlugin(), conf)[0]


def get(path):
    return webob.Request.blank(path).get_response(app())


def test_unexpected_exception_is_a_generic_500_with_the_traceback_in_the_log(caplog):
    with caplog.at_level(logging.ERROR, logger="quantum_zvm.api.faults"):
        response = get("/v2.0/networks")
    assert response.status_int == 500
    assert response.json == {"NeutronError": {
        "type": "HTTPInternalServerError", "message": faults.GENERIC_500, "detail": ""}}
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert "RuntimeError" in caplog.text and "GET /v2.0/networks failed" in caplog.text


def test_quantum_exception_keeps_status_type_and_message():
    response = get("/v2.0/ports")
    assert response.status_int == 503
    error = response.json["NeutronError"]
    assert error["type"] == "DatabaseUnavailable"
    assert error["message"] == "The database is unavailable: connection refused"


def test_not_implemented_is_501():
    response = get("/v2.0/subnets")
    assert response.status_int == 501
    assert json.loads(response.body)["NeutronError"]["type"] == "NotImplementedError"


def test_error_response_shape():
    response = faults.error_response(409, "busy", "Conflict")
    assert response.content_type == "application/json"
    assert response.json == {"NeutronError": {"type": "Conflict", "message": "busy",
                                              "detail": ""}}
