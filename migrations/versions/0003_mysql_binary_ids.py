"""MySQL/MariaDB: compare tenant ids and lookup identifiers exactly (binary collation).

MySQL's usual collations (``utf8mb4_general_ci``, ``utf8mb4_0900_ai_ci``, ...)
compare case- and accent-insensitively, so ``tenant_id = 'abc'`` matched a
network of tenant ``ABC``: one tenant saw and used another's networks,
subnets and ports.  PostgreSQL and SQLite compare exactly.  This revision
gives the columns compared for ownership or lookup ``utf8mb4_bin``, keeping
their type, length and nullability (read from the server, so an adopted
Quantum database keeps its own); nothing is done on other engines.

The z/VM userid columns keep the table's collation: userids are upper-cased
before they are stored or looked up, and CP treats them case-insensitively,
so the case-insensitive unique (userid, vdev) is the right rule there.

Downgrade gives the columns their table's default collation back, which
is what they had (0001, 0002 and Quantum declare none of their own).

Revision ID: 0003_mysql_binary_ids
Revises: 0002_zvm
Create Date: 2024-06-01
"""
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0003_mysql_binary_ids"
down_revision = "0002_zvm"
branch_labels = None
depends_on = None

BINARY = "utf8mb4_bin"

# table -> columns compared for ownership (tenant_id) or exact lookup (device, host)
COLUMNS: dict[str, tuple[str, ...]] = {
    "networks": ("tenant_id",),
    "subnets": ("tenant_id",),
    "ports": ("tenant_id", "device_id"),
    "agents": ("host",),
    "portbindingports": ("host",),
    "zvm_port_bindings": ("host",),
}

_COLUMN = sa.text(
    "SELECT COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS "
    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :table AND COLUMN_NAME = :column")
_TABLE_COLLATION = sa.text(
    "SELECT TABLE_COLLATION FROM information_schema.TABLES "
    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :table")


def _set_collation(table: str, collation_of: Callable[[str], str]) -> None:
    """One ``ALTER TABLE`` per table (one rebuild), every column re-declared as it is."""
    conn = op.get_bind()
    clauses = []
    for column in COLUMNS[table]:
        column_type, nullable = conn.execute(
            _COLUMN, {"table": table, "column": column}).one()
        null = "NULL" if nullable == "YES" else "NOT NULL"
        clauses.append(f"MODIFY `{column}` {column_type} COLLATE {collation_of(table)} {null}")
    op.execute(f"ALTER TABLE `{table}` " + ", ".join(clauses))


def _table_collation(table: str) -> str:
    return op.get_bind().execute(_TABLE_COLLATION, {"table": table}).scalar_one()


def upgrade() -> None:
    if op.get_bind().dialect.name != "mysql":
        return
    for table in COLUMNS:
        _set_collation(table, lambda _: BINARY)


def downgrade() -> None:
    if op.get_bind().dialect.name != "mysql":
        return
    for table in COLUMNS:
        _set_collation(table, _table_collation)
