"""quantum_zvm.db.api: engines, transactions, error mapping and retries."""
import importlib.util
import sys
import threading
import time

import pytest
import sqlalchemy as sa

from quantum_zvm.common import exceptions
from quantum_zvm.db import api
from quantum_zvm.db.api import Database, DeadlockError
from tests.fixtures.procs import free_port


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'a.sqlite'}", max_retries=0)
    yield database
    database.dispose()


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(db):
    with db.transaction(write=False) as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_transactions_commit_or_roll_back(db):
    with db.transaction() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    with pytest.raises(RuntimeError), db.transaction() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        raise RuntimeError("boom")
    with db.transaction() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (2)")
    with db.transaction(write=False) as conn:
        assert conn.exec_driver_sql("SELECT x FROM t").scalars().all() == [2]


def test_sqlite_write_transactions_are_serialised_in_process(db):
    """Two threads doing read-then-write never both read the same value."""
    with db.transaction() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (n INTEGER)")
        conn.exec_driver_sql("INSERT INTO counter VALUES (0)")

    def bump():
        for _ in range(20):
            with db.transaction() as conn:
                n = conn.exec_driver_sql("SELECT n FROM counter").scalar()
                time.sleep(0.0005)
                conn.exec_driver_sql(f"UPDATE counter SET n = {n + 1}")

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with db.transaction(write=False) as conn:
        assert conn.exec_driver_sql("SELECT n FROM counter").scalar() == 80


def test_statement_errors_are_not_mistaken_for_an_outage(db):
    with pytest.raises(sa.exc.OperationalError, match="no such table"), \
            db.transaction() as conn:
        conn.exec_driver_sql("SELECT * FROM nowhere")


def test_unreachable_database_raises_database_unavailable_after_retries():
    started = time.monotonic()
    with pytest.raises(exceptions.DatabaseUnavailable) as info:
        Database(f"postgresql://u:secret@127.0.0.1:{free_port()}/x", max_retries=2,
                 retry_interval=0.1)
    assert info.value.status_code == 503
    assert "secret" not in str(info.value)
    assert "The database is unavailable" in str(info.value)
    assert time.monotonic() - started >= 0.2  # two waits between three attempts


def test_unopenable_sqlite_file_is_unavailable(tmp_path):
    with pytest.raises(exceptions.DatabaseUnavailable, match="unable to open"):
        Database(f"sqlite:///{tmp_path}/missing/dir/db.sqlite", max_retries=0)


# The drivers that wait in C, which SQLAlchemy would pick for a bare mysql:// or postgresql://.
BLOCKING_DRIVERS = ("MySQLdb", "psycopg")


@pytest.fixture(params=["installed", "absent"])
def blocking_drivers(request, monkeypatch, tmp_path):
    """mysqlclient (``MySQLdb``) and psycopg 3 importable, or not, whatever this machine has."""
    for module in BLOCKING_DRIVERS:
        if request.param == "absent":
            monkeypatch.setitem(sys.modules, module, None)  # import fails, find_spec is None
        elif importlib.util.find_spec(module) is None:
            (tmp_path / module).mkdir()
            (tmp_path / module / "__init__.py").write_text("")
            monkeypatch.syspath_prepend(str(tmp_path))
    assert all((importlib.util.find_spec(module) is not None) == (request.param == "installed")
               for module in BLOCKING_DRIVERS)
    return request.param


def test_url_normalisation(blocking_drivers):
    """mysql:// is PyMySQL and postgresql:// psycopg2, the drivers eventlet makes
    cooperative, whether mysqlclient and psycopg 3 are installed or not."""
    url = api.normalize_url("mysql://root:pw@db/ovs_quantum?charset=utf8")
    assert url.drivername == "mysql+pymysql" and url.get_dialect().driver == "pymysql"
    assert api.normalize_url("postgres://u@h/d").drivername == "postgresql+psycopg2"
    assert api.normalize_url("postgresql://u@h/d").get_dialect().driver == "psycopg2"
    assert api.normalize_url("mysql+pymysql://u@h/d").drivername == "mysql+pymysql"
    db = Database("mysql://root:yourpass@localhost/ovs_quantum?charset=utf8", connect=False)
    assert db.dialect == "mysql" and "yourpass" not in db.safe_url
    assert db.engine.dialect.driver == "pymysql"
    db.dispose()


class Holder:
    def __init__(self, db, failures):
        self.db, self.failures, self.calls = db, failures, 0

    @api.retry_on_deadlock
    def work(self, value):
        self.calls += 1
        if self.calls <= self.failures:
            raise DeadlockError("lost a race")
        return value


def test_deadlocks_are_retried_then_reported_as_503(db):
    holder = Holder(db, failures=2)
    assert holder.work("ok") == "ok" and holder.calls == 3
    stubborn = Holder(db, failures=99)
    with pytest.raises(exceptions.ServiceUnavailable):
        stubborn.work("never")
    assert stubborn.calls == api.DEADLOCK_RETRIES
