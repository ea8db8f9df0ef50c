"""Policy rules: admin-only attributes, ownership, tenant_id of others."""
import pytest

from quantum_zvm.api import attributes, faults, policy
from quantum_zvm.common import exceptions
from quantum_zvm.common.constants import ATTR_NOT_SPECIFIED
from quantum_zvm.common.context import Context

ADMIN = Context(tenant_id="admin", roles=["admin"])
T1 = Context(tenant_id="t1", user_id="u1")


def test_visible_keys_hide_provider_and_binding_from_tenants():
    tenant_keys = policy.visible_keys(attributes.NETWORKS, T1)
    assert "provider:network_type" not in tenant_keys and "project_id" in tenant_keys
    assert "provider:network_type" in policy.visible_keys(attributes.NETWORKS, ADMIN)
    assert "binding:host_id" not in policy.visible_keys(attributes.PORTS, T1)
    assert "shared" not in policy.visible_keys(attributes.SUBNETS, ADMIN)
    assert policy.visible_keys(attributes.PORTS, ADMIN, ["id", "status", "nonsense"]) == \
        {"id", "status"}


def net_attrs(**overrides):
    attrs = {"name": "", "admin_state_up": True, "shared": False, "tenant_id": "t1",
             "provider:network_type": ATTR_NOT_SPECIFIED,
             "provider:physical_network": ATTR_NOT_SPECIFIED,
             "provider:segmentation_id": ATTR_NOT_SPECIFIED}
    attrs.update(overrides)
    return attrs


def test_create_rules():
    policy.check_create(T1, "network", attributes.NETWORKS, net_attrs())
    policy.check_create(ADMIN, "network", attributes.NETWORKS,
                        net_attrs(shared=True, tenant_id="t9", **{"provider:network_type": "flat"}))
    with pytest.raises(exceptions.PolicyNotAuthorized, match="create_network:shared"):
        policy.check_create(T1, "network", attributes.NETWORKS, net_attrs(shared=True))
    with pytest.raises(exceptions.PolicyNotAuthorized, match="provider:network_type"):
        policy.check_create(T1, "network", attributes.NETWORKS,
                            net_attrs(**{"provider:network_type": "vlan"}))
    with pytest.raises(faults.ApiError, match="requires admin privileges") as info:
        policy.check_create(T1, "network", attributes.NETWORKS, net_attrs(tenant_id="t2"))
    assert info.value.status == 400


def test_modify_needs_owner_and_hides_others():
    mine, shared_other = {"id": "n1", "tenant_id": "t1"}, {"id": "n2", "tenant_id": "t2"}
    policy.check_update(T1, "network", attributes.NETWORKS, mine, {"name": "x"})
    with pytest.raises(faults.ApiError) as info:
        policy.check_modify(T1, "network", shared_other)
    assert info.value.status == 404
    with pytest.raises(exceptions.PolicyNotAuthorized):
        policy.check_update(T1, "network", attributes.NETWORKS, mine, {"shared": True})
    policy.check_modify(ADMIN, "network", shared_other)


def test_port_mac_and_fixed_ips_need_network_owner():
    attrs = {"mac_address": "fa:16:3e:00:00:01", "fixed_ips": ATTR_NOT_SPECIFIED}
    assert policy.needs_network_owner(T1, attrs) and not policy.needs_network_owner(ADMIN, attrs)
    assert not policy.needs_network_owner(T1, {"mac_address": ATTR_NOT_SPECIFIED})
    policy.check_port_network_owner(T1, "create", attrs, {"tenant_id": "t1"})
    with pytest.raises(exceptions.PolicyNotAuthorized, match="create_port:mac_address"):
        policy.check_port_network_owner(T1, "create", attrs, {"tenant_id": "t2"})


def test_agents_are_admin_only():
    assert not policy.may_access_collection(T1, "agents")
    assert policy.may_access_collection(ADMIN, "agents")
    assert policy.may_access_collection(T1, "ports")
