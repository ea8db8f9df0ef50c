"""quantum-zvm: Quantum/OpenStack networking for z/VM guests through xCAT."""
import re
from pathlib import Path

from setuptools import find_packages, setup

RUNTIME = [
    "requests>=2.28",
    "SQLAlchemy>=2.0",
    "alembic>=1.11",
    "oslo.config>=9.0",
    "kombu>=5.3",
    "eventlet>=0.33",
    "WebOb>=1.8",
    # the API's JSON bodies (api/router.py); wheels for x86_64 and s390x
    "orjson>=3.9",
    # the agent's persistent maps (quantum_zvm/agent/persistent.py); a C extension
    # with a pure-Python fallback where no wheel is published (s390x builds from source)
    "immutables>=0.19",
    # simulator scenario files may be YAML
    "PyYAML>=6.0",
    # quantum-zvm-rootwrap
    "oslo.rootwrap>=7.0",
]

TEST = [
    "pytest>=7.4",
    "pytest-timeout>=2.2",
    "hypothesis>=6.90",
    "trustme>=1.1",
    "psycopg2-binary>=2.9",
    "PyMySQL>=1.1",
    "oslo.messaging>=14.0",
    "openstacksdk>=1.0",
    "python-openstackclient>=6.0",
    # the lint, type and complexity gates (ruff.toml, mypy.ini, tests/unit/test_code_health.py):
    # pinned, so that a new release's new rules do not fail a run on unchanged code
    "ruff==0.17.6",
    "mypy==2.4.1",
    "radon==6.0.1",
]


def etc_files() -> list[tuple[str, list[str]]]:
    """Every file of etc/, installed under <prefix>/share/quantum-zvm/etc/ with the same
    layout (the README copies that tree to /etc)."""
    folders: dict[str, list[str]] = {}
    for path in sorted(Path("etc").rglob("*")):
        if path.is_file():
            folders.setdefault(str(Path("share/quantum-zvm") / path.parent), []).append(str(path))
    return sorted(folders.items())


with open("README.md", encoding="utf-8") as readme:
    LONG_DESCRIPTION = readme.read()

# The one version, quantum_zvm.__version__ (every command's --version prints it).
with open("quantum_zvm/__init__.py", encoding="utf-8") as init:
    VERSION = re.search(r'^__version__ = "([^"]+)"$', init.read(), re.M).group(1)

setup(
    name="quantum-zvm",
    version=VERSION,
    description="Quantum (OpenStack networking) plugin and agent for z/VM through xCAT",
    long_description=LONG_DESCRIPTION,
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    license_files=["LICENSE"],
    author="quantum-zvm developers",
    keywords="openstack quantum neutron z/VM xCAT vswitch networking",
    python_requires=">=3.11",
    # The Alembic tree stays at migrations/ in the repository and installs inside the
    # project's namespace as quantum_zvm.migrations (no top-level "migrations" package).
    packages=find_packages(exclude=["tests", "tests.*", "benchmarks",
                                    "migrations", "migrations.*"])
    + ["quantum_zvm.migrations", "quantum_zvm.migrations.versions"],
    package_dir={"quantum_zvm.migrations": "migrations"},
    include_package_data=True,
    package_data={
        "xcat.simulator": ["*.yaml", "*.json"],
        "quantum_zvm.migrations": ["*.mako"],
    },
    data_files=etc_files(),
    install_requires=RUNTIME,
    extras_require={
        "test": TEST,
        "postgresql": ["psycopg2-binary>=2.9"],
        "mysql": ["PyMySQL>=1.1"],
        "keystone": ["keystonemiddleware>=10.0"],
        # quantum_zvm.ml2 (the ML2 mechanism driver) runs inside neutron-server
        "ml2": ["neutron>=25.0"],
    },
    entry_points={
        "console_scripts": [
            "quantum-zvm-check-config = quantum_zvm.common.check_config:main",
            "quantum-zvm-nic = quantum_zvm.nic_cli:main",
            "quantum-zvm-db-manage = quantum_zvm.db.manage:main",
            "quantum-zvm-server = quantum_zvm.server:main",
            "quantum-zvm-agent = quantum_zvm.agent.main:main",
            "quantum-zvm-rootwrap = quantum_zvm.agent.rootwrap:main",
            "xcat-zvm-simulator = xcat.simulator.main:main",
            "quantum-zvm-demo = quantum_zvm.demo.main:main",
        ],
        "oslo.config.opts": [
            "quantum_zvm = quantum_zvm.common.config:list_opts",
        ],
        "neutron.ml2.mechanism_drivers": [
            "zvm = quantum_zvm.ml2.mech_zvm:ZvmMechanismDriver",
        ],
    },
    classifiers=[
        "Environment :: OpenStack",
        "Intended Audience :: System Administrators",
        "Operating System :: POSIX :: Linux",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.11",
        "Topic :: System :: Networking",
    ],
)
