"""Tags of networks, subnets and ports (neutron's ``standard-attr-tag``).

The ``/tags`` sub-resource (:class:`TagsMixin`, served by
:mod:`quantum_zvm.api.tags`) and the list filters ``tags`` (every tag),
``tags-any`` (any of them), ``not-tags`` (not every tag) and ``not-tags-any``
(none of them); a filter value may list tags separated by commas and repeat
(neutron/objects/tag.py ``_apply_tag_filters`` and neutron/extensions/tagging.py
at openstack/neutron 2131d26f73262ec89a5d3e3e0d65521df4908e65: tags are
strings of at most 255 characters, at most 50 per resource).  A tag change
is a change of the resource: its revision number and ``updated_at`` move.

Who may do what follows the resources' own rules: a tenant reads the tags of
what it sees (its own resources, shared networks and their subnets) and
changes those of its own; anything else is not found (404).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from quantum_zvm.common import exceptions
from quantum_zvm.common.context import Context
from quantum_zvm.db import models, queries, standard_attrs

MAX_TAG_LEN = 255
MAX_TAGS = 50
FILTERS = ("tags", "tags-any", "not-tags", "not-tags-any")

TABLES: dict[str, sa.Table] = {"networks": models.NETWORK_TAGS,
                               "subnets": models.SUBNET_TAGS, "ports": models.PORT_TAGS}
RESOURCES: dict[str, sa.Table] = {"networks": models.NETWORKS,
                                  "subnets": models.SUBNETS,
                                  "ports": models.PORTS}
_NOT_FOUND = {"networks": lambda id: exceptions.NetworkNotFound(net_id=id),
              "subnets": lambda id: exceptions.SubnetNotFound(subnet_id=id),
              "ports": lambda id: exceptions.PortNotFound(port_id=id)}


def check_limit(tags: Sequence[str]) -> None:
    if len(set(tags)) > MAX_TAGS:
        raise exceptions.InvalidInput(
            error_message=f"The number of tags exceed the per-resource limit of {MAX_TAGS}")


def filter_values(values: Iterable[str]) -> list[str]:
    """``["a,b", "c"]`` → ``["a", "b", "c"]`` (neutron's comma form and repeats alike)."""
    return list(dict.fromkeys(tag for value in values for tag in str(value).split(",") if tag))


def apply_filters(query: sa.Select, collection: str, id_column: sa.ColumnElement,
                  filters: Mapping[str, Sequence[str]]) -> sa.Select:
    """``query`` restricted by the tag filters among ``filters`` (already split)."""
    table = TABLES[collection]
    for name in FILTERS:
        tags = list(filters.get(name) or ())
        if not tags:
            continue
        having = sa.select(table.c.resource_id).where(table.c.tag.in_(tags))
        if name in ("tags", "not-tags"):
            having = having.group_by(table.c.resource_id).having(
                sa.func.count() == len(tags))
        query = query.where(id_column.in_(having) if name in ("tags", "tags-any")
                            else id_column.not_in(having))
    return query


def split_filters(filters: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(other filters, tag filters)``."""
    other = dict(filters or {})
    return other, {name: other.pop(name) for name in FILTERS if name in other}


# Built once: every show reads its resource's tags.
_TAGS_OF = {collection: sa.select(table.c.resource_id, table.c.tag).where(
    table.c.resource_id.in_(sa.bindparam("ids", expanding=True)))
    for collection, table in TABLES.items()}


def tags_of(conn: Connection, collection: str, ids: sa.Subquery | Sequence[str]
            ) -> dict[str, list[str]]:
    """Tags by resource id (sorted), for a list of ids or a subquery with an ``id`` column."""
    if isinstance(ids, sa.Subquery):
        table = TABLES[collection]
        rows = conn.execute(sa.select(table.c.resource_id, table.c.tag).join(
            ids, ids.c.id == table.c.resource_id))
    else:
        rows = conn.execute(_TAGS_OF[collection], {"ids": list(ids)})
    result: dict[str, list[str]] = {}
    for resource_id, tag in rows:
        result.setdefault(resource_id, []).append(tag)
    for tags in result.values():
        tags.sort()
    return result


def insert(conn: Connection, collection: str, resource_id: str, tags: Sequence[str]) -> None:
    """Give the resource ``tags`` (which it does not have yet)."""
    if tags:
        conn.execute(TABLES[collection].insert(),
                     [{"resource_id": resource_id, "tag": tag} for tag in tags])


class TagsMixin:
    """The ``/tags`` sub-resource methods of :class:`quantum_zvm.plugin.ZvmPlugin`."""

    db: Any

    def _tagged_row(self, conn: Connection, ctx: Context, collection: str, resource_id: str,
                    write: bool) -> None:
        """Check that the caller may read (or change: the row is locked) the resource's
        tags; 404 otherwise."""
        table = RESOURCES[collection]
        query = queries.tenant_scope(sa.select(table.c.id).where(table.c.id == resource_id),
                                     table, ctx, shared=not write and collection != "ports")
        if write:
            query = query.with_for_update()
        if conn.execute(query).first() is None:
            raise _NOT_FOUND[collection](resource_id)

    @staticmethod
    def _changed(conn: Connection, collection: str, resource_id: str) -> None:
        """Record a tag change as a change of the resource (revision, ``updated_at``)."""
        table = RESOURCES[collection]
        conn.execute(table.update().where(table.c.id == resource_id).values(
            **standard_attrs.bumped(table, standard_attrs.utcnow())))

    def get_tags(self, ctx: Context, collection: str, resource_id: str) -> list[str]:
        with self.db.transaction(write=False) as conn:
            self._tagged_row(conn, ctx, collection, resource_id, write=False)
            return tags_of(conn, collection, [resource_id]).get(resource_id, [])

    def has_tag(self, ctx: Context, collection: str, resource_id: str, tag: str) -> None:
        """Nothing when the resource has ``tag``; :class:`TagNotFound` otherwise."""
        table = TABLES[collection]
        with self.db.transaction(write=False) as conn:
            self._tagged_row(conn, ctx, collection, resource_id, write=False)
            found = conn.execute(sa.select(table.c.tag).where(
                table.c.resource_id == resource_id, table.c.tag == tag)).first()
        if found is None:
            raise exceptions.TagNotFound(tag=tag, resource=collection[:-1],
                                         resource_id=resource_id)

    def update_tags(self, ctx: Context, collection: str, resource_id: str,
                    tags: Sequence[str], replace: bool) -> list[str]:
        """Set the resource's tags to ``tags`` (``replace``) or add them; the tags it has."""
        table = TABLES[collection]
        with self.db.transaction() as conn:
            self._tagged_row(conn, ctx, collection, resource_id, write=True)
            have = tags_of(conn, collection, [resource_id]).get(resource_id, [])
            wanted = list(dict.fromkeys(tags)) if replace else list(dict.fromkeys([*have, *tags]))
            check_limit(wanted)
            gone = [tag for tag in have if tag not in wanted]
            new = [tag for tag in wanted if tag not in have]
            if gone:
                conn.execute(table.delete().where(table.c.resource_id == resource_id,
                                                  table.c.tag.in_(gone)))
            insert(conn, collection, resource_id, new)
            if gone or new:
                self._changed(conn, collection, resource_id)
            return sorted(wanted)

    def delete_tags(self, ctx: Context, collection: str, resource_id: str,
                    tag: str | None = None) -> None:
        """Remove one tag (:class:`TagNotFound` when absent) or, without ``tag``, all."""
        table = TABLES[collection]
        with self.db.transaction() as conn:
            self._tagged_row(conn, ctx, collection, resource_id, write=True)
            query = table.delete().where(table.c.resource_id == resource_id)
            if tag is not None:
                query = query.where(table.c.tag == tag)
            if conn.execute(query).rowcount:
                self._changed(conn, collection, resource_id)
            elif tag is not None:
                raise exceptions.TagNotFound(tag=tag, resource=collection[:-1],
                                             resource_id=resource_id)
