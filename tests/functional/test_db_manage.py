"""``quantum-zvm-db-manage`` as a real command, on SQLite, PostgreSQL and MariaDB (a ``mysql://``
URL), including adoption."""
from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from quantum_zvm.db import migration
from quantum_zvm.db.api import Database
from tests.fixtures import grizzly_db
from tests.fixtures.procs import command


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres),
                        pytest.param("mysql", marks=pytest.mark.mysql)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'manage.sqlite'}"
    return request.getfixturevalue({"postgresql": "pg_url", "mysql": "mysql_url"}[request.param])


def write_ini(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "zvm_quantum_plugin.ini"
    path.write_text(textwrap.dedent(f"""\
        [DEFAULT]
        state_path = {tmp_path}
        [DATABASE]
        sql_connection = {url}
        sql_max_retries = 0
        [AGENT]
        vswitch_mappings = physnet1:1000:1009,physnet2
        """))
    return path


def manage(ini: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([command("quantum-zvm-db-manage"), "--config-file", str(ini), *args],
                          capture_output=True, text=True, timeout=120)


def test_upgrade_current_check_downgrade(db_url, tmp_path):
    ini = write_ini(tmp_path, db_url)
    check = manage(ini, "check")
    assert check.returncode == 1
    assert f"run: quantum-zvm-db-manage --config-file {ini} upgrade head" in check.stderr
    upgrade = manage(ini, "upgrade", "head")
    assert upgrade.returncode == 0, upgrade.stderr
    assert manage(ini, "current").stdout.strip() == f"{migration.head()} (head)"
    assert manage(ini, "downgrade", "0001_grizzly").returncode == 0
    assert "run upgrade head" in manage(ini, "current").stdout
    again = manage(ini, "upgrade", "head")
    assert again.returncode == 0, again.stderr
    bad = manage(ini, "downgrade", "nosuch")
    assert bad.returncode == 1 and "nosuch" in bad.stderr and "Traceback" not in bad.stderr


def test_grizzly_ovs_database_is_adopted_by_upgrade_head(db_url, tmp_path):
    db = Database(db_url, max_retries=0)
    grizzly_db.create(db.engine)
    with db.transaction() as conn:
        before = grizzly_db.populate(conn)
    ini = write_ini(tmp_path, db_url)
    assert "upgrade head adopts it" in manage(ini, "current").stdout

    upgrade = manage(ini, "upgrade", "head")
    assert upgrade.returncode == 0, upgrade.stderr
    assert "adopting a Quantum Open vSwitch plugin database (Quantum revision grizzly)" \
        in upgrade.stdout
    assert manage(ini, "check").returncode == 0
    with db.transaction(write=False) as conn:
        assert grizzly_db.counts(conn) == before
        assert conn.execute(sa.text("SELECT count(*) FROM zvm_macids")).scalar() == 2
    db.dispose()


def test_unreachable_database_fails_with_a_message(tmp_path):
    ini = write_ini(tmp_path, "postgresql://nobody:pw@127.0.0.1:1/none")
    result = manage(ini, "upgrade", "head")
    assert result.returncode == 1
    assert "The database is unavailable" in result.stderr and "Traceback" not in result.stderr


def test_upgrade_to_standard_attributes_keeps_every_row(db_url, tmp_path):
    """0003 → 0004 (standard attributes, MTU, tags) with data, and back."""
    db = Database(db_url, max_retries=0)
    grizzly_db.create(db.engine)
    with db.transaction() as conn:
        before = grizzly_db.populate(conn)
    ini = write_ini(tmp_path, db_url)
    assert manage(ini, "upgrade", "0003_mysql_binary_ids").returncode == 0
    upgrade = manage(ini, "upgrade", "head")
    assert upgrade.returncode == 0, upgrade.stderr
    with db.transaction(write=False) as conn:
        assert grizzly_db.counts(conn) == before
        for table in ("networks", "subnets", "ports"):
            rows = conn.execute(sa.text(
                f"SELECT revision_number, created_at, updated_at, description FROM {table}")).all()
            assert rows and all(r[0] == 0 and r[1] is not None and r[1] == r[2]
                                and r[3] is None for r in rows), (table, rows)
        assert conn.execute(sa.text("SELECT count(*) FROM networks WHERE mtu IS NULL")
                            ).scalar() == before["networks"]
        conn.execute(sa.text("SELECT resource_id, tag FROM port_tags")).all()
    assert manage(ini, "downgrade", "0003_mysql_binary_ids").returncode == 0
    with db.transaction(write=False) as conn:
        assert grizzly_db.counts(conn) == before
    assert manage(ini, "upgrade", "head").returncode == 0
    db.dispose()
