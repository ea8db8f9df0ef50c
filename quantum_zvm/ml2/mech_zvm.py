"""ML2 mechanism driver ``zvm``: binds ports to the z/VM agent of the port's host.

A port is bound on a host whose alive agent of type ``z/VM agent`` (what
``quantum-zvm-agent`` reports) maps the segment's physical network, i.e. lists
the vswitch in ``configurations.vswitch_mappings``; the binding gets vif type
``zvm``.  Network types: local, flat and vlan, as the upstream z/VM driver
(openstack-archive/networking-zvm 7a87bcd,
``neutron/plugins/ml2/drivers/zvm/mech_zvm.py``); the agent itself refuses a
port on a local network with a reason (z/VM has no host-local network), so a
local network binds but its ports end DOWN with that reason in the agent's
``configurations.errors``.

Everything the binding needs comes from
``neutron.plugins.ml2.drivers.mech_agent.SimpleAgentMechanismDriverBase``
(neutron 29.0.0): agent liveness, vnic type ``normal``, segment checks through
:meth:`get_mappings` and :meth:`get_allowed_network_types`, and the L2
provisioning block that keeps a port out of ACTIVE until the agent calls
``update_device_up``.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from neutron.plugins.ml2.drivers import mech_agent
from neutron_lib.api.definitions import portbindings

from quantum_zvm.common import constants


class ZvmMechanismDriver(mech_agent.SimpleAgentMechanismDriverBase):
    """Attach ports to z/VM vswitches through ``quantum-zvm-agent``."""

    def __init__(self) -> None:
        super().__init__(constants.AGENT_TYPE_ZVM, constants.VIF_TYPE_ZVM,
                         {portbindings.CAP_PORT_FILTER: False})

    @property
    def connectivity(self) -> str:
        return portbindings.CONNECTIVITY_L2

    def get_allowed_network_types(self, agent: Mapping[str, Any] | None = None) -> list[str]:
        return [constants.TYPE_LOCAL, constants.TYPE_FLAT, constants.TYPE_VLAN]

    def get_mappings(self, agent: Mapping[str, Any]) -> Mapping[str, Any]:
        """The vswitches the agent reported (``{"VSW1": ["100:199"], "FLATSW": []}``)."""
        mappings = (agent.get("configurations") or {}).get("vswitch_mappings")
        return mappings if isinstance(mappings, Mapping) else {}
