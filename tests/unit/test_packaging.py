"""Every source folder reaches the wheel a site installs (a folder of modules
without ``__init__.py`` is not a package to setuptools' find_packages)."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]


def test_every_source_folder_is_a_package():
    packages = set(find_packages(str(ROOT), exclude=["tests", "tests.*", "benchmarks"]))
    folders = {str(path.parent.relative_to(ROOT)).replace("/", ".")
               for top in ("quantum_zvm", "xcat") for path in (ROOT / top).rglob("*.py")}
    assert folders <= packages, sorted(folders - packages)


def test_the_alembic_tree_is_inside_the_project_namespace():
    """The repository's migrations/ installs as quantum_zvm.migrations (PyPI has an unrelated
    top-level ``migrations``); Alembic is pointed at that package's folder."""
    from quantum_zvm.db import migration

    spec = importlib.util.find_spec("quantum_zvm.migrations")
    assert spec is not None and spec.submodule_search_locations
    assert Path(list(spec.submodule_search_locations)[0]).resolve() == ROOT / "migrations"
    assert Path(migration.script().dir).resolve() == ROOT / "migrations"
    assert migration.head() in {line.split()[0] for line in migration.history()}


def test_a_checkout_run_without_installing_finds_the_alembic_tree():
    """bin/ launchers put the checkout first on sys.path; without the editable finder the
    tree is still found (the checkout's migrations/)."""
    code = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path "
            "if 'Editable' not in getattr(f, '__name__', type(f).__name__)]; "
            f"sys.path.insert(0, {str(ROOT)!r}); "
            "from quantum_zvm.db import migration; print(migration.script().dir)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, cwd="/")
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).resolve() == ROOT / "migrations"
