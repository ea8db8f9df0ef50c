"""Agents (``agents`` table): state reports, liveness and the admin view (reference §3.2).

An agent is identified by (``agent_type``, ``host``).  ``report_state``
upserts its row; it is *alive* while its last heartbeat is newer than
``agent_down_time`` seconds.  Only ``admin_state_up`` and ``description``
can be changed through the API.
"""
from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from quantum_zvm.common import constants, exceptions
from quantum_zvm.common.context import Context
from quantum_zvm.db import models, queries
from quantum_zvm.db.api import retry_on_deadlock
from quantum_zvm.db.zvm_bindings import utcnow

AGENTS = models.AGENTS
COLUMNS = {c.name: c for c in AGENTS.c}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_CONFIGURATIONS = constants.AGENT_CONFIGURATIONS_MAX


class AgentDbMixin:
    """Agent methods of :class:`quantum_zvm.plugin.ZvmPlugin` (needs ``db`` and ``conf``)."""

    db: Any
    conf: Any

    def is_agent_alive(self, heartbeat: datetime.datetime) -> bool:
        return utcnow() - heartbeat < datetime.timedelta(seconds=self.conf.agent_down_time)

    def _agent_dict(self, row: Any, fields: Sequence[str] | None = None) -> dict[str, Any]:
        try:
            configurations = json.loads(row.configurations)
        except ValueError:
            configurations = {}
        return queries.only({
            "id": row.id, "agent_type": row.agent_type, "binary": row.binary,
            "topic": row.topic, "host": row.host, "admin_state_up": row.admin_state_up,
            "created_at": row.created_at.strftime(TIME_FORMAT),
            "started_at": row.started_at.strftime(TIME_FORMAT),
            "heartbeat_timestamp": row.heartbeat_timestamp.strftime(TIME_FORMAT),
            "description": row.description, "configurations": configurations,
            "alive": self.is_agent_alive(row.heartbeat_timestamp),
        }, fields)

    def _agent_row(self, conn: Connection, agent_id: str) -> Any:
        row = conn.execute(sa.select(AGENTS).where(AGENTS.c.id == agent_id)).first()
        if row is None:
            raise exceptions.AgentNotFound(id=agent_id)
        return row

    def get_agents(self, ctx: Context, filters: Mapping[str, Any] | None = None,
                   fields: Sequence[str] | None = None) -> list[dict[str, Any]]:
        query = queries.apply_filters(sa.select(AGENTS), COLUMNS, filters)
        with self.db.transaction(write=False) as conn:
            rows = conn.execute(query.order_by(AGENTS.c.agent_type, AGENTS.c.host)).all()
        agents = [self._agent_dict(row) for row in rows]
        alive = (filters or {}).get("alive")
        if alive:
            agents = [a for a in agents if a["alive"] in alive]
        return [queries.only(a, fields) for a in agents]

    def get_agent(self, ctx: Context, id: str, fields: Sequence[str] | None = None
                  ) -> dict[str, Any]:
        with self.db.transaction(write=False) as conn:
            return self._agent_dict(self._agent_row(conn, id), fields)

    def update_agent(self, ctx: Context, id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        attrs = body["agent"]
        values = {k: attrs[k] for k in ("admin_state_up", "description") if k in attrs}
        with self.db.transaction() as conn:
            self._agent_row(conn, id)
            if values:
                conn.execute(AGENTS.update().where(AGENTS.c.id == id).values(**values))
            return self._agent_dict(self._agent_row(conn, id))

    def delete_agent(self, ctx: Context, id: str) -> None:
        with self.db.transaction() as conn:
            if not conn.execute(AGENTS.delete().where(AGENTS.c.id == id)).rowcount:
                raise exceptions.AgentNotFound(id=id)

    def create_or_update_agent(self, ctx: Context, agent_state: Mapping[str, Any]
                               ) -> dict[str, Any]:
        """Upsert from a state report: ``binary, host, topic, agent_type, configurations``
        and optional ``start_flag`` (first report after the agent started)."""
        return self._upsert_agent(agent_state)[1]

    def report_agent_state(self, ctx: Context, agent_state: Mapping[str, Any]) -> str:
        """:meth:`create_or_update_agent`, returning what the row was before the report:
        ``AGENT_NEW`` (none), ``AGENT_ALIVE`` or ``AGENT_REVIVED`` (it was down)."""
        return self._upsert_agent(agent_state)[0]

    @retry_on_deadlock
    def _upsert_agent(self, agent_state: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        try:
            agent_type, host = str(agent_state["agent_type"]), str(agent_state["host"])
            values: dict[str, Any] = {
                "binary": str(agent_state["binary"]), "topic": str(agent_state["topic"]),
                "configurations": json.dumps(agent_state.get("configurations") or {},
                                             sort_keys=True)}
        except (KeyError, TypeError, ValueError) as exc:
            raise exceptions.InvalidInput(
                error_message=f"agent state needs agent_type, host, binary, topic and "
                              f"JSON configurations ({exc})") from None
        if len(values["configurations"]) > MAX_CONFIGURATIONS:
            raise exceptions.InvalidInput(
                error_message=f"agent configurations exceed {MAX_CONFIGURATIONS} characters")
        now = utcnow()
        values["heartbeat_timestamp"] = now
        if agent_state.get("start_flag"):
            values["started_at"] = now
        with self.db.transaction() as conn:
            row = self._agent_by_type_host(conn, agent_type, host)
            if row is None:
                status, agent_id = constants.AGENT_NEW, str(uuid.uuid4())
                conn.execute(AGENTS.insert().values(
                    id=agent_id, agent_type=agent_type, host=host, admin_state_up=True,
                    created_at=now, **{"started_at": now, **values}))
            else:
                status, agent_id = (constants.AGENT_ALIVE if self.is_agent_alive(
                    row.heartbeat_timestamp) else constants.AGENT_REVIVED), row.id
                conn.execute(AGENTS.update().where(AGENTS.c.id == agent_id).values(**values))
            return status, self._agent_dict(self._agent_row(conn, agent_id))

    @staticmethod
    def _agent_by_type_host(conn: Connection, agent_type: str, host: str) -> Any:
        return conn.execute(sa.select(AGENTS).where(
            AGENTS.c.agent_type == agent_type, AGENTS.c.host == host)
            .order_by(AGENTS.c.heartbeat_timestamp.desc()).limit(1)).first()
