"""unknown_method: how each kind of server says it lacks a method (the agent's mode probe)."""
from __future__ import annotations

import json

import pytest

from quantum_zvm.rpc import errors, wire


def failure(module: str, cls: str, message: str) -> BaseException:
    return wire.deserialize_failure(json.dumps(
        {"class": cls, "module": module, "message": message, "tb": [], "args": [message]}))


@pytest.mark.parametrize("exc", [
    # neutron 29 (oslo.messaging): method missing, or no endpoint of the version
    failure("oslo_messaging.rpc.dispatcher", "NoSuchMethod",
            "Endpoint does not support RPC method get_ports_bound_to_host"),
    failure("oslo_messaging.rpc.dispatcher", "UnsupportedVersion",
            "Endpoint does not support RPC version 1.1"),
    # Grizzly and quantum-zvm-server
    failure("builtins", "AttributeError", "No such RPC function 'record_zvm_bindings'"),
    failure("quantum_zvm.rpc.errors", "UnsupportedRpcVersion", "no endpoint of 1.1"),
])
def test_a_missing_method_is_recognised(exc):
    assert errors.unknown_method(exc)


@pytest.mark.parametrize("exc", [
    errors.RpcTimeout("timed out"),
    errors.RpcConnectionError("no broker"),
    failure("builtins", "AttributeError", "'NoneType' object has no attribute 'id'"),
    failure("neutron_lib.exceptions", "PortNotFound", "Port x could not be found"),
    failure("oslo_messaging.rpc.dispatcher", "ExpectedException", ""),
])
def test_other_failures_are_not(exc):
    assert not errors.unknown_method(exc)
