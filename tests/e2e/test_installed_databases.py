"""Databases under eventlet: the installed server stays responsive while a query waits on a lock.

Each site has two drivers of its engine installed: the extra's (``[mysql]``:
PyMySQL, pure Python, cooperative once eventlet patches the socket module;
``[postgresql]``: psycopg2, made cooperative by eventlet's wait callback) and
one in C whose waits eventlet cannot interrupt (mysqlclient ``MySQLdb``;
psycopg 3 with its C wait loop): with those, one request waiting on a row
lock froze every other request of the server.  A ``mysql://`` or
``postgresql://`` URL must use the cooperative driver whatever else is
installed.
"""
from __future__ import annotations

import subprocess
import textwrap
import threading
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from quantum_zvm.db.api import normalize_url
from tests.fixtures.installed import InstalledSite, SiteWheel, install_site
from tests.fixtures.procs import Process, free_port, unavailable, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ADMIN = {"X-Project-Id": "tenant1", "X-Roles": "admin"}
LOCK_SECONDS = 3.0


# engine: (extra, the blocking driver installed beside it, modules both import as,
#          database URL fixture)
ENGINES = {
    "mysql": ("mysql", "mysqlclient", "MySQLdb, pymysql", "mysql_url"),
    "postgresql": ("postgresql", "psycopg[binary]", "psycopg, psycopg2", "pg_url"),
}


@pytest.fixture(scope="module", params=sorted(ENGINES), ids=sorted(ENGINES))
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def both_drivers_site(engine: str, site_wheel: SiteWheel,
                      tmp_path_factory: pytest.TempPathFactory) -> InstalledSite:
    extra, blocking, _, _ = ENGINES[engine]
    try:
        return install_site(tmp_path_factory.mktemp(f"site-{engine}"), site_wheel,
                            extras=[extra], more=[blocking])
    except AssertionError as exc:
        unavailable(f"{blocking} could not be installed (mysqlclient builds from source with "
                    f"libmariadb-dev, pkg-config and a C compiler): {str(exc)[-2000:]}")
        raise


@pytest.fixture
def database_url(engine: str, request: pytest.FixtureRequest) -> str:
    """A fresh database, its URL as an operator writes it (no driver named)."""
    url = make_url(request.getfixturevalue(ENGINES[engine][3]))
    return url.set(drivername=engine).render_as_string(hide_password=False)


def run(site: InstalledSite, cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), cwd=cwd, env=site.env(), capture_output=True, text=True,
                          timeout=120)


def get_seconds(url: str, timeout: float = 10.0) -> float:
    """How long ``GET url`` took (``timeout`` when it got no answer in time)."""
    started = time.monotonic()
    try:
        assert requests.get(url, timeout=timeout).status_code == 200
    except requests.Timeout:
        return timeout
    return time.monotonic() - started


def lock_row(url: str, table: str, row_id: str) -> sa.Connection:
    """Another client's transaction holding a row lock (until rollback), with the test
    venv's cooperative drivers (PyMySQL, psycopg2)."""
    engine = sa.create_engine(normalize_url(url), poolclass=sa.pool.NullPool)
    conn = engine.connect()
    conn.begin()
    conn.execute(sa.text(f"SELECT id FROM {table} WHERE id = :id FOR UPDATE"), {"id": row_id})
    return conn


def test_a_row_lock_held_elsewhere_does_not_freeze_the_server(engine: str,
                                                              both_drivers_site: InstalledSite,
                                                              database_url: str, tmp_path: Path):
    site = both_drivers_site
    drivers = run(site, tmp_path, str(site.python), "-c", f"import {ENGINES[engine][2]}")
    assert drivers.returncode == 0, drivers.stderr
    port = free_port()
    ini = tmp_path / "zvm_quantum_plugin.ini"
    ini.write_text(textwrap.dedent(f"""\
        [DEFAULT]
        state_path = {tmp_path}
        bind_port = {port}
        [DATABASE]
        sql_connection = {database_url}
        [AGENT]
        vswitch_mappings = VSW1:100:199
        """))
    upgrade = run(site, tmp_path, site.bin("quantum-zvm-db-manage"), "--config-file", str(ini),
                  "upgrade", "head")
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    server = Process([site.bin("quantum-zvm-server"), "--config-file", str(ini)],
                     tmp_path / "server.log", env=site.env(), cwd=tmp_path)
    api = f"http://127.0.0.1:{port}"
    try:
        def answers() -> bool:
            if not server.alive():
                raise AssertionError(f"quantum-zvm-server exited:\n{server.output()}")
            try:
                return requests.get(api + "/", timeout=5).status_code == 200
            except requests.ConnectionError:
                return False
        wait_for(answers, timeout=60, what="quantum-zvm-server to answer GET /")
        response = requests.post(f"{api}/v2.0/networks", json={"network": {"name": "n1"}},
                                 headers=ADMIN, timeout=30)
        assert response.status_code == 201, response.text
        net_id = response.json()["network"]["id"]

        lock = lock_row(database_url, "networks", net_id)
        waited: dict[str, float | int] = {}

        def update() -> None:  # waits in the server for the row lock
            started = time.monotonic()
            try:
                reply = requests.put(f"{api}/v2.0/networks/{net_id}",
                                     json={"network": {"name": "n2"}}, headers=ADMIN,
                                     timeout=60)
                waited["status"] = reply.status_code
            finally:
                waited["seconds"] = time.monotonic() - started
        updater = threading.Thread(target=update)
        try:
            lock_taken = time.monotonic()
            updater.start()
            time.sleep(0.5)
            latencies = []
            while time.monotonic() - lock_taken < LOCK_SECONDS:
                latencies.append(get_seconds(api + "/"))
                time.sleep(0.1)
        finally:
            lock.rollback()
            lock.close()
        updater.join(timeout=60)
        assert waited.get("status") == 200, waited
        assert waited["seconds"] >= LOCK_SECONDS - 1.0, waited  # the PUT did wait on the lock
        assert max(latencies) < 0.5, f"GET / took {max(latencies):.2f} s during the row lock"
    finally:
        server.stop(timeout=15)
