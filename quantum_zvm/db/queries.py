"""List queries: filters, sorting and keyset pagination (reference §6.3) on SQLAlchemy selects.

``filters`` maps an attribute to the list of accepted values (values OR
together, attributes AND); attributes that are not columns are ignored, as
Quantum does.  ``sorts`` is ``[(attribute, ascending), ...]``; ``id`` is
always appended as the final key so pages are stable.  ``marker`` is the id of
the last item of the previous page; ``page_reverse`` walks backwards.
"""
from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from quantum_zvm.common import exceptions
from quantum_zvm.common.context import Context

Columns = Mapping[str, sa.ColumnElement]
CHUNK = 900  # ids per IN clause: below every engine's bound-parameter limit


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a long list is read and built.

    A list of 10,000 ports makes some 50,000 containers (a dict and its lists per port)
    that hold no cycle; the collector otherwise walks them in every pass it makes while
    they are being made (about 170 young passes and a full one per list, 20-30 ms).
    They are freed by reference counting once the response is sent.  Where the collector
    is already off (another thread's list, or a caller's choice) it is left as it is.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def tenant_scope(query: sa.Select, table: sa.Table, ctx: Context,
                 shared: bool = True) -> sa.Select:
    """``query`` cut to the rows of ``table`` that ``ctx`` may see: an admin every row, a
    tenant its own and, with ``shared`` (networks, subnets), the shared ones."""
    if ctx.is_admin:
        return query
    own = table.c.tenant_id == ctx.tenant_id
    return query.where(sa.or_(own, table.c.shared == sa.true()) if shared else own)


def only(item: dict[str, Any], fields: Sequence[str] | None) -> dict[str, Any]:
    """The ``fields`` of a result item (all of it without ``fields``)."""
    return {k: v for k, v in item.items() if k in fields} if fields else item


def apply_filters(query: sa.Select, columns: Columns, filters: Mapping[str, Any] | None
                  ) -> sa.Select:
    for key, values in (filters or {}).items():
        column = columns.get(key)
        if column is None:
            continue
        if not isinstance(values, (list, tuple, set)):
            values = [values]
        values = [v for v in values if v is not None and v != ""]
        if values:
            query = query.where(column.in_(values))
    return query


def sort_and_page(conn: Connection, query: sa.Select, columns: Columns, resource: str,
                  sorts: Sequence[tuple[str, bool]] | None, limit: int | None,
                  marker: str | None, page_reverse: bool) -> sa.Select:
    """Order ``query`` and cut one page; the caller reverses rows when ``page_reverse``."""
    keys = []
    for key, ascending in sorts or []:
        if key not in columns:
            raise exceptions.BadRequest(resource=resource,
                                        msg=f"{key} is not a valid sort key")
        if key != "id":
            keys.append((key, bool(ascending)))
    keys.append(("id", keys[-1][1] if keys else True))
    if page_reverse:
        keys = [(key, not ascending) for key, ascending in keys]
    # NULLs are the smallest values (SQLite and MySQL do that already; PostgreSQL is told).
    nulls_low = conn.dialect.name == "postgresql"
    query = query.order_by(*[_direction(columns[k], asc, nulls_low) for k, asc in keys])
    if marker:
        values = conn.execute(sa.select(*[columns[k] for k, _ in keys])
                                 .where(columns["id"] == marker)).first()
        if values is None:
            raise exceptions.BadRequest(resource=resource, msg=f"marker {marker} not found")
        query = query.where(_after(columns, keys, values))
    if limit is not None:
        if limit < 0:
            raise exceptions.BadRequest(resource=resource, msg=f"limit {limit} is negative")
        if limit:
            query = query.limit(limit)
    return query


def _direction(column: sa.ColumnElement, ascending: bool, nulls_low: bool) -> sa.ColumnElement:
    if ascending:
        return column.asc().nulls_first() if nulls_low else column.asc()
    return column.desc().nulls_last() if nulls_low else column.desc()


def _after(columns: Columns, keys: list[tuple[str, bool]], values: Sequence[Any]
           ) -> sa.ColumnElement[bool]:
    """Rows strictly after ``values`` in the order of ``keys`` (lexicographic keyset)."""
    clauses = []
    for index, (key, ascending) in enumerate(keys):
        equal = [columns[k] == values[i] for i, (k, _) in enumerate(keys[:index])]
        column, value = columns[key], values[index]
        step: sa.ColumnElement[bool]
        if value is None:  # NULL is the smallest value: after it come the non-NULLs
            step = column.is_not(None) if ascending else sa.false()
        else:
            step = column > value if ascending else sa.or_(column < value, column.is_(None))
        clauses.append(sa.and_(*equal, step))
    return sa.or_(*clauses)
