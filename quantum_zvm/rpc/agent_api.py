"""What an L2 (z/VM) agent uses to talk to the plugin.

Calls to the plugin — :class:`PluginApi`, on topic ``q-plugin``::

    transport = Transport.from_conf(conf)          # same options as the server
    client = RpcClient(transport, timeout=conf.rpc_response_timeout)
    api = PluginApi(client, agent_id="zvm-zhcp1", host=conf.AGENT.host)

    api.get_device_details(port_id)                 -> dict (see below)
    api.get_devices_details_list([port_id, ...])    -> [dict, ...] in the order asked
    api.get_ports_bound_to_host()                   -> [dict, ...] ports bound to host
                                                       (binding:host_id == host)
    api.update_device_up(port_id)                   -> None   (port ACTIVE)
    api.update_device_down(port_id)                 -> {"device", "exists"} (port DOWN)
    api.record_zvm_binding(port_id, status="ACTIVE", zhcp_node=..., userid=..., vdev=...,
                           vswitch=..., vlan=..., port_type=..., error=None) -> bool
    api.record_zvm_bindings([{"port_id", "status", ...}, ...]) -> {port_id: bool}
    api.report_state({"binary", "host", "topic", "agent_type", "configurations",
                      "start_flag"?})               -> None

Device details of a known port: ``device, port_id, network_id, admin_state_up,
network_type ("flat"|"vlan"|"local"), segmentation_id (-1 for flat),
physical_network (the vswitch), mac_address, fixed_ips, device_owner, status,
binding:host_id, binding:profile ({"zvm_userid", "vdev"?})``; an unknown port
gives ``{"device": id}`` only.  ``record_zvm_binding`` with ``error`` makes the
port ERROR with the reason in ``binding:vif_details``; ``status`` is a port
status (ACTIVE, DOWN, BUILD, ERROR).  Every call sends ``host`` (Havana
style) and the admin context agents use; failures raise the plugin's
exception (e.g. :class:`~quantum_zvm.common.exceptions.InvalidInput`),
:class:`~quantum_zvm.rpc.errors.RpcTimeout` or
:class:`~quantum_zvm.rpc.errors.RpcConnectionError`.

Notifications from the plugin — :func:`start_notification_consumer` serves an
object with these methods (each also receives the request context first)::

    port_update(ctx, port, network_type, segmentation_id, physical_network)
    network_delete(ctx, network_id)
    port_delete(ctx, port_id)                        # neutron (ML2)
    network_update(ctx, network)                     # neutron, API 1.4
    binding_activate(ctx, port_id, host)             # neutron, API 1.5
    binding_deactivate(ctx, port_id, host, network_id)

on the fanout topics ``q-agent-notifier-<resource>-<event>`` of
:data:`NOTIFICATION_TOPICS` (one auto-delete queue per agent; a missed
notification is not replayed, so agents also reconcile periodically).  The
Quantum servers (and ours) send the first two; current neutron sends all of
them to L2 agents (``AgentNotifierApi`` in neutron/plugins/ml2/rpc.py,
neutron 29.0.0).
Handlers run in worker threads and may call :class:`PluginApi`.
"""
from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from quantum_zvm.common import constants
from quantum_zvm.common.context import get_admin_context
from quantum_zvm.rpc.client import RpcClient
from quantum_zvm.rpc.server import RpcServer
from quantum_zvm.rpc.transport import Transport

REPORT_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"
NOTIFICATION_POLLING_SECONDS = 0.1  # embedded transport, see start_notification_consumer
NOTIFICATION_TOPICS = (f"{constants.TOPIC_AGENT}-{constants.PORT}-{constants.UPDATE}",
                       f"{constants.TOPIC_AGENT}-{constants.NETWORK}-{constants.DELETE}",
                       f"{constants.TOPIC_AGENT}-{constants.PORT}-{constants.DELETE}",
                       f"{constants.TOPIC_AGENT}-{constants.NETWORK}-{constants.UPDATE}",
                       f"{constants.TOPIC_AGENT}-binding-activate",
                       f"{constants.TOPIC_AGENT}-binding-deactivate")


def report_time(now: datetime.datetime | None = None) -> str:
    """The ``time`` argument of ``report_state``: UTC, ``%Y-%m-%dT%H:%M:%S.%f``."""
    now = now or datetime.datetime.now(datetime.UTC)
    return now.strftime(REPORT_TIME_FORMAT)


class PluginApi:
    """Agent → plugin calls (L2 agent API 1.1 plus the z/VM calls)."""

    def __init__(self, client: RpcClient, agent_id: str, host: str,
                 topic: str = constants.TOPIC_PLUGIN):
        self.client = client
        self.agent_id = agent_id
        self.host = host
        self.topic = topic
        # one admin context for every call, as an L2 agent keeps one: a new one a call
        # would only make a new request id and timestamp nobody reads
        self.context = get_admin_context().to_dict()

    def _call(self, method: str, version: str = "1.0", **args: Any) -> Any:
        return self.client.call(self.context, self.topic, method, args, version=version)

    def get_device_details(self, device: str) -> dict[str, Any]:
        return self._call("get_device_details", device=device, agent_id=self.agent_id,
                          host=self.host)

    def get_devices_details_list(self, devices: Sequence[str]) -> list[dict[str, Any]]:
        return self._call("get_devices_details_list", version="1.1", devices=list(devices),
                          agent_id=self.agent_id, host=self.host)

    def get_ports_bound_to_host(self) -> list[dict[str, Any]]:
        return self._call("get_ports_bound_to_host", version="1.1", host=self.host,
                          agent_id=self.agent_id)

    def update_device_up(self, device: str) -> None:
        self._call("update_device_up", device=device, agent_id=self.agent_id, host=self.host)

    def update_device_list(self, devices_up: Sequence[str],
                           devices_down: Sequence[str]) -> dict[str, Any]:
        """Many outcomes in one call (Neutron's plugin RPC 1.5; neutron/plugins/ml2/rpc.py
        ``update_device_list``, 2131d26f): ``{"devices_up": [...], "failed_devices_up":
        [...], "devices_down": [{"device", "exists"}...], "failed_devices_down": [...]}``."""
        return self._call("update_device_list", version="1.5", devices_up=list(devices_up),
                          devices_down=list(devices_down), agent_id=self.agent_id,
                          host=self.host)

    def update_device_down(self, device: str) -> dict[str, Any]:
        return self._call("update_device_down", device=device, agent_id=self.agent_id,
                          host=self.host)

    def record_zvm_binding(self, port_id: str, status: str, *, zhcp_node: str | None = None,
                           userid: str | None = None, vdev: str | None = None,
                           vswitch: str | None = None, vlan: int | None = None,
                           port_type: str | None = None, error: str | None = None) -> bool:
        return self._call("record_zvm_binding", version="1.1", port_id=port_id, host=self.host,
                          status=status, zhcp_node=zhcp_node, userid=userid, vdev=vdev,
                          vswitch=vswitch, vlan=vlan, port_type=port_type, error=error,
                          agent_id=self.agent_id)

    def record_zvm_bindings(self, bindings: Sequence[Mapping[str, Any]]) -> dict[str, bool]:
        return self._call("record_zvm_bindings", version="1.1", host=self.host,
                          bindings=[dict(b) for b in bindings], agent_id=self.agent_id)

    def report_state(self, agent_state: Mapping[str, Any], use_call: bool = True) -> Any:
        """Heartbeat; a call (Grizzly) by default so a failure is seen, else a cast (Havana).
        A call returns what the server answers: neutron and quantum-zvm-server say whether
        the agent is ``new``, ``alive`` or ``revived`` (Grizzly answers None)."""
        args = {"agent_state": {"agent_state": dict(agent_state)}, "time": report_time()}
        if use_call:
            return self.client.call(None, self.topic, "report_state", args)
        self.client.cast(None, self.topic, "report_state", args)
        return None


def start_notification_consumer(transport: Transport, handler: object,
                                topics: Sequence[str] = NOTIFICATION_TOPICS,
                                workers: int = 4) -> RpcServer:
    """Consume the agent fanout topics and call ``handler``'s methods; ``stop()`` it at exit.

    ``handler`` may set ``RPC_API_VERSION`` (default ``"1.0"``).  Call
    ``wait_ready(timeout)`` on the result to know the queues are bound.  On the
    embedded transport the queues are looked at every
    :data:`NOTIFICATION_POLLING_SECONDS`, not every few milliseconds: a notification
    only brings the agent's next cycle forward, and nobody waits for its answer.
    """
    return RpcServer(transport, topics, [handler], fanout=True, shared=False,
                     workers=workers, name="agent-notifications",
                     polling_interval=NOTIFICATION_POLLING_SECONDS).start()
