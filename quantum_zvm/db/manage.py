"""``quantum-zvm-db-manage --config-file F <command>``: the database schema, by Alembic.

Commands:

``upgrade [REVISION]``   upgrade to REVISION (default ``head``); a database of the
                         Quantum Open vSwitch plugin is adopted first (stamped at the
                         Grizzly baseline, then upgraded, rows untouched)
``downgrade REVISION``   downgrade (``base`` drops every table)
``current``              print the database's revision and whether it is the head
``history``              list the revisions, newest first
``stamp REVISION``       record REVISION without running migrations
``check``                exit 0 when the database is at head, else 1 with the reason

Exit status: 0 success, 1 database or schema problem, 2 configuration problem.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence

from oslo_config import cfg

from quantum_zvm.common import config, exceptions, log
from quantum_zvm.db import migration
from quantum_zvm.db.api import Database

PROG = migration.MANAGE
DESCRIPTION = "Create, upgrade and inspect the quantum-zvm database schema (Alembic)."
EXIT_FAILURE = 1


def _add_commands(subparsers) -> None:
    upgrade = subparsers.add_parser(
        "upgrade", help="upgrade (and adopt) the database",
        description="Upgrade the database; a Quantum OVS plugin database is adopted first.")
    upgrade.add_argument("revision", nargs="?", default="head",
                         help="revision to upgrade to (default: head)")
    downgrade = subparsers.add_parser("downgrade", help="downgrade the database",
                                      description="Downgrade the database.")
    downgrade.add_argument("revision", help="revision to downgrade to (base: drop everything)")
    stamp = subparsers.add_parser("stamp", help="record a revision without migrating",
                                  description="Record a revision without migrating.")
    stamp.add_argument("revision", help="revision to record")
    subparsers.add_parser("current", help="show the current revision")
    subparsers.add_parser("history", help="list the revisions")
    subparsers.add_parser("check", help="exit 1 unless the database is at head")


COMMAND_OPT = cfg.SubCommandOpt("command", title="commands", handler=_add_commands,
                                help="upgrade, downgrade, stamp, current, history or check")


def _describe(db: Database) -> str:
    state = migration.inspect_state(db)
    head = migration.head()
    if state.kind == "versioned":
        mark = " (head)" if state.revision == head else f" (head is {head}; run upgrade head)"
        return f"{state.revision}{mark}"
    if state.kind == "empty":
        return "none: the database is empty (run upgrade head)"
    if state.kind == "quantum":
        return (f"none: a Quantum Open vSwitch plugin database (Quantum revision "
                f"{state.revision or 'unknown'}); upgrade head adopts it")
    return "none: the database holds tables that are not quantum-zvm's"


def run(conf: cfg.ConfigOpts) -> int:
    command = conf.command
    if command.name == "history":
        for line in migration.history():
            print(line)
        return 0
    db = Database.from_conf(conf)
    try:
        if command.name == "current":
            print(_describe(db))
        elif command.name == "check":
            migration.check_current(db, conf.config_file)
            print(f"database is at revision {migration.head()} (head)")
        elif command.name == "upgrade":
            migration.upgrade(db, command.revision, report=print)
        elif command.name == "downgrade":
            migration.downgrade(db, command.revision)
            print(f"database is at revision {migration.current(db)}")
        elif command.name == "stamp":
            migration.stamp(db, command.revision)
            print(f"database is stamped at revision {migration.current(db)}")
    finally:
        db.dispose()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    conf = config.load_or_exit(argv, PROG, role="server", cli_opts=[COMMAND_OPT],
                               description=DESCRIPTION)
    log.setup(conf, PROG)
    try:
        return run(conf)
    except (migration.SchemaError, exceptions.DatabaseUnavailable) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
    except Exception as exc:  # noqa: BLE001 - Alembic's errors: unknown revision, bad target
        if type(exc).__module__.split(".")[0] != "alembic":
            raise
        print(f"{PROG}: {exc}", file=sys.stderr)
    return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
