"""Dispatch and version semantics of reference §3.4."""
import pytest

from quantum_zvm.rpc import errors
from quantum_zvm.rpc.dispatcher import Dispatcher


class V10:
    RPC_API_VERSION = "1.0"

    def both(self, ctx, x):
        return ("v10", ctx, x)

    def only10(self, ctx):
        return "only10"


class V11:
    RPC_API_VERSION = "1.1"

    def both(self, ctx, x):
        return ("v11", ctx, x)

    def _private(self, ctx):
        return "private"


class V20:
    RPC_API_VERSION = "2.0"

    def two(self, ctx):
        return "two"


def test_first_compatible_endpoint_with_the_method_wins():
    d = Dispatcher([V10(), V11()])
    assert d.dispatch("ctx", "1.0", "both", {"x": 1}) == ("v10", "ctx", 1)
    assert d.dispatch("ctx", "1.1", "both", {"x": 2}) == ("v11", "ctx", 2)
    assert d.dispatch("ctx", None, "only10", {}) == "only10"


def test_compatible_but_missing_method_is_attribute_error():
    with pytest.raises(AttributeError, match="No such RPC function 'nope'"):
        Dispatcher([V10(), V11()]).dispatch(None, "1.0", "nope", {})


def test_private_and_dunder_names_are_not_callable_remotely():
    d = Dispatcher([V11()])
    for name in ("_private", "__init__", "__class__"):
        with pytest.raises(AttributeError):
            d.dispatch(None, "1.0", name, {})


def test_no_compatible_endpoint_is_unsupported_version():
    with pytest.raises(errors.UnsupportedRpcVersion):
        Dispatcher([V10(), V11()]).dispatch(None, "1.2", "both", {"x": 1})
    with pytest.raises(errors.UnsupportedRpcVersion):
        Dispatcher([V10()]).dispatch(None, "2.0", "two", {})
    assert Dispatcher([V10(), V20()]).dispatch(None, "2.0", "two", {}) == "two"


def test_wrong_arguments_raise_type_error():
    with pytest.raises(TypeError):
        Dispatcher([V10()]).dispatch(None, "1.0", "both", {"y": 1})


class Typed:
    RPC_API_VERSION = "1.0"

    def call(self, ctx, name: str, vlan: int | None = None, ids: list[str] | None = None,
             port: dict | None = None, anything=None):
        return name


@pytest.mark.parametrize("args, message", [
    ({"name": 1}, "call: name must be str, not int 1"),
    ({"name": "x", "vlan": "100"}, "call: vlan must be int or null, not str '100'"),
    ({"name": "x", "vlan": True}, "call: vlan must be int or null, not bool True"),
    ({"name": "x", "ids": ["a", 2]}, "call: ids must be a list of str or null"),
    ({"name": "x", "ids": "abc"}, "call: ids must be a list of str or null, not str"),
    ({"name": "x", "port": ["a"]}, "call: port must be an object or null, not list"),
    ({}, "call: missing a required argument: 'name'"),
    ({"name": "x", "bogus": 1}, "call: got an unexpected keyword argument 'bogus'"),
])
def test_arguments_of_the_wrong_type_or_name_are_invalid_arguments(args, message):
    with pytest.raises(errors.InvalidArguments) as info:
        Dispatcher([Typed()]).dispatch(None, "1.0", "call", args)
    assert str(info.value).startswith(message)
    assert isinstance(info.value, TypeError)


def test_well_typed_and_unannotated_arguments_pass():
    d = Dispatcher([Typed()])
    assert d.dispatch(None, "1.0", "call", {"name": "x", "vlan": 5, "ids": ["a"],
                                            "port": {"a": 1}, "anything": object()}) == "x"
    assert d.dispatch(None, "1.0", "call", {"name": "x", "vlan": None}) == "x"
