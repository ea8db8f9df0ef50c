"""standard_attrs.sqlite_iso: SQLite's stored timestamp text as the API's ISO 8601."""
import datetime

import pytest
import sqlalchemy as sa

from quantum_zvm.db import standard_attrs


@pytest.mark.parametrize(("stored", "shown"), [
    ("2026-12-03 12:35:52.000000", "2026-12-03T12:35:52Z"),   # SQLAlchemy's spelling
    ("2026-12-03 12:35:52.999999", "2026-12-03T12:35:52Z"),   # seconds are not rounded
    ("2026-12-03 12:35:52", "2026-12-03T12:35:52Z"),          # CURRENT_TIMESTAMP's
    ("2026-12-03T01:02:03", "2026-12-03T01:02:03Z"),          # others are parsed
    ("2026-12-03", "2026-12-03T00:00:00Z"),
    ("not a time", None),                                     # strftime's NULL
    (None, None),
])
def test_sqlite_iso(stored, shown):
    assert standard_attrs.sqlite_iso(stored) == shown


def test_sqlite_iso_matches_sqlite_strftime_and_python():
    """The same text as SQLite's own strftime and as the create's Python formatting."""
    engine = sa.create_engine("sqlite://")
    table = sa.Table("t", sa.MetaData(), sa.Column("at", sa.DateTime))
    table.create(engine)
    when = datetime.datetime(2026, 2, 28, 23, 59, 58, 123456)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"at": when}, {"at": None}])
        rows = conn.execute(sa.select(
            standard_attrs.iso_text(table.c.at),
            sa.func.strftime(standard_attrs.ISO, table.c.at))).all()
    assert [tuple(row) for row in rows] == [(standard_attrs.timestamp(when),) * 2,
                                            (None, None)]
    engine.dispose()
