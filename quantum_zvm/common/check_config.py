"""``quantum-zvm-check-config``: validate a configuration and print what it means.

Exit status 0 and the effective configuration (secrets masked) when the
files are good; exit status 2 and every problem (file, section, option,
reason) otherwise.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence

from oslo_config import cfg

from quantum_zvm.common import config
from quantum_zvm.common.log import MASK, mask_secrets
from quantum_zvm.rpc.transport import settings_from_conf

PROG = "quantum-zvm-check-config"
DESCRIPTION = "Check a zvm_quantum_plugin.ini and print what it means (exit 2 on problems)."

ROLE_OPT = cfg.StrOpt("role", default="all", choices=["all", "server", "agent"],
                      help="Check what this role needs (agent needs the xCAT options).")


def _shown(opt: cfg.Opt, value: object) -> str:
    if value is None:
        return "<unset>"
    if opt.secret:
        text = str(value)
        return mask_secrets(text) if "://" in text else MASK
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def render_effective(conf: cfg.ConfigOpts) -> list[str]:
    """Lines showing every option's effective value and the parsed mappings."""
    lines = []
    for group, opts in config.list_opts():
        if opts == [config.RDEV_OPT]:
            continue
        lines.append(f"[{group or 'DEFAULT'}]")
        node = conf[group] if group else conf
        for opt in opts:
            lines.append(f"  {opt.dest} = {_shown(opt, getattr(node, opt.dest))}")
    lines.append(f"  (database URL in effect: {mask_secrets(config.sql_connection(conf))})")
    mappings = config.vswitch_mappings(conf)
    lines.append("vswitches:")
    if not mappings:
        lines.append("  (none)")
    for name, ranges in mappings.items():
        kind = ("flat (VLAN unaware)" if not ranges else
                "VLAN aware, VLANs " + ", ".join(f"{lo}-{hi}" for lo, hi in ranges))
        rdevs = config.vswitch_rdevs(conf, name)
        lines.append(f"  {name}: {kind}; rdev_list = {','.join(rdevs) or '<none>'}")
    return lines


EMBEDDED_WARNING = (
    "warning: the agent would use the embedded transport (no broker): it reaches only a "
    "server on this host with the same state_path; set [DEFAULT] transport_url = "
    "rabbit://... on the server and every agent")


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    conf, problems = config.load(argv, PROG, cli_opts=[ROLE_OPT], role=None,
                                 description=DESCRIPTION)
    if not problems and not conf.config_file:
        print(f"{PROG}: no --config-file given; checking the defaults", file=sys.stderr)
    if not problems:
        problems = config.validate(conf, conf.role)
    if problems:
        config.print_problems(problems, PROG)
        return config.EXIT_CONFIG_ERROR
    for line in render_effective(conf):
        print(line)
    transport = settings_from_conf(conf)  # validate() made sure it can be
    print(f"RPC transport in effect: {transport.describe()}")
    if transport.embedded and conf.role in ("agent", "all"):
        print(f"{PROG}: {EMBEDDED_WARNING}", file=sys.stderr)
    print("configuration OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
