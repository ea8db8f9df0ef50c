"""The vif side: give a z/VM guest a NIC on a Quantum port, take it away, list NICs.

``attach`` is the xCAT hand-off path of DESIGN.md: it defines the NIC in the
guest's user directory with ``MACID`` = the last six hex digits of the port's
MAC (so the guest's MAC is the port's: USER PREFIX + MACID), defines it live
when the guest is logged on, and writes the xCAT ``mac`` and ``switch`` rows
(``switch.comments`` = the zHCP node) that the agent of that zHCP picks up to
grant, couple and set the VLAN.  ``detach`` reverses it and is idempotent.

xCAT round trips of one attach: one tabdump of ``zvm`` (userid -> node), one
tabdump of ``switch`` (vdevs and ports already handed over), one dsh batch
reading ``q vmlan``, the directory and the logon state, one dsh batch
defining the NIC, one tabdump of ``mac`` (the guest's NICs share its one row,
keyed by node) and one PUT per table row.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from quantum_zvm.common import constants
from quantum_zvm.quantum_client import QuantumApiError, QuantumClient
from xcat import batch, smcli, smcli_parsers, tables, vdevs, zvm_names
from xcat.outcomes import Outcome

LOG = logging.getLogger(__name__)

DEVICE_OWNER = "compute:zvm"


class NicError(Exception):
    """An attach/detach/list request that cannot be done; the message says why."""


@dataclasses.dataclass(frozen=True)
class GuestProbe:
    """What z/VM says about a guest before a NIC is defined."""
    user_prefix: str | None
    directory: smcli_parsers.DirectoryEntry
    logged_on: bool


@dataclasses.dataclass
class NicInfo:
    """One NIC of a guest as ``list`` shows it."""
    vdev: str
    mac: str | None
    port_id: str | None
    network: str | None
    vswitch: str | None
    vlan: str | None
    status: str | None


def choose_vdev(directory: smcli_parsers.DirectoryEntry, requested: str | None,
                userid: str) -> str:
    """The vdev for a new NIC: ``requested`` if free, else the next free 1000, 1003, ..."""
    spans = vdevs.devices_in_use(directory.statements)
    if requested is None:
        return vdevs.next_free_nic_vdev(spans)
    vdev = zvm_names.nic_vdev(requested, "vdev")
    clash = vdevs.overlap(spans, int(vdev, 16))
    if clash is not None:
        raise NicError(f"vdev {vdev} of {userid} is in use: the directory already defines "
                       f"device {clash[0]:04X}" + (f"-{clash[0] + clash[1] - 1:04X}"
                                                    if clash[1] > 1 else ""))
    return vdev


def check_mac_prefix(mac: str, user_prefix: str | None) -> str:
    """The MACID of ``mac`` after checking its first three octets equal the USER PREFIX."""
    if user_prefix is None:
        raise NicError("cannot read the z/VM USER PREFIX (vmcp q vmlan printed no prefix)")
    prefix = zvm_names.mac_prefix(mac, "port mac_address")
    if prefix != user_prefix.upper():
        raise NicError(
            f"port MAC {mac} does not start with the z/VM USER PREFIX {user_prefix} "
            f"(vmcp q vmlan): the guest's MAC could not equal the port's; set base_mac = "
            f"{':'.join(user_prefix[i:i + 2] for i in (0, 2, 4)).lower()}:00:00:00 on the server")
    return zvm_names.mac_to_macid(mac, "port mac_address")


def failures(outcomes: Iterable[batch.CommandOutcome]) -> list[batch.CommandOutcome]:
    """The outcomes that failed; a guest that is not logged on (INACTIVE) is no failure."""
    return [o for o in outcomes if not (o.ok or o.outcome is Outcome.INACTIVE)]


def row_is_nic(row: tables.SwitchRow, port_id: str | None, vdev: str | None) -> bool:
    """Whether the switch row is the NIC that ``detach`` names by port or by vdev."""
    return bool(port_id and row.port == port_id) or bool(vdev and row.interface == vdev)


def nics_to_remove(rows: Iterable[tables.SwitchRow], vdev: str | None) -> list[str]:
    """The vdevs of the rows, plus ``vdev``: a NIC named by its vdev is removed even
    when no switch row hands it to the agent."""
    return sorted({row.interface for row in rows if row.interface} | ({vdev} if vdev else set()))


def ports_of(rows: Iterable[tables.SwitchRow]) -> list[str]:
    """The Quantum ports the rows hand over, each once."""
    return sorted({row.port for row in rows if row.port})


class NicTool:
    """Attach, detach and list NICs of guests managed by one zHCP."""

    def __init__(self, xcat, quantum: QuantumClient, zhcp_node: str, host: str):
        self.xcat = xcat
        self.quantum = quantum
        self.zhcp_node = zvm_names.xcat_node(zhcp_node, "xcat_zhcp_nodename")
        self.host = host

    # ------------------------------------------------------------------ lookups
    def node_of(self, userid: str) -> str:
        """The xCAT node of a guest (``zvm`` table), or a NicError naming the userid."""
        for row in tables.dump(self.xcat, tables.ZvmRow):
            if (row.userid or "").upper() == userid and row.node:
                return row.node
        raise NicError(f"unknown guest {userid}: no xCAT zvm row has userid {userid}")

    def handed_over(self, node: str) -> list[tables.SwitchRow]:
        """The guest's switch rows of this zHCP (one per NIC handed to the agent)."""
        return [row for row in tables.dump(self.xcat, tables.SwitchRow)
                if row.node == node and row.comments == self.zhcp_node]

    def probe(self, userid: str) -> GuestProbe:
        """USER PREFIX, directory entry and logon state in one dsh request."""
        vmlan, directory, active = batch.run_batch(
            self.xcat, self.zhcp_node,
            [smcli.vmcp_query_vmlan(), smcli.image_query_dm(userid),
             smcli.image_query_activate_time(userid)], idempotent=True)
        if not vmlan.ok:
            raise NicError(f"vmcp q vmlan on {self.zhcp_node} failed: {vmlan.describe()}")
        if not directory.ok:
            if directory.error is not None and directory.error.rc == 400:
                raise NicError(f"unknown guest {userid}: {directory.describe()}")
            raise NicError(f"cannot read the directory of {userid}: {directory.describe()}")
        if not (active.ok or active.outcome is Outcome.INACTIVE):
            raise NicError(f"cannot tell whether {userid} is logged on: {active.describe()}")
        return GuestProbe(
            user_prefix=smcli_parsers.parse_vmcp_query_vmlan(vmlan.stdout_lines)
            .effective_user_prefix,
            directory=smcli_parsers.parse_image_query_dm(directory.stdout_lines),
            logged_on=active.ok)

    def _port_for_attach(self, port_id: str | None, network: str | None,
                         fixed_ips: list[dict], userid: str) -> tuple[dict, bool]:
        """The port to attach and whether this call created it."""
        if port_id:
            try:
                port = self.quantum.get_port(port_id)
            except QuantumApiError as exc:
                raise NicError(f"port {port_id}: {exc}") from exc
            host = port.get("binding:host_id") or ""
            if host and host != self.host:
                raise NicError(f"port {port_id} is bound to host {host}, not to this "
                               f"agent's host {self.host}")
            if (port.get("binding:profile") or {}).get(constants.PROFILE_USERID):
                raise NicError(f"port {port_id} is attached through its binding:profile "
                               f"({port['binding:profile']}); unbind it there first")
            if port.get("device_id") and port["device_id"] not in ("", userid):
                raise NicError(f"port {port_id} is in use by device {port['device_id']}")
            return port, False
        try:
            net = self.quantum.get_network(network or "")
            attrs: dict[str, Any] = {"network_id": net["id"], "tenant_id": net["tenant_id"],
                                     "device_id": userid,
                                     "device_owner": DEVICE_OWNER,
                                     "binding:host_id": self.host}
            if fixed_ips:
                attrs["fixed_ips"] = fixed_ips
            return self.quantum.create_port(attrs), True
        except QuantumApiError as exc:
            raise NicError(f"cannot create a port on network {network}: {exc}") from exc

    # ------------------------------------------------------------------ attach
    def attach(self, userid: str, *, port_id: str | None = None, network: str | None = None,
               fixed_ips: list[dict] | None = None, vdev: str | None = None) -> dict:
        """Define a NIC for the port on the guest and hand it to the agent.

        Returns ``{userid, node, vdev, port_id, mac, logged_on, created_port}``.
        A port created here is deleted again when a later step fails.
        """
        userid = zvm_names.userid(userid)
        if bool(port_id) == bool(network):
            raise NicError("give exactly one of --port and --network")
        node = self.node_of(userid)
        for row in tables.dump(self.xcat, tables.SwitchRow):
            if port_id and row.port == port_id:
                if row.node == node:
                    LOG.info("port %s is already attached to %s as %s", port_id, userid,
                             row.interface)
                    return {"userid": userid, "node": node, "vdev": row.interface,
                            "port_id": port_id, "mac": None, "logged_on": None,
                            "created_port": False, "already_attached": True}
                raise NicError(f"port {port_id} is already attached to node {row.node} "
                               f"(NIC {row.interface})")
        port, created = self._port_for_attach(port_id, network, fixed_ips or [], userid)
        try:
            return self._define(userid, node, port, vdev, created)
        except Exception:
            if created:
                self._delete_port_quietly(port["id"])
            raise

    def _define(self, userid: str, node: str, port: dict, vdev: str | None,
                created: bool) -> dict:
        probe = self.probe(userid)
        macid = check_mac_prefix(port["mac_address"], probe.user_prefix)
        vdev = choose_vdev(probe.directory, vdev, userid)
        commands = [smcli.image_definition_update_dm(
            userid, [smcli.NicDef(vdev, macid=macid)])]
        if probe.logged_on:
            commands.append(smcli.adapter_create(userid, vdev))
        outcomes = batch.run_batch(self.xcat, self.zhcp_node, commands)
        failed = failures(outcomes)
        if failed:
            if outcomes[0].ok and len(outcomes) > 1:
                batch.run_batch(self.xcat, self.zhcp_node, [smcli.adapter_delete_dm(userid, vdev)])
            raise NicError(f"defining NIC {vdev} of {userid} failed: {failed[0].describe()}")
        tables.add_nic_rows(self.xcat, node, vdev, port["mac_address"], port["id"],
                            self.zhcp_node)
        if not created:
            self.quantum.update_port(port["id"], {"device_id": userid,
                                                  "device_owner": DEVICE_OWNER,
                                                  "binding:host_id": self.host})
        LOG.info("NIC %s of %s defined for port %s (MAC %s)", vdev, userid, port["id"],
                 port["mac_address"])
        return {"userid": userid, "node": node, "vdev": vdev, "port_id": port["id"],
                "mac": port["mac_address"], "logged_on": probe.logged_on,
                "created_port": created}

    def _delete_port_quietly(self, port_id: str) -> None:
        try:
            self.quantum.delete_port(port_id)
        except QuantumApiError as exc:
            LOG.warning("could not delete port %s created for a failed attach: %s", port_id, exc)

    # ------------------------------------------------------------------ detach
    def detach(self, userid: str, *, port_id: str | None = None, vdev: str | None = None,
               delete_port: bool = False) -> dict:
        """Remove the NIC and its xCAT rows; no-op when nothing is attached."""
        userid = zvm_names.userid(userid)
        if bool(port_id) == bool(vdev):
            raise NicError("give exactly one of --port and --vdev")
        vdev = zvm_names.nic_vdev(vdev, "vdev") if vdev else None
        node = self.node_of(userid)
        rows = [row for row in self.handed_over(node) if row_is_nic(row, port_id, vdev)]
        if not rows and not vdev:
            return {"userid": userid, "detached": [], "port_id": port_id}
        nic_vdevs = nics_to_remove(rows, vdev)
        self._remove_nics(userid, node, nic_vdevs)
        ports = ports_of(rows)
        for pid in ports:
            self._release_port(pid, delete_port)
        return {"userid": userid, "detached": nic_vdevs, "ports": ports,
                "deleted_ports": ports if delete_port else []}

    def _remove_nics(self, userid: str, node: str, nic_vdevs: list[str]) -> None:
        """Drop the NICs' xCAT rows, then the NICs themselves, live and in the directory."""
        for nic in nic_vdevs:
            tables.remove_nic_rows(self.xcat, node, nic)
        commands = [cmd for nic in nic_vdevs
                    for cmd in (smcli.adapter_delete(userid, nic),
                                smcli.adapter_delete_dm(userid, nic))]
        failed = failures(batch.run_batch(self.xcat, self.zhcp_node, commands))
        if failed:
            raise NicError(f"removing NIC of {userid} failed: {failed[0].describe()}")

    def _release_port(self, port_id: str, delete_port: bool) -> None:
        """Delete the port, or unbind it so another guest can take it; a port already
        gone (404) is fine."""
        try:
            if delete_port:
                self.quantum.delete_port(port_id)
            else:
                self.quantum.update_port(port_id, {"device_id": "", "device_owner": "",
                                                   "binding:host_id": ""})
        except QuantumApiError as exc:
            if exc.status != 404:
                raise NicError(f"NIC removed, but updating port {port_id} failed: {exc}") from exc

    # ------------------------------------------------------------------ list
    def list(self, userid: str) -> list[NicInfo]:
        """Every NIC of the guest's directory with its port, network, VLAN and status."""
        userid = zvm_names.userid(userid)
        node = self.node_of(userid)
        probe = self.probe(userid)
        rows = {row.interface: row for row in self.handed_over(node)}
        nics = []
        for vdev, nicdef in sorted(probe.directory.nicdefs.items()):
            row = rows.get(vdev)
            port = self._port_quietly(row.port) if row and row.port else None
            mac = (f"{probe.user_prefix}{nicdef.macid}" if nicdef.macid and probe.user_prefix
                   else None)
            nics.append(NicInfo(
                vdev=vdev,
                mac=":".join(mac[i:i + 2] for i in range(0, 12, 2)).lower() if mac else None,
                port_id=row.port if row else None,
                network=(port or {}).get("network_id"),
                vswitch=(row.switch if row and row.switch else nicdef.vswitch),
                vlan=row.vlan if row else None,
                status=(port or {}).get("status")))
        return nics

    def _port_quietly(self, port_id: str) -> dict | None:
        try:
            return self.quantum.get_port(port_id)
        except QuantumApiError:
            return None

    # ------------------------------------------------------------------ wait
    def wait_active(self, port_id: str, timeout: float = 120.0,
                    sleep: Callable[[float], None] = time.sleep) -> dict:
        """Poll the port until it is ACTIVE; ERROR or the timeout is a NicError."""
        deadline = time.monotonic() + timeout
        while True:
            port = self.quantum.get_port(port_id)
            if port.get("status") == constants.PORT_STATUS_ACTIVE:
                return port
            if port.get("status") == constants.PORT_STATUS_ERROR:
                details = port.get("binding:vif_details") or {}
                raise NicError(f"port {port_id} is ERROR: "
                               f"{details.get('error') or details or 'see the agent log'}")
            if time.monotonic() > deadline:
                raise NicError(f"port {port_id} is still {port.get('status')} after "
                               f"{timeout:.0f}s: is quantum-zvm-agent running for "
                               f"{self.zhcp_node} (GET /v2.0/agents)?")
            sleep(1.0)
