"""``quantum-zvm-nic``: attach, detach and list the NICs of z/VM guests.

Reads the agent's ``zvm_quantum_plugin.ini`` (xCAT server, credentials,
zHCP node, ``[AGENT] host``) and talks to the Quantum API at
``--quantum-url``, by default the server the same file describes
(``bind_host``/``bind_port``, see :func:`api_url`).  Exit status: 0 done, 1 the
request failed (the message says why), 2 bad configuration or arguments.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from oslo_config import cfg

from quantum_zvm.common import config, log
from quantum_zvm.common.xcat_conf import xcat_client
from quantum_zvm.nic import NicError, NicTool
from quantum_zvm.quantum_client import QuantumApiError, QuantumClient
from xcat.errors import XcatError

PROG = "quantum-zvm-nic"
DESCRIPTION = "Attach, detach and list the NICs of z/VM guests (the xCAT hand-off path)."


def _fixed_ip(text: str) -> dict:
    """``subnet_id=X,ip_address=Y`` (either or both) as a fixed_ips entry."""
    entry = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or key.strip() not in ("subnet_id", "ip_address") or not value.strip():
            raise ValueError(f"--fixed-ip {text!r}: expected subnet_id=ID,ip_address=IP")
        entry[key.strip()] = value.strip()
    return entry


def _add_parsers(subparsers) -> None:
    attach = subparsers.add_parser("attach", help="give a guest a NIC on a port",
                                   description="Give a guest a NIC on a port.")
    attach.add_argument("--userid", required=True, help="z/VM userid of the guest")
    target = attach.add_mutually_exclusive_group(required=True)
    target.add_argument("--port", help="id of an existing port")
    target.add_argument("--network", help="network id or name: create a port on it")
    attach.add_argument("--fixed-ip", action="append", default=[], dest="fixed_ip",
                        help="subnet_id=ID,ip_address=IP for a new port (repeatable)")
    attach.add_argument("--vdev", help="NIC base device (default: next free of 1000, 1003, ...)")
    attach.add_argument("--wait", action="store_true", help="wait until the port is ACTIVE")
    attach.add_argument("--timeout", type=float, default=120.0, help="seconds --wait waits")
    attach.add_argument("--json", action="store_true", help="print JSON")
    detach = subparsers.add_parser("detach", help="remove a guest's NIC (idempotent)",
                                   description="Remove a guest's NIC (idempotent).")
    detach.add_argument("--userid", required=True, help="z/VM userid of the guest")
    which = detach.add_mutually_exclusive_group(required=True)
    which.add_argument("--port", help="id of the port whose NIC goes")
    which.add_argument("--vdev", help="base device of the NIC that goes")
    detach.add_argument("--delete-port", action="store_true", dest="delete_port",
                        help="also delete the port")
    detach.add_argument("--json", action="store_true", help="print JSON")
    listing = subparsers.add_parser("list", help="a guest's NICs",
                                    description="List a guest's NICs with their ports.")
    listing.add_argument("--userid", required=True, help="z/VM userid of the guest")
    listing.add_argument("--json", action="store_true", help="print JSON")


CLI_OPTS = [
    cfg.StrOpt("quantum-url", dest="quantum_url",
               help="Quantum API endpoint (default: http://<bind_host>:<bind_port> of the "
                    "configuration, loopback for a wildcard bind_host)."),
    cfg.StrOpt("os-token", dest="os_token", secret=True,
               help="Keystone token (auth_strategy = keystone)."),
    cfg.SubCommandOpt("action", handler=_add_parsers, title="actions"),
]


def api_url(conf: cfg.ConfigOpts) -> str:
    """``--quantum-url``, else the API the configuration's server listens on; ValueError
    (naming the option) for a ``--quantum-url`` that is not an http(s) URL with a host."""
    if conf.quantum_url:
        try:
            parts = urlsplit(conf.quantum_url)
            usable = parts.scheme in ("http", "https") and bool(parts.hostname)
            parts.port  # noqa: B018 -- ValueError for a port that is not a number
        except ValueError:
            usable = False
        if not usable:
            raise ValueError(f"--quantum-url: {conf.quantum_url!r} is not an http:// or "
                             "https:// URL with a host (e.g. http://controller:9696)")
        return conf.quantum_url
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(conf.bind_host, conf.bind_host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{conf.bind_port}"


def render_table(headers: Sequence[str], rows: Iterable[Sequence[object]],
                 indent: str = "") -> str:
    """A plain text table: a header, a rule, one line per row, columns left-aligned and
    each line after ``indent``; None shows as '-'."""
    cells = [[str(h) for h in headers]] + [["-" if v is None else str(v) for v in row]
                                           for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [(indent + "  ".join(value.ljust(width)
                                 for value, width in zip(row, widths, strict=True))).rstrip()
             for row in cells]
    lines.insert(1, indent + "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _run(conf: cfg.ConfigOpts, tool: NicTool) -> object:
    action = conf.action
    if action.name == "attach":
        fixed_ips = [_fixed_ip(text) for text in action.fixed_ip]
        result = tool.attach(action.userid, port_id=action.port, network=action.network,
                             fixed_ips=fixed_ips, vdev=action.vdev)
        if action.wait:
            result["status"] = tool.wait_active(result["port_id"], action.timeout)["status"]
        return result
    if action.name == "detach":
        return tool.detach(action.userid, port_id=action.port, vdev=action.vdev,
                           delete_port=action.delete_port)
    return tool.list(action.userid)


def _print(action, result) -> None:
    if action.json:
        if isinstance(result, list):
            result = [vars(item) for item in result]
        print(json.dumps(result, indent=2, sort_keys=True))
    elif action.name == "attach":
        print(f"NIC {result['vdev']} of {result['userid']} -> port {result['port_id']}"
              + (f" (MAC {result['mac']})" if result.get("mac") else "")
              + (f", {result['status']}" if result.get("status") else ""))
    elif action.name == "detach":
        print(f"detached {', '.join(result['detached']) or 'nothing'} from {result['userid']}")
    else:
        print(render_table(["vdev", "MAC", "port", "network", "vswitch", "VLAN", "status"],
                           [(n.vdev, n.mac, n.port_id, n.network, n.vswitch, n.vlan, n.status)
                            for n in result]))


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    conf = config.load_or_exit(argv, PROG, role="agent", cli_opts=CLI_OPTS,
                               description=DESCRIPTION)
    try:
        url = api_url(conf)
    except ValueError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return config.EXIT_CONFIG_ERROR
    logger = log.setup(conf, PROG)
    tool = NicTool(xcat_client(conf), QuantumClient(url, token=conf.os_token),
                   conf.AGENT.xcat_zhcp_nodename, conf.AGENT.host)
    try:
        result = _run(conf, tool)
    except ValueError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return config.EXIT_CONFIG_ERROR
    except (NicError, QuantumApiError, XcatError) as exc:
        logger.debug("failed", exc_info=True)
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    _print(conf.action, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
