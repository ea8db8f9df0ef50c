"""Plugin-side RPC endpoints served on ``q-plugin`` and ``q-reports-plugin``
(reference §3.2, §4.1; neutron's current agent API where cited).

:func:`endpoints` returns, in dispatch order:

- :class:`PluginRpcCallbacks` (``RPC_API_VERSION`` 1.1): the L2 agent API
  (``get_device_details``, ``get_devices_details_list``, ``update_device_up``,
  ``update_device_down``, all with optional ``host``) and the z/VM calls
  (``get_ports_bound_to_host``, ``record_zvm_binding``, ``record_zvm_bindings``);
- :class:`DhcpRpcCallback` (1.10): the DHCP agent API of Quantum
  (``get_active_networks``, ``get_active_networks_info``, ``get_network_info``,
  ``get_dhcp_port``, ``create_dhcp_port``, ``update_dhcp_port``,
  ``release_dhcp_port``, ``release_port_fixed_ip``, ``update_lease_expiration``)
  and of neutron 29's ``neutron-dhcp-agent`` (``enable_dhcp_filter``,
  ``get_dhcp_port(port_id)``, ``dhcp_ready_on_ports``, ``get_ports``,
  ``get_networks``, with the fields it reads);
- :class:`AgentExtRpcCallback` (1.4): ``report_state``, ``has_alive_neutron_server``,
  ``get_agents``, ``delete_agent``.

Versions are negotiated as in Quantum and oslo.messaging: an endpoint of 1.x
serves callers asking for 1.0 to 1.x.  RPC namespaces are not checked.

Every method delegates to the plugin (no database code here).  The RPC bus
is trusted, as in Quantum: agents act for the whole deployment, so the
plugin is called with an admin context whatever context the message
carried.  Port attributes that arrive over RPC (DHCP ports) are converted
and validated with the REST API's attribute rules.

Deviation from Grizzly, on purpose: ``get_device_details`` does not change
the port status; the status follows what the agent reports
(``update_device_up``/``down``, ``record_zvm_binding``), so a port whose
z/VM configuration failed stays ERROR instead of flipping to ACTIVE each
time the agent asks about it.  ``update_lease_expiration`` is accepted and
ignored, as in Havana (leases are not held by the plugin).
"""
from __future__ import annotations

import contextlib
import datetime
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from quantum_zvm.api import attributes
from quantum_zvm.api.validators import ConversionError, to_boolean
from quantum_zvm.common import constants, exceptions
from quantum_zvm.common.context import Context, get_admin_context

LOG = logging.getLogger(__name__)

REPORT_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"


def _admin(ctx: Context | None) -> Context:
    admin = get_admin_context()
    if ctx is not None:
        admin.request_id = ctx.request_id
    return admin


def _port_attrs(values: Any, create: bool) -> dict[str, Any]:
    """Port attributes from an RPC peer, converted and validated like REST input."""
    if not isinstance(values, Mapping):
        raise exceptions.InvalidInput(error_message="port must be an object")
    attrs: dict[str, Any] = {}
    for name, value in values.items():
        name = attributes.TENANT_KEY if name == attributes.TENANT_ALIAS else name
        attr = attributes.PORTS.get(name)
        if attr is None or not (attr.allow_post if create else attr.allow_put):
            if name in ("id", "status"):
                continue  # DHCP agents echo whole port dicts back
            raise exceptions.InvalidInput(error_message=f"port attribute {name} cannot be set")
        attrs[name] = _checked_value(name, attr, value)
    if create:
        _add_create_defaults(attrs)
    return attrs


def _checked_value(name: str, attr: Any, value: Any) -> Any:
    """``value`` converted and validated by the attribute's REST rules."""
    try:
        if attr.convert is not None:
            value = attr.convert(value)
    except ConversionError as exc:
        raise exceptions.InvalidInput(error_message=f"{name}: {exc}") from None
    reason = attr.validate(value) if attr.validate is not None else None
    if reason:
        raise exceptions.InvalidInput(error_message=f"{name}: {reason}")
    return value


def _add_create_defaults(attrs: dict[str, Any]) -> None:
    """The defaults of the create attributes not given; an error for a required one."""
    for name, attr in attributes.PORTS.items():
        if attr.allow_post and name not in attrs:
            if attr.required:
                raise exceptions.InvalidInput(error_message=f"port needs {name}")
            attrs[name] = attr.default


def _dhcp_port_changes(port: Mapping[str, Any], dhcp_subnets: Iterable[str],
                       host: str | None) -> dict[str, Any]:
    """What an existing DHCP port lacks: an address on every DHCP subnet, and ``host``."""
    covered = {ip["subnet_id"] for ip in port["fixed_ips"]}
    changes: dict[str, Any] = {}
    missing = [s for s in dhcp_subnets if s not in covered]
    if missing:
        changes["fixed_ips"] = port["fixed_ips"] + [{"subnet_id": s} for s in missing]
    if host and port.get("binding:host_id") != host:
        changes["binding:host_id"] = host
    return changes


def _unwrap_port(port: Any) -> Any:
    """Havana sends ``{"port": {...}}``; accept the bare dict too."""
    if isinstance(port, Mapping) and set(port) == {"port"}:
        return port["port"]
    return port



# Fields the neutron DHCP agent reads that the Quantum OVS schema does not have
# (neutron/agent/linux/dhcp.py and neutron/agent/dhcp/agent.py at openstack/neutron
# 2131d26f73262ec89a5d3e3e0d65521df4908e65): ``project_id`` everywhere, the network's
# ``mtu``, and a subnet's ``subnetpool_id`` and IPv6 modes (IPv6 is out of scope, so
# they are always null).
def neutron_network(network: Mapping[str, Any], mtu: int) -> dict[str, Any]:
    return {**network, "project_id": network.get("tenant_id"), "mtu": mtu}


def neutron_subnet(subnet: Mapping[str, Any]) -> dict[str, Any]:
    return {**subnet, "project_id": subnet.get("tenant_id"), "subnetpool_id": None,
            "ipv6_ra_mode": None, "ipv6_address_mode": None}


def neutron_port(port: Mapping[str, Any]) -> dict[str, Any]:
    return {**port, "project_id": port.get("tenant_id")}


def _filters(filters: Any) -> dict[str, Any]:
    """REST-style list filters from an RPC peer (``{"id": [...]}``); a scalar is a one-item
    list, ``project_id`` is ``tenant_id``.  ``fixed_ips`` goes to the plugin as sent
    (``{"ip_address": [...], "subnet_id": [...]}``, which the plugin reads); any other
    value must be a scalar or a list of scalars (InvalidInput, not a database error)."""
    if filters is None:
        return {}
    if not isinstance(filters, Mapping):
        raise exceptions.InvalidInput(error_message="filters must be an object")
    result: dict[str, Any] = {}
    for name, values in filters.items():
        name = attributes.TENANT_KEY if name == attributes.TENANT_ALIAS else str(name)
        if name == "fixed_ips":
            result[name] = values
            continue
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if not all(v is None or isinstance(v, (str, int, float)) for v in values):
            raise exceptions.InvalidInput(
                error_message=f"filter {name} must be a value or a list of values: "
                              f"{values!r:.100}")
        result[name] = values
    return result


class PluginRpcCallbacks:
    """L2 agent, z/VM agent and DHCP agent calls (see the module docstring)."""

    RPC_API_VERSION = "1.1"

    def __init__(self, plugin: Any):
        self.plugin = plugin

    # ------------------------------------------------------------------ L2 agent

    def get_device_details(self, ctx: Context, device: str, agent_id: str | None = None,
                           host: str | None = None) -> dict[str, Any]:
        details = self.plugin.get_device_details(_admin(ctx), device, host)
        LOG.debug("device %s details for agent %s: %s", device, agent_id,
                  "found" if "port_id" in details else "unknown")
        return details

    def get_devices_details_list(self, ctx: Context, devices: Sequence[str],
                                 agent_id: str | None = None, host: str | None = None
                                 ) -> list[dict[str, Any]]:
        if not isinstance(devices, list):
            raise exceptions.InvalidInput(error_message="devices must be a list of port ids")
        return self.plugin.get_devices_details_list(_admin(ctx), devices, host)

    def update_device_down(self, ctx: Context, device: str, agent_id: str | None = None,
                           host: str | None = None) -> dict[str, Any]:
        exists = self.plugin.update_port_status(_admin(ctx), device,
                                                constants.PORT_STATUS_DOWN, host)
        return {"device": device, "exists": bool(exists)}

    def update_device_up(self, ctx: Context, device: str, agent_id: str | None = None,
                         host: str | None = None) -> None:
        self.plugin.update_port_status(_admin(ctx), device, constants.PORT_STATUS_ACTIVE, host)

    # ------------------------------------------------------------------ z/VM agent

    def get_ports_bound_to_host(self, ctx: Context, host: str, agent_id: str | None = None
                                ) -> list[dict[str, Any]]:
        return self.plugin.get_ports_bound_to_host(_admin(ctx), host)

    def record_zvm_binding(self, ctx: Context, port_id: str, host: str, status: str,
                           zhcp_node: str | None = None, userid: str | None = None,
                           vdev: str | None = None, vswitch: str | None = None,
                           vlan: int | None = None, port_type: str | None = None,
                           error: str | None = None, agent_id: str | None = None) -> bool:
        """Record what the agent applied (or why it failed); False for an unknown port."""
        return bool(self.plugin.record_zvm_binding(
            _admin(ctx), port_id, host, zhcp_node, userid, vdev, vswitch, vlan, port_type,
            status, error))

    def record_zvm_bindings(self, ctx: Context, host: str, bindings: Sequence[Mapping[str, Any]],
                            agent_id: str | None = None) -> dict[str, bool]:
        """Many :meth:`record_zvm_binding` in one call and one transaction:
        ``{port_id: recorded}``.

        Each entry has ``port_id``, ``status`` and optionally ``zhcp_node``,
        ``userid``, ``vdev``, ``vswitch``, ``vlan``, ``port_type``, ``error``.
        A malformed entry fails the whole call; an entry whose values the
        plugin rejects is reported as False and logged; the others are still
        recorded.
        """
        if not isinstance(bindings, list):
            raise exceptions.InvalidInput(error_message="bindings must be a list")
        allowed = {"port_id", "status", "zhcp_node", "userid", "vdev", "vswitch", "vlan",
                   "port_type", "error"}
        for entry in bindings:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("port_id"), str) \
                    or set(entry) - allowed or "status" not in entry:
                raise exceptions.InvalidInput(
                    error_message=f"binding entries need port_id and status and only "
                                  f"{', '.join(sorted(allowed))}: {entry!r:.200}")
        return self.plugin.record_zvm_bindings(_admin(ctx), host, bindings)


class DhcpRpcCallback:
    """The DHCP agent API: the 2013 Quantum calls and neutron's up to 1.10.

    Neutron's server side is ``DhcpRpcCallback`` in
    neutron/api/rpc/handlers/dhcp_rpc.py (openstack/neutron
    2131d26f73262ec89a5d3e3e0d65521df4908e65, release 29 development); its
    client is ``DhcpPluginApi`` in neutron/agent/dhcp/agent.py.  Neutron
    dropped some 2013 calls in 1.2-1.6 (the old ``get_dhcp_port``,
    ``release_port_fixed_ip``, ``update_lease_expiration``,
    ``get_active_networks``); they stay here for Quantum-era agents.  The
    RPC namespace (``dhcp``) is not checked: every method name is unique.
    ``get_ports`` (1.0) is neutron's ``MetadataRpcCallback`` method that the
    agent calls through ``BasePluginApi``.
    """

    RPC_API_VERSION = "1.10"

    def __init__(self, plugin: Any):
        self.plugin = plugin

    def get_active_networks(self, ctx: Context, host: str) -> list[str]:
        return self.plugin.get_active_networks_for_host(_admin(ctx), host)

    def get_active_networks_info(self, ctx: Context, host: str,
                                 enable_dhcp_filter: bool = True) -> list[dict[str, Any]]:
        """Every network the host's DHCP agent serves, as :meth:`get_network_info`.

        ``enable_dhcp_filter`` (neutron, default true) keeps only DHCP-enabled
        subnets; the neutron agent's full sync passes false to see them all.
        An agent that has not reported yet gets [] (as neutron answers; the 2013
        ``get_active_networks`` fails instead).
        """
        admin = _admin(ctx)
        try:
            ids = self.plugin.get_active_networks_for_host(admin, host)
        except exceptions.AgentNotFoundByTypeHost:
            LOG.debug("get_active_networks_info: no DHCP agent on %s yet", host)
            return []
        return self._networks_info(admin, ids, dhcp_only=bool(enable_dhcp_filter)) if ids else []

    def get_network_info(self, ctx: Context, network_id: str, host: str | None = None
                         ) -> dict[str, Any] | None:
        """The network with its DHCP-enabled subnets and all its ports; None when it is
        gone (neutron 1.9+: a concurrently deleted network is not an error)."""
        info = self._networks_info(_admin(ctx), [network_id], dhcp_only=True)
        if not info:
            LOG.debug("get_network_info from %s: network %s not found", host, network_id)
            return None
        return info[0]

    def _networks_info(self, ctx: Context, ids: Sequence[str], dhcp_only: bool
                       ) -> list[dict[str, Any]]:
        """Network dicts with full ``subnets`` and ``ports`` lists (three queries), with
        the fields the neutron agent reads (:func:`neutron_network`)."""
        networks = self.plugin.get_networks(ctx, filters={"id": list(ids)})
        subnets = self.plugin.get_subnets(ctx, filters={"network_id": list(ids)})
        ports = self.plugin.get_ports(ctx, filters={"network_id": list(ids)})
        by_id = {n["id"]: {**self._network(n), "subnets": [], "non_local_subnets": [],
                           "ports": []} for n in networks}
        for subnet in subnets:
            if subnet["enable_dhcp"] or not dhcp_only:
                by_id[subnet["network_id"]]["subnets"].append(neutron_subnet(subnet))
        for port in ports:
            by_id[port["network_id"]]["ports"].append(neutron_port(port))
        return [by_id[i] for i in ids if i in by_id]

    def _network(self, network: Mapping[str, Any]) -> dict[str, Any]:
        return neutron_network(network, network.get("mtu") or self.plugin.conf.network_mtu)

    def get_networks(self, ctx: Context, filters: Mapping[str, Any] | None = None,
                     fields: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Neutron 1.7: networks by REST-style filters, only ``fields`` when given."""
        networks = [self._network(n) for n in self.plugin.get_networks(
            _admin(ctx), filters=_filters(filters))]
        return [{k: v for k, v in n.items() if k in fields} if fields else n for n in networks]

    def get_ports(self, ctx: Context, filters: Mapping[str, Any] | None = None
                  ) -> list[dict[str, Any]]:
        """Neutron 1.0 (``MetadataRpcCallback``): ports by REST-style filters."""
        return [neutron_port(p) for p in self.plugin.get_ports(_admin(ctx),
                                                                 filters=_filters(filters))]

    def dhcp_ready_on_ports(self, ctx: Context, port_ids: Sequence[str]) -> None:
        """Neutron 1.5: DHCP is configured for these ports.

        Neutron lifts a provisioning block so the port may become ACTIVE; here a
        port's status follows what the z/VM agent applied, so this is only logged.
        """
        LOG.debug("DHCP is ready on %d port(s): %s", len(port_ids), ", ".join(port_ids)[:500])

    def _dhcp_subnets(self, ctx: Context, network_id: str) -> dict[str, dict[str, Any]]:
        return {s["id"]: s for s in self.plugin.get_subnets(
            ctx, filters={"network_id": [network_id]}) if s.get("enable_dhcp")}

    def get_dhcp_port(self, ctx: Context, network_id: str | None = None,
                      device_id: str | None = None, host: str | None = None,
                      port_id: str | None = None) -> dict[str, Any] | None:
        """Two calls under one name.

        Neutron 1.8 ``get_dhcp_port(port_id)``: the port, as ``get_port`` shows it.

        Quantum 1.0 ``get_dhcp_port(network_id, device_id, host)``: the DHCP port
        of ``device_id`` on the network, created or completed as needed; each
        fixed IP of the result is ``{ip_address, subnet: <subnet dict>}``.
        """
        if port_id is not None:
            try:
                return neutron_port(self.plugin.get_port(_admin(ctx), port_id))
            except exceptions.PortNotFound:
                return None
        if network_id is None or device_id is None:
            raise exceptions.InvalidInput(
                error_message="get_dhcp_port needs port_id, or network_id and device_id")
        admin = _admin(ctx)
        dhcp_subnets = self._dhcp_subnets(admin, network_id)
        ports = self.plugin.get_ports(admin, filters={"network_id": [network_id],
                                                      "device_id": [device_id]})
        if ports:
            port = ports[0]
            changes = _dhcp_port_changes(port, dhcp_subnets, host)
            if changes:
                port = self.plugin.update_port(admin, port["id"], {"port": changes})
        else:
            port = self._create_dhcp_port(admin, network_id, device_id, dhcp_subnets, host)
        return self._with_subnets(admin, port, dhcp_subnets)

    def _create_dhcp_port(self, admin: Context, network_id: str, device_id: str,
                          dhcp_subnets: Iterable[str], host: str | None) -> dict[str, Any]:
        """A DHCP port of ``device_id`` with an address on each DHCP subnet, for the
        network's tenant."""
        network = self.plugin.get_network(admin, network_id)
        attrs = _port_attrs({
            "network_id": network_id, "tenant_id": network["tenant_id"],
            "device_id": device_id, "device_owner": constants.DEVICE_OWNER_DHCP,
            "name": "", "admin_state_up": True,
            "fixed_ips": [{"subnet_id": s} for s in dhcp_subnets],
            **({"binding:host_id": host} if host else {})}, create=True)
        return self.plugin.create_port(admin, {"port": attrs})

    def _with_subnets(self, ctx: Context, port: dict[str, Any],
                      known: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
        subnets = dict(known)
        unknown = [ip["subnet_id"] for ip in port["fixed_ips"] if ip["subnet_id"] not in subnets]
        if unknown:
            subnets.update({s["id"]: s for s in self.plugin.get_subnets(
                ctx, filters={"id": unknown})})
        fixed_ips = [{"ip_address": ip["ip_address"], "subnet": subnets.get(ip["subnet_id"])}
                     for ip in port["fixed_ips"]]
        return {**port, "fixed_ips": fixed_ips}

    def create_dhcp_port(self, ctx: Context, port: Mapping[str, Any], host: str | None = None
                         ) -> dict[str, Any]:
        values = dict(_unwrap_port(port) or {})
        if host:
            values["binding:host_id"] = host
        values.setdefault("device_owner", constants.DEVICE_OWNER_DHCP)
        admin = _admin(ctx)
        if "tenant_id" not in values and "project_id" not in values \
                and isinstance(values.get("network_id"), str):
            values["tenant_id"] = self.plugin.get_network(admin, values["network_id"])["tenant_id"]
        return neutron_port(self.plugin.create_port(
            admin, {"port": _port_attrs(values, create=True)}))

    def update_dhcp_port(self, ctx: Context, port_id: str, port: Mapping[str, Any],
                         host: str | None = None) -> dict[str, Any] | None:
        """The updated port, or None when it is gone (as neutron answers)."""
        values = dict(_unwrap_port(port) or {})
        for fixed in ("network_id", "tenant_id", "project_id", "mac_address"):
            values.pop(fixed, None)  # neutron agents send network_id with every update
        if host:
            values["binding:host_id"] = host
        try:
            return neutron_port(self.plugin.update_port(
                _admin(ctx), port_id, {"port": _port_attrs(values, create=False)}))
        except exceptions.PortNotFound:
            LOG.debug("update_dhcp_port from %s: port %s is gone", host, port_id)
            return None

    def _find_port(self, ctx: Context, network_id: str, device_id: str
                   ) -> dict[str, Any] | None:
        ports = self.plugin.get_ports(ctx, filters={"network_id": [network_id],
                                                    "device_id": [device_id]})
        return ports[0] if ports else None

    def release_dhcp_port(self, ctx: Context, network_id: str, device_id: str,
                          host: str | None = None) -> None:
        admin = _admin(ctx)
        port = self._find_port(admin, network_id, device_id)
        if port is not None:
            with contextlib.suppress(exceptions.PortNotFound):  # released concurrently
                self.plugin.delete_port(admin, port["id"])

    def release_port_fixed_ip(self, ctx: Context, network_id: str, device_id: str,
                              subnet_id: str, host: str | None = None) -> None:
        admin = _admin(ctx)
        port = self._find_port(admin, network_id, device_id)
        if port is None:
            return
        kept = [ip for ip in port["fixed_ips"] if ip["subnet_id"] != subnet_id]
        if len(kept) != len(port["fixed_ips"]):
            self.plugin.update_port(admin, port["id"], {"port": {"fixed_ips": kept}})

    def update_lease_expiration(self, ctx: Context, network_id: str, ip_address: str,
                                lease_remaining: int, host: str | None = None) -> None:
        LOG.debug("update_lease_expiration from %s for %s on %s ignored (leases are not held)",
                  host, ip_address, network_id)


class AgentExtRpcCallback:
    """State reports of every agent (agents table, reference §3.2), API 1.4.

    Neutron's ``AgentExtRpcCallback`` (neutron/db/agents_db.py at openstack/neutron
    2131d26f73262ec89a5d3e3e0d65521df4908e65): 1.1 ``report_state`` returns the
    agent's status, 1.2/1.3 ``has_alive_neutron_server``, 1.4 ``get_agents`` and
    ``delete_agent``.  Served on ``q-reports-plugin`` (neutron agents, namespace
    ``agent``) and on ``q-plugin`` (Quantum-era agents, which ignore the result).
    """

    RPC_API_VERSION = "1.4"

    def __init__(self, plugin: Any, started_at: datetime.datetime | None = None):
        self.plugin = plugin
        self.started_at = started_at or datetime.datetime.now(datetime.UTC).replace(
            tzinfo=None)

    def report_state(self, ctx: Context, **kwargs: Any) -> str | None:
        """``agent_state={"agent_state": {...}}``, ``time="<UTC %Y-%m-%dT%H:%M:%S.%f>"``.

        Returns ``"new"`` (first report), ``"revived"`` (the agent was down: a
        neutron agent then resyncs, as it missed notifications) or ``"alive"``.
        Reports sent before this server started are ignored (stale messages
        that waited in the queue) and return None.
        """
        outer = kwargs.get("agent_state")
        state = outer.get("agent_state") if isinstance(outer, Mapping) else None
        if not isinstance(state, Mapping):
            raise exceptions.InvalidInput(
                error_message="report_state needs agent_state={'agent_state': {...}}")
        sent = kwargs.get("time")
        if isinstance(sent, str):
            try:
                if datetime.datetime.strptime(sent, REPORT_TIME_FORMAT) < self.started_at:
                    LOG.debug("ignoring a state report of %s sent before the server started",
                              state.get("host"))
                    return None
            except ValueError:
                raise exceptions.InvalidInput(
                    error_message=f"report_state time {sent!r} is not "
                                  f"{REPORT_TIME_FORMAT}") from None
        return self.plugin.report_agent_state(_admin(ctx), dict(state))

    def has_alive_neutron_server(self, ctx: Context, **kwargs: Any) -> bool:
        """True when the server answers and its database does."""
        try:
            self.plugin.get_agents(_admin(ctx), fields=["id"])
        except Exception:  # noqa: BLE001 - the answer is the check
            LOG.exception("has_alive_neutron_server: the database does not answer")
            return False
        return True

    def get_agents(self, ctx: Context, **filters: Any) -> list[dict[str, Any]]:
        """Agents matching ``filters`` (column=value, or ``is_active``: the plugin's
        ``alive`` filter)."""
        is_active = filters.pop("is_active", None)
        filters = _filters(filters)
        if is_active is not None:
            try:
                filters["alive"] = [to_boolean(is_active)]
            except ConversionError as exc:
                raise exceptions.InvalidInput(error_message=f"is_active: {exc}") from None
        return self.plugin.get_agents(_admin(ctx), filters=filters)

    def delete_agent(self, ctx: Context, host: str | None = None,
                     agent_type: str | None = None, **kwargs: Any) -> None:
        """Delete the agent of ``agent_type`` on ``host``, if there is one."""
        if not host or not agent_type:
            LOG.warning("delete_agent needs host and agent_type, got %s %s", host, agent_type)
            return
        admin = _admin(ctx)
        for agent in self.plugin.get_agents(admin, filters={"host": [host],
                                                             "agent_type": [agent_type]}):
            with contextlib.suppress(exceptions.AgentNotFound):  # deleted concurrently
                self.plugin.delete_agent(admin, agent["id"])


# Topics the plugin's RPC server consumes: every call on q-plugin (as in Quantum), state
# reports of neutron agents on q-reports-plugin (neutron_lib.agent.topics.REPORTS).
TOPICS = (constants.TOPIC_PLUGIN, constants.TOPIC_REPORTS)


def endpoints(plugin: Any) -> list[object]:
    """The endpoints of the plugin's RPC server (:data:`TOPICS`), in dispatch order."""
    return [PluginRpcCallbacks(plugin), DhcpRpcCallback(plugin), AgentExtRpcCallback(plugin)]
