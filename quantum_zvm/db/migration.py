"""Schema versions: upgrade, downgrade, stamp, adoption of Quantum databases, start-up check.

Alembic owns the schema: the scripts are the repository's ``migrations/``,
installed as the package ``quantum_zvm.migrations`` (:func:`script_location`).  Our
revision lives in ``quantum_zvm_alembic_version``; Quantum's own
``alembic_version`` is never touched.

A database is in one of these states (:func:`inspect_state`):

* ``empty``: no tables; ``upgrade`` creates everything;
* ``quantum``: tables of the Quantum Open vSwitch plugin (Grizzly or later) and
  no revision of ours; ``upgrade`` *adopts* it: stamps the baseline revision
  (whose tables it already has) and upgrades from there without touching a row;
* ``versioned``: a revision of ours, at head or behind;
* ``unknown``: tables we do not recognise; nothing is changed.

The server calls :func:`check_current` at start-up and refuses to run on a
database that is not at head; the message names the command to run.
"""
from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from quantum_zvm.db.api import Database

VERSION_TABLE = "quantum_zvm_alembic_version"
BASELINE = "0001_grizzly"
MANAGE = "quantum-zvm-db-manage"

# What a Quantum OVS database must have to be adopted at BASELINE (reference §1.2, §1.3).
BASELINE_COLUMNS: dict[str, set[str]] = {
    "networks": {"tenant_id", "id", "name", "status", "admin_state_up", "shared"},
    "subnets": {"tenant_id", "id", "name", "network_id", "ip_version", "cidr", "gateway_ip",
                "enable_dhcp", "shared"},
    "ports": {"tenant_id", "id", "name", "network_id", "mac_address", "admin_state_up",
              "status", "device_id", "device_owner"},
    "ipallocations": {"port_id", "ip_address", "subnet_id", "network_id"},
    "ipallocationpools": {"id", "subnet_id", "first_ip", "last_ip"},
    "ipavailabilityranges": {"allocation_pool_id", "first_ip", "last_ip"},
    "dnsnameservers": {"address", "subnet_id"},
    "subnetroutes": {"destination", "nexthop", "subnet_id"},
    "agents": {"id", "agent_type", "binary", "topic", "host", "admin_state_up", "created_at",
               "started_at", "heartbeat_timestamp", "description", "configurations"},
    "networkdhcpagentbindings": {"network_id", "dhcp_agent_id"},
    "ovs_vlan_allocations": {"physical_network", "vlan_id", "allocated"},
    "ovs_network_bindings": {"network_id", "network_type", "physical_network",
                             "segmentation_id"},
}


class SchemaError(Exception):
    """The database schema cannot be used or changed as asked; the message says why."""


class SchemaNotCurrent(SchemaError):
    """The database is not at the head revision; the message names the command to run."""


@dataclasses.dataclass(frozen=True)
class State:
    kind: str                       # empty | quantum | versioned | unknown
    revision: str | None = None     # our revision (versioned) or Quantum's (quantum)
    problems: tuple[str, ...] = ()  # why a quantum database cannot be adopted


MIGRATIONS_PACKAGE = "quantum_zvm.migrations"


def script_location() -> str:
    """The folder of the Alembic tree.

    Installed (wheel or editable) it is the package ``quantum_zvm.migrations``
    (setup.py maps it to the repository's ``migrations/``); a checkout run
    without installing (``bin/`` launchers) has no such package folder, so
    the checkout's ``migrations/`` is used.
    """
    spec = importlib.util.find_spec(MIGRATIONS_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        return list(spec.submodule_search_locations)[0]
    checkout = Path(__file__).resolve().parents[2] / "migrations"
    if (checkout / "env.py").is_file():
        return str(checkout)
    raise SchemaError(f"the Alembic scripts ({MIGRATIONS_PACKAGE}) are not installed; "
                      "reinstall quantum-zvm")


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", script_location())
    return cfg


def script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head() -> str:
    revision = script().get_current_head()
    if revision is None:
        raise RuntimeError(f"no migration revision in {script_location()}")
    return revision


def history() -> list[str]:
    """One line per revision, newest first: ``<rev> <- <down_rev>: <message>``."""
    return [f"{rev.revision} <- {rev.down_revision or '(base)'}: {rev.doc}"
            for rev in script().walk_revisions()]


def inspect_state(db: Database) -> State:
    with db.engine.connect() as conn:
        return _inspect(conn)


def _inspect(conn: sa.Connection) -> State:
    inspector = sa.inspect(conn)
    tables = set(inspector.get_table_names())
    if VERSION_TABLE in tables:
        revision = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE}).get_current_revision()
        return State("versioned", revision)
    if not tables:
        return State("empty")
    if not {"networks", "ports", "ovs_network_bindings"} <= tables:
        return State("unknown")
    problems = []
    for table, columns in BASELINE_COLUMNS.items():
        if table not in tables:
            problems.append(f"table {table} is missing")
            continue
        have = {c["name"] for c in inspector.get_columns(table)}
        problems += [f"column {table}.{c} is missing" for c in sorted(columns - have)]
    quantum_revision = None
    if "alembic_version" in tables:
        quantum_revision = conn.execute(
            sa.text("SELECT version_num FROM alembic_version")).scalar()
    return State("quantum", quantum_revision, tuple(problems))


def current(db: Database) -> str | None:
    """Our revision of the database (None when it has none)."""
    state = inspect_state(db)
    return state.revision if state.kind == "versioned" else None


def _run(db: Database, action: Callable[[Config], None]) -> None:
    """Run an Alembic command on one connection, in one transaction where the engine allows."""
    cfg = _config()
    with db.transaction() as conn:
        cfg.attributes["connection"] = conn
        action(cfg)


def upgrade(db: Database, revision: str = "head",
            report: Callable[[str], None] = lambda line: None) -> None:
    """Upgrade to ``revision``; adopts a Quantum OVS database first (see the module doc).

    ``report`` receives one line per notable step (the db-manage command prints them).
    """
    state = inspect_state(db)
    if state.kind == "unknown":
        raise SchemaError(f"{db.safe_url} holds tables that are neither quantum-zvm's nor the "
                          "Quantum Open vSwitch plugin's; refusing to change it")
    if state.kind == "quantum":
        if state.problems:
            raise SchemaError(
                "this Quantum database cannot be adopted: " + "; ".join(state.problems) +
                ". Upgrade it to Grizzly (2013.1) with quantum-db-manage first.")
        report(f"adopting a Quantum Open vSwitch plugin database (Quantum revision "
               f"{state.revision or 'unknown'}): stamping {BASELINE}")

    def action(cfg: Config) -> None:
        if state.kind == "quantum":
            command.stamp(cfg, BASELINE)
        command.upgrade(cfg, revision)
    _run(db, action)
    report(f"database is at revision {current(db)}")


def downgrade(db: Database, revision: str) -> None:
    _require_versioned(db)
    _run(db, lambda cfg: command.downgrade(cfg, revision))


def stamp(db: Database, revision: str) -> None:
    """Record ``revision`` without running migrations (for databases changed by hand)."""
    _run(db, lambda cfg: command.stamp(cfg, revision, purge=True))


def _require_versioned(db: Database) -> None:
    if inspect_state(db).kind != "versioned":
        raise SchemaError(f"{db.safe_url} has no quantum-zvm revision; nothing to downgrade")


def check_current(db: Database, config_files: Sequence[str] = ()) -> None:
    """Raise :class:`SchemaNotCurrent` unless the database is at the head revision.

    The message says what was found and the exact command that fixes it.
    """
    state = inspect_state(db)
    want = head()
    if state.kind == "versioned" and state.revision == want:
        return
    files = " ".join(f"--config-file {f}" for f in config_files) or \
        "--config-file <zvm_quantum_plugin.ini>"
    fix = f"run: {MANAGE} {files} upgrade head"
    if state.kind == "empty":
        found = "has no tables"
    elif state.kind == "quantum":
        found = "is a Quantum Open vSwitch plugin database not yet adopted"
        if state.problems:
            fix = "upgrade it to Grizzly (2013.1) with quantum-db-manage, then " + fix
    elif state.kind == "unknown":
        raise SchemaNotCurrent(f"database {db.safe_url} holds tables that are not "
                               "quantum-zvm's; point sql_connection at another database")
    elif state.revision is None:
        found = "has an empty revision table"
    elif state.revision not in {rev.revision for rev in script().walk_revisions()}:
        raise SchemaNotCurrent(
            f"database {db.safe_url} is at revision {state.revision}, which this version of "
            f"quantum-zvm does not know (head is {want}); it was upgraded by a newer release")
    else:
        found = f"is at revision {state.revision}"
    raise SchemaNotCurrent(f"database {db.safe_url} {found}, but quantum-zvm needs revision "
                           f"{want}; {fix}")
