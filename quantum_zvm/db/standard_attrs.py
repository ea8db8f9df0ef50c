"""Neutron's standard attributes of networks, subnets and ports.

``description``, ``created_at``, ``updated_at`` (ISO 8601 UTC with ``Z``, as
neutron shows them) and ``revision_number``, which grows by one with every
change of the resource (an update, a tag change, a port status the agent
reports).  ``If-Match: revision_number=N`` makes an update conditional: a
resource at another revision answers 412 (neutron's ``revision_plugin``,
neutron/services/revisions/revision_plugin.py and neutron/api/api_common.py
``check_request_for_revision_constraint`` at openstack/neutron
2131d26f73262ec89a5d3e3e0d65521df4908e65).  The columns live in the
resource's own row (:class:`quantum_zvm.db.models.StandardAttrs`).
"""
from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from quantum_zvm.common import constants, exceptions

ISO = "%Y-%m-%dT%H:%M:%SZ"
IF_MATCH_PREFIX = "revision_number="


def utcnow() -> datetime.datetime:
    """Naive UTC to the second, as neutron stores timestamps."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None, microsecond=0)


def created(attrs: Mapping[str, Any], now: datetime.datetime) -> dict[str, Any]:
    """The standard-attribute column values of a new resource."""
    description = attrs.get("description", constants.ATTR_NOT_SPECIFIED)
    return {"description": "" if description is constants.ATTR_NOT_SPECIFIED or
            description is None else description,
            "created_at": now, "updated_at": now, "revision_number": 0}


def bumped(table: sa.Table, now: datetime.datetime) -> dict[str, Any]:
    """Values of an UPDATE that records a change: the next revision, the time."""
    return {"revision_number": table.c.revision_number + 1, "updated_at": now}


def timestamp(value: datetime.datetime | None) -> str | None:
    """ISO 8601 of a timestamp column's value, as the API shows it."""
    return None if value is None else value.strftime(ISO)


def sqlite_iso(value: str | None) -> str | None:
    """ISO 8601 of a timestamp as SQLite holds it: SQLAlchemy's text
    ``YYYY-MM-DD HH:MM:SS[.ffffff]``, cut and joined again (a tenth of SQLite's
    ``strftime`` per row).  Any other spelling is parsed, as ``strftime`` would
    have; what neither reads is None, as ``strftime`` answers NULL."""
    if value is None:
        return None
    if len(value) >= 19 and value[10] == " ":
        return f"{value[:10]}T{value[11:19]}Z"
    try:
        return datetime.datetime.fromisoformat(str(value)).strftime(ISO)
    except ValueError:
        return None


class _IsoText(sa.types.TypeDecorator[str]):
    """The type of :class:`iso_text`: text, turned into the API's ISO 8601 on reading where
    the database hands over the stored text (SQLite); other engines format it themselves."""

    impl = sa.String
    cache_ok = True

    def result_processor(self, dialect: sa.Dialect, coltype: object
                         ) -> Callable[[Any], Any] | None:
        return sqlite_iso if dialect.name == "sqlite" else None


class iso_text(sa.sql.functions.FunctionElement):
    """A timestamp column as the API's ISO 8601 text (NULL stays NULL): a 10,000-port list
    otherwise parses 20,000 datetimes and formats them again.  PostgreSQL and MySQL format
    it in SQL (:func:`_iso_postgresql`, :func:`_iso_mysql`); SQLite reads the stored text,
    which :func:`sqlite_iso` cuts into shape (:func:`_iso_sqlite`: its ``strftime`` costs
    more than parsing in Python did)."""

    type = _IsoText()
    inherit_cache = True
    name = "iso_text"


@compiles(iso_text, "sqlite")
def _iso_sqlite(element: iso_text, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return compiler.process(column, **kw)


@compiles(iso_text, "postgresql")
def _iso_postgresql(element: iso_text, compiler: Any, **kw: Any) -> str:
    return compiler.process(sa.func.to_char(*element.clauses, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                            **kw)


@compiles(iso_text, "mysql")
def _iso_mysql(element: iso_text, compiler: Any, **kw: Any) -> str:
    return compiler.process(sa.func.date_format(*element.clauses, "%Y-%m-%dT%H:%i:%sZ"),
                            **kw)


def listed(table: sa.FromClause) -> tuple[sa.ColumnElement, ...]:
    """The four columns as a list shows them, under their own names: the description
    ('' for rows older than the column), the timestamps as ISO text, the revision."""
    return (sa.func.coalesce(table.c.description, "").label("description"),
            iso_text(table.c.created_at).label("created_at"),
            iso_text(table.c.updated_at).label("updated_at"),
            table.c.revision_number)


def view(description: str | None, created_at: datetime.datetime | None,
         updated_at: datetime.datetime | None, revision_number: int | None) -> dict[str, Any]:
    return {"description": description or "", "created_at": timestamp(created_at),
            "updated_at": timestamp(updated_at), "revision_number": revision_number or 0}


def row_view(row: Any) -> dict[str, Any]:
    """:func:`view` of a row holding the four columns."""
    return view(row.description, row.created_at, row.updated_at, row.revision_number)


def parse_if_match(etags: Iterable[str]) -> int | None:
    """The revision an ``If-Match`` header constrains to, or None without one.

    Other entity tags are ignored; two revisions or a revision that is not an
    integer are a 400, as in neutron.
    """
    revision = None
    for etag in etags:
        if not etag.startswith(IF_MATCH_PREFIX):
            continue
        if revision is not None:
            raise exceptions.BadRequest(resource="if-match",
                                        msg="Multiple revision_number etags are not supported.")
        try:
            revision = int(etag[len(IF_MATCH_PREFIX):])
        except ValueError:
            raise exceptions.BadRequest(
                resource="if-match",
                msg="Revision number etag must be in the format of revision_number=<int>"
            ) from None
    return revision


def check_revision(expected: int | None, current: int) -> None:
    """412 unless the resource is at the revision the request is constrained to."""
    if expected is not None and expected != current:
        raise exceptions.RevisionNumberConstraintFailed(expected=expected, current=current)
