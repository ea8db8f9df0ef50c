"""Which DHCP agents serve which networks (``networkdhcpagentbindings``, reference §4.1, §4.2).

Quantum's ChanceScheduler: a network without a live DHCP agent gets one
picked at random among the live, admin-up DHCP agents.  ``get_active_networks``
of a DHCP agent first binds every network that has no DHCP agent yet to it
(``network_auto_schedule``), then returns the admin-up networks bound to it.
"""
from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from quantum_zvm.common import constants, exceptions
from quantum_zvm.common.context import Context
from quantum_zvm.db import models

AGENTS = models.AGENTS
BINDINGS = models.NETWORK_DHCP_AGENT_BINDINGS
NETWORKS = models.NETWORKS

# Built once: the DHCP notifier runs these for every port create.
_HOSTING = (sa.select(AGENTS, BINDINGS.c.network_id)
            .join(BINDINGS, BINDINGS.c.dhcp_agent_id == AGENTS.c.id)
            .where(BINDINGS.c.network_id.in_(sa.bindparam("network_ids", expanding=True)))
            .order_by(AGENTS.c.host))
_DHCP_AGENTS = sa.select(AGENTS).where(AGENTS.c.agent_type == constants.AGENT_TYPE_DHCP)
# Every DHCP agent, with whether it hosts one network (``hosts``).
_DHCP_AGENTS_FOR = (
    sa.select(AGENTS, BINDINGS.c.network_id.is_not(None).label("hosts"))
    .outerjoin(BINDINGS, sa.and_(BINDINGS.c.dhcp_agent_id == AGENTS.c.id,
                                 BINDINGS.c.network_id == sa.bindparam("network_id")))
    .where(AGENTS.c.agent_type == constants.AGENT_TYPE_DHCP).order_by(AGENTS.c.host))


class DhcpAgentSchedulerMixin:
    """DHCP scheduling methods of :class:`quantum_zvm.plugin.ZvmPlugin`."""

    db: Any

    # helpers the plugin provides
    _agent_dict: Any
    _agent_row: Any
    _agent_by_type_host: Any
    is_agent_alive: Any
    get_networks: Any

    def _usable(self, row: Any) -> bool:
        return bool(row.admin_state_up) and self.is_agent_alive(row.heartbeat_timestamp)

    def _hosting_rows(self, conn: Connection, network_ids: Iterable[str]) -> Sequence[Any]:
        return conn.execute(_HOSTING, {"network_ids": list(network_ids)}).all()

    def get_dhcp_agents_hosting_networks(self, ctx: Context, network_ids: Iterable[str],
                                         active: bool = True) -> list[dict[str, Any]]:
        """The DHCP agents bound to any of ``network_ids`` (only live, admin-up ones if active)."""
        with self.db.transaction(write=False) as conn:
            rows = self._hosting_rows(conn, network_ids)
        agents: dict[str, dict[str, Any]] = {}
        for row in rows:
            if not active or self._usable(row):
                agents.setdefault(row.id, self._agent_dict(row))
        return list(agents.values())

    def schedule_network(self, ctx: Context, network: Mapping[str, Any] | str
                         ) -> dict[str, Any] | None:
        """Bind the network to a random live DHCP agent unless a live one hosts it already.

        Returns the chosen agent, or None when nothing was (or could be) scheduled.
        Every port create asks this, so a read without the write lock comes first:
        only when a usable DHCP agent exists and none of them hosts the network is
        the choice made (and checked again) in a write transaction.
        """
        network_id = network if isinstance(network, str) else network["id"]
        with self.db.transaction(write=False) as conn:
            agents = conn.execute(_DHCP_AGENTS_FOR, {"network_id": network_id}).all()
        usable = [row for row in agents if self._usable(row)]
        if not usable or any(row.hosts for row in usable):
            return None
        return self._schedule(network_id)

    def dhcp_agents_to_notify(self, ctx: Context, network_id: str, schedule: bool
                              ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """The live, admin-up DHCP agents hosting the network, and the one just bound to it.

        What the DHCP notifier asks on every port create and delete, in one read
        (one statement): without DHCP agents, or with the network hosted, that is
        all.  With ``schedule`` (a port create), a network no live agent hosts is
        bound to one (:meth:`schedule_network`), which is then the agent to notify.
        """
        with self.db.transaction(write=False) as conn:
            agents = conn.execute(_DHCP_AGENTS_FOR, {"network_id": network_id}).all()
        usable = [row for row in agents if self._usable(row)]
        hosting = [self._agent_dict(row) for row in usable if row.hosts]
        if hosting or not usable or not schedule:
            return hosting, None
        chosen = self._schedule(network_id)
        return ([chosen] if chosen else []), chosen

    def _schedule(self, network_id: str) -> dict[str, Any] | None:
        """Bind a random live DHCP agent in a write transaction, checking again under the lock."""
        with self.db.transaction() as conn:
            if any(self._usable(row) for row in self._hosting_rows(conn, [network_id])):
                return None
            candidates = [row for row in conn.execute(_DHCP_AGENTS).all() if self._usable(row)]
            if not candidates:
                return None
            chosen = random.choice(candidates)
            if not self._bind(conn, network_id, chosen.id):
                return None
            return self._agent_dict(chosen)

    @staticmethod
    def _bind(conn: Connection, network_id: str, agent_id: str) -> bool:
        """Insert one binding; False when it exists (or the network is gone meanwhile)."""
        try:
            with conn.begin_nested():
                conn.execute(BINDINGS.insert().values(network_id=network_id,
                                                         dhcp_agent_id=agent_id))
            return True
        except sa.exc.IntegrityError:
            return False

    def get_active_networks_for_host(self, ctx: Context, host: str) -> list[str]:
        """Auto-schedule unhosted networks to the host's DHCP agent; its admin-up networks."""
        with self.db.transaction() as conn:
            agent = self._agent_by_type_host(conn, constants.AGENT_TYPE_DHCP, host)
            if agent is None:
                raise exceptions.AgentNotFoundByTypeHost(agent_type=constants.AGENT_TYPE_DHCP,
                                                         host=host)
            if not agent.admin_state_up:
                return []
            unhosted = conn.execute(sa.select(NETWORKS.c.id).where(
                ~sa.exists().where(BINDINGS.c.network_id == NETWORKS.c.id))).scalars().all()
            for network_id in unhosted:
                self._bind(conn, network_id, agent.id)
            return list(conn.execute(
                sa.select(NETWORKS.c.id).join(BINDINGS, BINDINGS.c.network_id == NETWORKS.c.id)
                .where(BINDINGS.c.dhcp_agent_id == agent.id,
                       NETWORKS.c.admin_state_up == sa.true())
                .order_by(NETWORKS.c.id)).scalars())

    # ------------------------------------------------------------------ admin (agent_scheduler)

    def _dhcp_agent(self, conn: Connection, agent_id: str) -> Any:
        row = self._agent_row(conn, agent_id)
        if row.agent_type != constants.AGENT_TYPE_DHCP:
            raise exceptions.InvalidDHCPAgent(id=agent_id)
        return row

    def add_network_to_dhcp_agent(self, ctx: Context, agent_id: str, network_id: str) -> None:
        with self.db.transaction() as conn:
            agent = self._dhcp_agent(conn, agent_id)
            if not agent.admin_state_up:
                raise exceptions.InvalidDHCPAgent(id=agent_id)
            if conn.execute(sa.select(NETWORKS.c.id).where(
                    NETWORKS.c.id == network_id)).first() is None:
                raise exceptions.NetworkNotFound(net_id=network_id)
            if not self._bind(conn, network_id, agent_id):
                raise exceptions.NetworkHostedByDHCPAgent(network_id=network_id,
                                                          agent_id=agent_id)

    def remove_network_from_dhcp_agent(self, ctx: Context, agent_id: str,
                                       network_id: str) -> None:
        with self.db.transaction() as conn:
            self._dhcp_agent(conn, agent_id)
            removed = conn.execute(BINDINGS.delete().where(
                BINDINGS.c.network_id == network_id,
                BINDINGS.c.dhcp_agent_id == agent_id)).rowcount
            if not removed:
                raise exceptions.NetworkNotHostedByDhcpAgent(network_id=network_id,
                                                             agent_id=agent_id)

    def list_networks_on_dhcp_agent(self, ctx: Context, agent_id: str) -> list[dict[str, Any]]:
        with self.db.transaction(write=False) as conn:
            self._dhcp_agent(conn, agent_id)
            ids = conn.execute(sa.select(BINDINGS.c.network_id).where(
                BINDINGS.c.dhcp_agent_id == agent_id)).scalars().all()
        return self.get_networks(ctx, filters={"id": ids}) if ids else []

    def list_dhcp_agents_hosting_network(self, ctx: Context, network_id: str
                                         ) -> list[dict[str, Any]]:
        with self.db.transaction(write=False) as conn:
            if conn.execute(sa.select(NETWORKS.c.id).where(
                    NETWORKS.c.id == network_id)).first() is None:
                raise exceptions.NetworkNotFound(net_id=network_id)
        return self.get_dhcp_agents_hosting_networks(ctx, [network_id], active=False)
