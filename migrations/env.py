"""Alembic environment: runs on the connection :mod:`quantum_zvm.db.migration` passes in.

The version table is ``quantum_zvm_alembic_version`` so that Quantum's own
``alembic_version`` (revision ``grizzly``/``havana`` in an adopted database)
stays untouched.
"""
from alembic import context

from quantum_zvm.db import models

VERSION_TABLE = "quantum_zvm_alembic_version"

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("run migrations with quantum-zvm-db-manage, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=models.Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
