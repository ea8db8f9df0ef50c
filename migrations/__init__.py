"""Alembic migrations of the quantum-zvm database (run them with ``quantum-zvm-db-manage``).

This folder installs as the package ``quantum_zvm.migrations`` (see setup.py)
so that an installed quantum-zvm ships the scripts under its own name;
:func:`quantum_zvm.db.migration.script_location` points Alembic at it.
"""
