"""Plugin-side RPC endpoints served on ``q-plugin`` (reference §3.2, §4.1).

:func:`endpoints` returns, in dispatch order:

- :class:`PluginRpcCallbacks` (``RPC_API_VERSION`` 1.1): the L2 agent API
  (``get_device_details``, ``get_devices_details_list``, ``update_device_up``,
  ``update_device_down``, all with optional ``host``), the z/VM calls
  (``get_ports_bound_to_host``, ``record_zvm_binding``,
  ``record_zvm_bindings``) and the DHCP agent API (``get_active_networks``,
  ``get_active_networks_info``, ``get_network_info``, ``get_dhcp_port``,
  ``create_dhcp_port``, ``update_dhcp_port``, ``release_dhcp_port``,
  ``release_port_fixed_ip``, ``update_lease_expiration``);
- :class:`AgentExtRpcCallback` (1.0): ``report_state``.

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

import datetime
import logging
from typing import Any, Mapping, Sequence

from quantum_zvm.api import attributes
from quantum_zvm.api.validators import ConversionError
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
        try:
            if attr.convert is not None:
                value = attr.convert(value)
        except ConversionError as exc:
            raise exceptions.InvalidInput(error_message=f"{name}: {exc}") from None
        reason = attr.validate(value) if attr.validate is not None else None
        if reason:
            raise exceptions.InvalidInput(error_message=f"{name}: {reason}")
        attrs[name] = value
    if create:
        for name, attr in attributes.PORTS.items():
            if attr.allow_post and name not in attrs:
                if attr.required:
                    raise exceptions.InvalidInput(error_message=f"port needs {name}")
                attrs[name] = attr.default
    return attrs


def _unwrap_port(port: Any) -> Any:
    """Havana sends ``{"port": {...}}``; accept the bare dict too."""
    if isinstance(port, Mapping) and set(port) == {"port"}:
        return port["port"]
    return port


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

    # ------------------------------------------------------------------ DHCP agent

    def get_active_networks(self, ctx: Context, host: str) -> list[str]:
        return self.plugin.get_active_networks_for_host(_admin(ctx), host)

    def get_active_networks_info(self, ctx: Context, host: str) -> list[dict[str, Any]]:
        admin = _admin(ctx)
        ids = self.plugin.get_active_networks_for_host(admin, host)
        return self._networks_info(admin, ids) if ids else []

    def get_network_info(self, ctx: Context, network_id: str, host: str | None = None
                         ) -> dict[str, Any]:
        admin = _admin(ctx)
        self.plugin.get_network(admin, network_id)  # NetworkNotFound when unknown
        return self._networks_info(admin, [network_id])[0]

    def _networks_info(self, ctx: Context, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Network dicts with full ``subnets`` and ``ports`` lists (three queries)."""
        networks = self.plugin.get_networks(ctx, filters={"id": list(ids)})
        subnets = self.plugin.get_subnets(ctx, filters={"network_id": list(ids)})
        ports = self.plugin.get_ports(ctx, filters={"network_id": list(ids)})
        by_id = {n["id"]: {**n, "subnets": [], "ports": []} for n in networks}
        for subnet in subnets:
            by_id[subnet["network_id"]]["subnets"].append(subnet)
        for port in ports:
            by_id[port["network_id"]]["ports"].append(port)
        return [by_id[i] for i in ids if i in by_id]

    def _dhcp_subnets(self, ctx: Context, network_id: str) -> dict[str, dict[str, Any]]:
        return {s["id"]: s for s in self.plugin.get_subnets(
            ctx, filters={"network_id": [network_id]}) if s.get("enable_dhcp")}

    def get_dhcp_port(self, ctx: Context, network_id: str, device_id: str,
                      host: str | None = None) -> dict[str, Any]:
        """The DHCP port of ``device_id`` on the network, created or completed as needed.

        Each fixed IP of the result is ``{ip_address, subnet: <subnet dict>}``.
        """
        admin = _admin(ctx)
        dhcp_subnets = self._dhcp_subnets(admin, network_id)
        ports = self.plugin.get_ports(admin, filters={"network_id": [network_id],
                                                      "device_id": [device_id]})
        if ports:
            port = ports[0]
            covered = {ip["subnet_id"] for ip in port["fixed_ips"]}
            changes: dict[str, Any] = {}
            missing = [s for s in dhcp_subnets if s not in covered]
            if missing:
                changes["fixed_ips"] = port["fixed_ips"] + [{"subnet_id": s} for s in missing]
            if host and port.get("binding:host_id") != host:
                changes["binding:host_id"] = host
            if changes:
                port = self.plugin.update_port(admin, port["id"], {"port": changes})
        else:
            network = self.plugin.get_network(admin, network_id)
            attrs = _port_attrs({
                "network_id": network_id, "tenant_id": network["tenant_id"],
                "device_id": device_id, "device_owner": constants.DEVICE_OWNER_DHCP,
                "name": "", "admin_state_up": True,
                "fixed_ips": [{"subnet_id": s} for s in dhcp_subnets],
                **({"binding:host_id": host} if host else {})}, create=True)
            port = self.plugin.create_port(admin, {"port": attrs})
        return self._with_subnets(admin, port, dhcp_subnets)

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
        return self.plugin.create_port(admin, {"port": _port_attrs(values, create=True)})

    def update_dhcp_port(self, ctx: Context, port_id: str, port: Mapping[str, Any],
                         host: str | None = None) -> dict[str, Any]:
        values = dict(_unwrap_port(port) or {})
        values.pop("network_id", None)
        values.pop("tenant_id", None)
        values.pop("mac_address", None)
        if host:
            values["binding:host_id"] = host
        return self.plugin.update_port(_admin(ctx), port_id,
                                       {"port": _port_attrs(values, create=False)})

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
            try:
                self.plugin.delete_port(admin, port["id"])
            except exceptions.PortNotFound:
                pass  # released concurrently

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
    """``report_state``: heartbeats of every agent (agents table, reference §3.2)."""

    RPC_API_VERSION = "1.0"

    def __init__(self, plugin: Any, started_at: datetime.datetime | None = None):
        self.plugin = plugin
        self.started_at = started_at or datetime.datetime.now(datetime.timezone.utc).replace(
            tzinfo=None)

    def report_state(self, ctx: Context, **kwargs: Any) -> None:
        """``agent_state={"agent_state": {...}}``, ``time="<UTC %Y-%m-%dT%H:%M:%S.%f>"``.

        Reports sent before this server started are ignored (stale messages
        that waited in the queue).
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
        self.plugin.create_or_update_agent(_admin(ctx), dict(state))
        return None


def endpoints(plugin: Any) -> list[object]:
    """The endpoints of the ``q-plugin`` RPC server, in dispatch order."""
    return [PluginRpcCallbacks(plugin), AgentExtRpcCallback(plugin)]
