"""Alembic migrations of the quantum-zvm database (run them with ``quantum-zvm-db-manage``).

This is a package only so that an installed quantum-zvm ships the scripts;
:mod:`quantum_zvm.db.migration` finds them through :data:`SCRIPT_LOCATION`.
"""
from pathlib import Path

SCRIPT_LOCATION = str(Path(__file__).resolve().parent)
