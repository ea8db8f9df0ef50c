"""queries.collector_paused: the cyclic garbage collector off while a long list is built."""
import gc

import pytest

from quantum_zvm.db import queries


def test_collector_paused_restores_the_collector_also_after_an_error():
    assert gc.isenabled()
    with queries.collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), queries.collector_paused():
        raise ValueError
    assert gc.isenabled()


def test_collector_paused_leaves_a_collector_that_was_off_off():
    gc.disable()
    try:
        with queries.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_port_list_leaves_the_collector_on(plugin, admin_ctx):
    network = plugin.create_network(admin_ctx, {"network": {"name": "n"}})
    plugin.create_port(admin_ctx, {"port": {"network_id": network["id"]}})
    assert len(plugin.get_ports(admin_ctx)) == 1 and gc.isenabled()
