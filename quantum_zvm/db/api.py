"""Engine, transactions and error mapping for the plugin database.

:class:`Database` owns one SQLAlchemy engine and hands out transactions::

    with db.transaction() as conn:     # one transaction, committed on exit
        conn.execute(...)

Queries use SQLAlchemy Core on a ``Connection`` (the models give the tables):
the plugin builds plain dicts, and Core skips the ORM's per-statement cost.

Engines:

* **SQLite** (the default, a file under ``state_path``): foreign keys on, WAL
  journal, a busy timeout, and write transactions opened with
  ``BEGIN IMMEDIATE`` so two processes never deadlock on a read-to-write
  upgrade.  Inside one process write transactions are also serialised by a
  lock, so green threads and threads queue here instead of spinning on
  SQLite's busy handler.
* **PostgreSQL** and **MySQL/MariaDB**: pooled connections with pre-ping;
  row locks (``SELECT ... FOR UPDATE [SKIP LOCKED]``) do the serialising.
  ``mysql://`` URLs use PyMySQL and ``postgresql://`` psycopg2, the drivers
  eventlet makes cooperative (:func:`normalize_url`).
  MySQL transactions run at READ COMMITTED, PostgreSQL's default: a plain
  read after a row lock sees what the previous lock holder committed, and
  InnoDB takes no gap locks (fewer deadlocks between concurrent inserts).

Failures: a database that cannot be reached (refused, dropped, pool timeout,
SQLite file unreadable or locked for too long) raises
:class:`~quantum_zvm.common.exceptions.DatabaseUnavailable` (HTTP 503).  The
pool's pre-ping throws away dead connections, so the next request after the
database returns simply works.  Deadlocks and serialisation failures are
retried by :meth:`Database.retry`.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.mysql.base import MySQLDialect
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import StaticPool

from quantum_zvm.common import config, exceptions
from quantum_zvm.common.log import mask_secrets

LOG = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT = 30.0
DEADLOCK_RETRIES = 5

# PostgreSQL SQLSTATEs and MySQL error numbers that mean "run the transaction again".
_PG_RETRY_CODES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure
_MYSQL_RETRY_CODES = frozenset({1205, 1213})     # lock wait timeout, deadlock
# MySQL client errors meaning the server is gone (2002-2013) and "too many connections".
_MYSQL_GONE_CODES = frozenset({1040, 1053, 2002, 2003, 2005, 2006, 2013, 2055})
# SQLite errors that are about the file, not the statement.
_SQLITE_GONE_WORDS = ("database is locked", "unable to open", "disk i/o", "readonly database")

T = TypeVar("T")


class DeadlockError(Exception):
    """A transaction lost a lock race; :meth:`Database.retry` runs it again."""


def normalize_url(url: str | URL) -> URL:
    """The URL with the driver quantum-zvm uses for its scheme (:data:`config.SQL_DRIVERS`).

    ``mysql://`` always uses PyMySQL and ``postgresql://`` (or ``postgres://``)
    psycopg2, even when mysqlclient or psycopg 3 is installed: under eventlet
    those wait in C and a query waiting for a lock stops the whole server.
    A URL naming another driver is left as it is (configuration validation
    refuses it with the reason).
    """
    parsed = make_url(url) if isinstance(url, str) else url
    driver = config.SQL_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver.drivername) if driver else parsed


class Database:
    """An engine plus transactions; see the module docstring."""

    def __init__(self, url: str | URL, *, max_retries: int = 10,
                 retry_interval: float = 2.0, pool_size: int = 5, max_overflow: int = 10,
                 pool_timeout: int = 30, idle_timeout: int = 3600,
                 sqlite_busy_timeout: float = SQLITE_BUSY_TIMEOUT, connect: bool = True):
        self.url = normalize_url(url)
        self.max_retries = max_retries
        self.retry_interval = retry_interval
        self.dialect = self.url.get_backend_name()
        self.is_sqlite = self.dialect == "sqlite"
        if self.is_sqlite:
            self.engine = _sqlite_engine(self.url, sqlite_busy_timeout)
        else:
            extra = {"isolation_level": "READ COMMITTED"} if self.dialect == "mysql" else {}
            self.engine = sa.create_engine(
                self.url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow,
                pool_timeout=pool_timeout, pool_recycle=idle_timeout, **extra)
        # Write transactions carry an execution option the SQLite "begin" hook reads.
        self._write_engine = self.engine.execution_options(qzvm_write=True)
        self._write_lock = threading.RLock() if self.is_sqlite else None
        if connect:
            self.wait_for_connection()

    @classmethod
    def from_conf(cls, conf, connect: bool = True) -> Database:
        """A database from the ``[DATABASE]`` options of a loaded configuration."""
        group = conf.DATABASE
        return cls(config.sql_connection(conf), max_retries=group.sql_max_retries,
                   retry_interval=group.reconnect_interval, pool_size=group.sql_max_pool_size,
                   max_overflow=group.sql_max_overflow, pool_timeout=group.sql_pool_timeout,
                   idle_timeout=group.sql_idle_timeout, connect=connect)

    def __repr__(self) -> str:
        return f"Database({self.safe_url})"

    @property
    def safe_url(self) -> str:
        """The URL with its password masked, for messages and logs."""
        return mask_secrets(self.url.render_as_string(hide_password=True))

    # ------------------------------------------------------------------ connecting

    def wait_for_connection(self) -> None:
        """Connect, retrying every ``retry_interval`` s up to ``max_retries`` times (-1: forever).

        Raises :class:`DatabaseUnavailable` when every attempt failed.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                with self.engine.connect() as conn:
                    conn.execute(sa.text("SELECT 1"))
                if attempt > 1:
                    LOG.info("connected to %s after %d attempts", self.safe_url, attempt)
                return
            except sa_exc.DBAPIError as error:
                reason = _reason(error)
                if 0 <= self.max_retries < attempt:
                    raise exceptions.DatabaseUnavailable(reason=reason) from error
                LOG.warning("database %s unavailable (%s); attempt %d, retrying in %ss",
                            self.safe_url, reason, attempt, self.retry_interval)
                time.sleep(self.retry_interval)

    def dispose(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ transactions

    @contextlib.contextmanager
    def transaction(self, write: bool = True) -> Iterator[sa.Connection]:
        """One transaction: committed when the block ends, rolled back on an exception.

        ``write=False`` opens a read-only transaction (no SQLite write lock).
        Database errors that mean "unreachable" become :class:`DatabaseUnavailable`,
        lock races become :class:`DeadlockError`.
        """
        lock = self._write_lock if write else None
        if lock is not None:
            lock.acquire()
        try:
            engine = self._write_engine if write else self.engine
            with _translate_errors(), engine.begin() as conn:
                yield conn
        finally:
            if lock is not None:
                lock.release()

    def retry(self, func: Callable[..., T], *args, **kwargs) -> T:
        """Run ``func`` (one whole transaction) again after a deadlock, a few times.

        Raises :class:`ServiceUnavailable` (503) when every attempt lost.
        """
        for attempt in range(1, DEADLOCK_RETRIES + 1):
            try:
                return func(*args, **kwargs)
            except DeadlockError as error:
                if attempt == DEADLOCK_RETRIES:
                    raise exceptions.ServiceUnavailable() from error
                LOG.info("transaction lost a lock race (%s), attempt %d", error, attempt)
                time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")


def supports_skip_locked(dialect: sa.Dialect) -> bool:
    """Whether ``FOR UPDATE SKIP LOCKED`` exists: not before MySQL 8.0.1 and MariaDB 10.6.

    The server version is known once the engine has connected.
    """
    if not isinstance(dialect, MySQLDialect):
        return True
    version = dialect.server_version_info or ()
    return version[:2] >= ((10, 6) if dialect.is_mariadb else (8, 0))


def retry_on_deadlock(method: Callable[..., T]) -> Callable[..., T]:
    """Method decorator: run the method through ``self.db.retry``."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        return self.db.retry(method, self, *args, **kwargs)
    return wrapper


# --------------------------------------------------------------------------- errors

@contextlib.contextmanager
def _translate_errors() -> Iterator[None]:
    try:
        yield
    except sa_exc.TimeoutError as error:  # pool exhausted: the database is too slow or gone
        raise exceptions.DatabaseUnavailable(reason=str(error).splitlines()[0]) from error
    except sa_exc.DBAPIError as error:
        if is_deadlock(error):
            raise DeadlockError(_reason(error)) from error
        if is_unavailable(error):
            raise exceptions.DatabaseUnavailable(reason=_reason(error)) from error
        raise


def is_deadlock(error: sa_exc.DBAPIError) -> bool:
    orig = error.orig
    if _sqlstate(orig) in _PG_RETRY_CODES:
        return True
    code = orig.args[0] if orig is not None and orig.args else None
    return isinstance(code, int) and code in _MYSQL_RETRY_CODES


def is_unavailable(error: sa_exc.DBAPIError) -> bool:
    """True when the error means the database cannot be used right now."""
    if error.connection_invalidated or isinstance(error, sa_exc.InterfaceError):
        return True
    if not isinstance(error, sa_exc.OperationalError):
        return False
    orig = error.orig
    if isinstance(orig, sqlite3.Error):
        text = str(orig).lower()
        return any(word in text for word in _SQLITE_GONE_WORDS)
    code = orig.args[0] if orig is not None and orig.args else None
    if isinstance(code, int):  # MySQL drivers: (errno, message)
        return code in _MYSQL_GONE_CODES
    # PostgreSQL: connection failures carry no SQLSTATE; 57P0x = shutdown, 08xxx = connection.
    state = _sqlstate(orig)
    return state is None or state.startswith(("57P", "08"))


def _sqlstate(orig: BaseException | None) -> str | None:
    """The SQLSTATE of a PostgreSQL driver error (psycopg2: pgcode, psycopg: sqlstate)."""
    return getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)


def _reason(error: BaseException) -> str:
    orig = getattr(error, "orig", None) or error
    text = " ".join(str(orig).split())
    return mask_secrets(text[:300]) or type(orig).__name__


# --------------------------------------------------------------------------- SQLite

def _sqlite_engine(url: URL, busy_timeout: float) -> Engine:
    memory = url.database in (None, "", ":memory:")
    kwargs: dict = {"connect_args": {"timeout": busy_timeout, "check_same_thread": False}}
    if memory:
        # one shared connection, or every connection sees no tables
        kwargs["poolclass"] = StaticPool
    engine = sa.create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Let SQLAlchemy (not pysqlite) issue BEGIN, so write transactions can be IMMEDIATE.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        if not memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        write = conn.get_execution_options().get("qzvm_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
