"""Tenant ids and lookup identifiers compare exactly (SQLite here; PostgreSQL and MariaDB in
``tests/functional/test_db_servers.py``)."""
import importlib

from sqlalchemy.dialects import mysql

from quantum_zvm.db import models
from tests.fixtures.tenant_case import check_case_is_exact


def test_tenants_differing_only_in_case_are_isolated(plugin):
    check_case_is_exact(plugin)


def test_models_declare_on_mysql_the_binary_collation_migrations_0003_and_0004_set():
    """The autogenerate comparison ignores a collation only the database has, so check here."""
    revision = importlib.import_module("quantum_zvm.migrations.versions.0003_mysql_binary_ids")
    tags = importlib.import_module("quantum_zvm.migrations.versions.0004_standard_attrs")
    dialect = mysql.pymysql.dialect()
    declared = {(table.name, column.name)
                for table in models.Base.metadata.tables.values() for column in table.columns
                if getattr(column.type.dialect_impl(dialect), "collation", None)
                == revision.BINARY}
    assert declared == {(table, column) for table, columns in revision.COLUMNS.items()
                        for column in columns} | {(table, "tag") for table in tags.TAGS}
