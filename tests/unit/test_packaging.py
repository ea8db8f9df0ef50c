"""Every source folder reaches the wheel a site installs (a folder of modules
without ``__init__.py`` is not a package to setuptools' find_packages)."""
from __future__ import annotations

from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]


def test_every_source_folder_is_a_package():
    packages = set(find_packages(str(ROOT), exclude=["tests", "tests.*", "benchmarks"]))
    folders = {str(path.parent.relative_to(ROOT)).replace("/", ".")
               for top in ("quantum_zvm", "xcat") for path in (ROOT / top).rglob("*.py")}
    assert folders <= packages, sorted(folders - packages)
