"""MySQL/MariaDB specifics of the database layer that need no server."""
from __future__ import annotations

import pymysql
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import mysql, postgresql

from quantum_zvm.db import api


def _error(code: int, message: str) -> sa_exc.DBAPIError:
    return sa_exc.DBAPIError.instance("SELECT 1", {}, pymysql.err.OperationalError(code, message),
                                      pymysql.err.Error)


@pytest.mark.parametrize("code", [1213, 1205])
def test_deadlock_and_lock_wait_timeout_are_retried(code):
    assert api.is_deadlock(_error(code, "Deadlock found")) and not api.is_unavailable(
        _error(code, "Deadlock found"))


@pytest.mark.parametrize("code", [2006, 2013, 2003, 1040])
def test_lost_or_refused_connections_mean_unavailable(code):
    assert api.is_unavailable(_error(code, "MySQL server has gone away"))
    assert not api.is_deadlock(_error(code, "MySQL server has gone away"))


def test_statement_errors_are_neither():
    error = _error(1054, "Unknown column 'x' in 'field list'")
    assert not api.is_unavailable(error) and not api.is_deadlock(error)


@pytest.mark.parametrize("mariadb, version, expected", [
    (True, (10, 11, 6), True), (True, (10, 6, 0), True), (True, (10, 5, 22), False),
    (False, (8, 0, 36), True), (False, (5, 7, 44), False)])
def test_skip_locked_only_where_the_server_has_it(mariadb, version, expected):
    dialect = mysql.pymysql.dialect()
    dialect.server_version_info = version
    dialect.is_mariadb = mariadb
    assert api.supports_skip_locked(dialect) is expected


def test_skip_locked_on_postgresql():
    assert api.supports_skip_locked(postgresql.psycopg2.dialect())

