"""Configuration options of quantum-zvm (one ``zvm_quantum_plugin.ini`` for all).

The options are grouped as in the Quantum-era ``zvm_quantum_plugin.ini``:
``[DEFAULT]`` for the server and RPC, ``[DATABASE]``, ``[AGENT]`` and one
section per vswitch (``[VSW1] rdev_list = 6000,6003``).

Loading happens in :func:`load`, which parses the command line and files and
then runs :func:`validate`.  Every problem is reported as a :class:`Problem`
naming the file, section, option and reason; commands print them all and exit
with status 2 (see :func:`load_or_exit`).
"""
from __future__ import annotations

import contextlib
import dataclasses
import importlib
import ipaddress
import re
import socket
import sys
from collections.abc import Callable, Iterable, Sequence

from oslo_config import cfg

from quantum_zvm import __version__
from quantum_zvm.common import constants
from xcat import zvm_names
from xcat.client import parse_server

EXIT_CONFIG_ERROR = 2

DEFAULT_OPTS = [
    cfg.StrOpt("state_path", default="/var/lib/quantum-zvm",
               help="Directory for state files (the default SQLite database lives here)."),
    cfg.HostAddressOpt("bind_host", default="127.0.0.1",
                       help="Address the REST API listens on. The default keeps the API on "
                            "loopback; listen on other addresses with auth_strategy = keystone."),
    cfg.PortOpt("bind_port", default=9696, help="Port the REST API listens on."),
    cfg.StrOpt("auth_strategy", default="noauth",
               choices=[("noauth", "identity from the X-Project-Id, X-User-Id and X-Roles "
                                   "headers (behind a trusted proxy or on loopback)"),
                        ("keystone", "keystonemiddleware's auth_token validates tokens")],
               help="How REST requests are authenticated."),
    cfg.StrOpt("base_mac", default="fa:16:3e:00:00:00",
               help="MAC template; the first three octets must equal the z/VM USER PREFIX "
                    "(vmcp q vmlan) and the last three become the NICDEF MACID."),
    cfg.IntOpt("mac_generation_retries", default=16, min=1,
               help="Attempts to find a free MAC before giving up."),
    cfg.IntOpt("max_fixed_ips_per_port", default=5, min=1,
               help="Most fixed IPs a port may have."),
    cfg.IntOpt("agent_down_time", default=75, min=1,
               help="Seconds after the last heartbeat before an agent is considered down. "
                    "At least twice the longest report_interval of the agents: Quantum-era "
                    "agents report every 4 s, neutron agents every 30 s (neutron's default "
                    "is 75 s too)."),
    cfg.IntOpt("network_mtu", default=1500, min=68,
               help="MTU of the z/VM vswitches (neutron's global_physnet_mtu): the MTU of a "
                    "network that sets none, and the largest one a network may set; "
                    "1500 is a z/VM layer-2 vswitch's frame size."),
    cfg.IntOpt("max_request_body_size", default=114688, min=1024,
               help="Largest accepted REST request body, in bytes."),
    cfg.BoolOpt("allow_bulk", default=True,
                help="Accept bulk creates ({\"networks\": [...]}) in one transaction."),
    cfg.BoolOpt("allow_pagination", default=True,
                help="Honour limit/marker/page_reverse on list requests."),
    cfg.BoolOpt("allow_sorting", default=True,
                help="Honour sort_key/sort_dir on list requests."),
    cfg.IntOpt("pagination_max_limit", default=-1, min=-1,
               help="Largest page a list request returns (-1: no limit)."),
    cfg.StrOpt("noauth_default_project", default="admin",
               help="With auth_strategy = noauth, a request without X-Project-Id / "
                    "X-Tenant-Id / X-Roles headers acts as an admin of this project "
                    "(what clients such as 'openstack --os-auth-type none' send)."),
    cfg.BoolOpt("allow_overlapping_ips", default=False,
                help="Allow subnets of different networks to overlap (CIDRs are then only "
                     "checked within one network), as Quantum's option of that name."),
    cfg.StrOpt("control_exchange", default="quantum",
               help="AMQP exchange for RPC topics."),
    cfg.StrOpt("transport_url", secret=True,
               help="rabbit://user:pass@host:5672/vhost (several hosts separated by commas "
                    "for failover). Unset: the embedded transport (no broker, one host) "
                    "unless rabbit_host/rabbit_hosts are set."),
    cfg.StrOpt("rabbit_host", help="Legacy: RabbitMQ host."),
    cfg.PortOpt("rabbit_port", default=5672, help="Legacy: RabbitMQ port."),
    cfg.ListOpt("rabbit_hosts", default=[], help="Legacy: host:port list for failover."),
    cfg.StrOpt("rabbit_userid", default="guest", help="Legacy: RabbitMQ user."),
    cfg.StrOpt("rabbit_password", default="guest", secret=True,
               help="Legacy: RabbitMQ password."),
    cfg.StrOpt("rabbit_virtual_host", default="/", help="Legacy: RabbitMQ virtual host."),
    cfg.IntOpt("rpc_response_timeout", default=60, min=1,
               help="Seconds to wait for an RPC call's reply."),
    cfg.BoolOpt("dhcp_agent_notification", default=True,
                help="Send resource notifications to DHCP agents."),
]

DATABASE_OPTS = [
    cfg.StrOpt("sql_connection", secret=True,
               help="SQLAlchemy URL. Unset: sqlite file quantum_zvm.sqlite under state_path. "
                    "mysql:// uses PyMySQL (extra [mysql]) and postgresql:// psycopg2 "
                    "(extra [postgresql]), the drivers that cooperate with eventlet; other "
                    "drivers are refused."),
    cfg.IntOpt("sql_max_retries", default=10, min=-1,
               help="Connection attempts at start-up (-1: forever)."),
    cfg.IntOpt("reconnect_interval", default=2, min=0,
               help="Seconds between database connection attempts."),
    cfg.IntOpt("sql_max_pool_size", default=5, min=1, help="Connection pool size."),
    cfg.IntOpt("sql_max_overflow", default=10, min=0,
               help="Connections allowed above the pool size."),
    cfg.IntOpt("sql_pool_timeout", default=30, min=1,
               help="Seconds to wait for a pooled connection."),
    cfg.IntOpt("sql_idle_timeout", default=3600, min=1,
               help="Seconds before an idle pooled connection is recycled."),
]

AGENT_OPTS = [
    cfg.IntOpt("polling_interval", default=2, min=1,
               help="Seconds between reconcile cycles of the agent."),
    cfg.IntOpt("report_interval", default=4, min=1,
               help="Seconds between agent heartbeats to the plugin."),
    cfg.IntOpt("system_check_interval", default=30, min=1,
               help="Seconds between the agent's checks of the z/VM IPL time and the xCAT "
                    "MN activation time (one dsh request); a change re-applies bindings "
                    "or redoes the management NIC."),
    cfg.StrOpt("host", default=socket.gethostname(), sample_default="<hostname>",
               help="Host name the agent reports and binds ports for."),
    cfg.StrOpt("zvm_xcat_server", help="xCAT management node address (host or host:port)."),
    cfg.StrOpt("zvm_xcat_username", help="xCAT REST user."),
    cfg.StrOpt("zvm_xcat_password", secret=True, help="xCAT REST password."),
    cfg.IntOpt("zvm_xcat_timeout", default=300, min=1,
               help="Read timeout of one xCAT REST request, in seconds."),
    cfg.StrOpt("zvm_xcat_ca_file",
               help="CA bundle to verify the xCAT MN certificate (default: system store)."),
    cfg.BoolOpt("zvm_xcat_verify", default=True,
                help="Verify the xCAT MN TLS certificate and host name. Turn off only "
                     "for tests; a warning is logged at start-up."),
    cfg.BoolOpt("zvm_xcat_credentials_in_query", default=False,
                help="Send userName/password as query parameters instead of headers "
                     "(for MNs whose web server drops the headers)."),
    cfg.StrOpt("xcat_zhcp_nodename", default="zhcp",
               help="xCAT node name of the zHCP this agent manages."),
    cfg.StrOpt("root_helper", default="sudo",
               help="Accepted for the Quantum-era configuration, not used: the agent runs "
                    "no local privileged command (z/VM is reached through xCAT), and the "
                    "shipped rootwrap filters allow none."),
    cfg.ListOpt("vswitch_mappings", default=[],
                deprecated_opts=[cfg.DeprecatedOpt("network_vlan_ranges", group="AGENT"),
                                 cfg.DeprecatedOpt("network_vlan_ranges", group="OVS")],
                help="vswitch[:vlan_min:vlan_max] entries; a name alone is a flat "
                     "(VLAN-unaware) vswitch, a name may repeat to add ranges."),
    cfg.ListOpt("ssi_zhcp_nodes", default=[],
                help="xCAT node names of the zHCPs of the other members of this z/VM "
                     "system's SSI cluster (empty: not in a cluster). Their guests may "
                     "relocate here and back: a port whose switch row names this zHCP is "
                     "granted here before its guest arrives, and a port whose row names "
                     "one of them is served here until its guest has left; the shared "
                     "directory is never changed for a guest that runs elsewhere."),
    cfg.StrOpt("xcat_mgt_ip",
               help="IPv4 address of the xCAT MN management NIC 0800 (with xcat_mgt_mask)."),
    cfg.StrOpt("xcat_mgt_mask", help="Netmask of the xCAT MN management NIC 0800."),
    cfg.StrOpt("dhcp_userid",
               help="z/VM userid of the guest running the DHCP agent; granted TRUNK on "
                    "the VLANs of networks with DHCP-enabled subnets."),
    cfg.IntOpt("smcli_batch_size", default=1000, min=1,
               help="Most commands in one dsh request to the zHCP."),
    cfg.FloatOpt("dsh_request_seconds", default=constants.DSH_REQUEST_SECONDS, min=0.1,
                 help="Longest expected duration of one dsh request to the zHCP. The xCAT "
                      "MN's web server ends a request after its Timeout (Apache: 60 s by "
                      "default) while the commands go on; keep this well under it."),
    cfg.FloatOpt("smcli_call_seconds", default=constants.SMCLI_CALL_SECONDS, min=0.0,
                 help="Expected duration of one smcli (SMAPI) call on the zHCP that is "
                      "not a directory call, used with dsh_request_seconds to size dsh "
                      "requests."),
    cfg.FloatOpt("dirmaint_call_seconds", default=constants.DIRMAINT_CALL_SECONDS, min=0.0,
                 help="Expected duration of one directory (..._DM) smcli call: DirMaint "
                      "handles one request at a time (1-2 s each at a typical site)."),
    cfg.IntOpt("smapi_workers", default=constants.SMAPI_WORKERS, min=1, max=16,
               help="Most dsh requests the agent keeps in flight to the zHCP at once, "
                    "each carrying the commands of other guests: one per SMAPI worker "
                    "server (a standard SMAPI has three, VSMWORK1..3). 1 sends one "
                    "request at a time."),
    cfg.BoolOpt("read_ahead_directories", default=True,
                help="Read the directory of a new node's guest while the node's zvm row is "
                     "looked up, taking its userid to be the node name in upper case (as "
                     "nova-zvm names nodes); the read is kept only when the row names that "
                     "userid. Set false where node names are not userids: each such new "
                     "node then costs one more directory read."),
]

RDEV_OPT = cfg.ListOpt("rdev_list", default=[],
                       help="Up to 3 real device numbers (OSA) of this vswitch.")

MAX_RDEVS = 3


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register every static option on ``conf`` (idempotent)."""
    conf.register_opts(DEFAULT_OPTS)
    conf.register_opts(DATABASE_OPTS, group="DATABASE")
    conf.register_opts(AGENT_OPTS, group="AGENT")


def list_opts() -> list[tuple[str | None, list[cfg.Opt]]]:
    """Entry point for oslo-config-generator (``oslo.config.opts``)."""
    return [(None, DEFAULT_OPTS), ("DATABASE", DATABASE_OPTS), ("AGENT", AGENT_OPTS),
            ("VSW1", [RDEV_OPT])]


# --------------------------------------------------------------------------- mappings

VlanRange = tuple[int, int]
VswitchMappings = dict[str, list[VlanRange]]


class MappingsError(ValueError):
    """Every problem of one vswitch_mappings value (``reasons``)."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def parse_vswitch_mappings(entries: Iterable[str]) -> VswitchMappings:
    """Parse ``vswitch[:min:max]`` entries into ``{VSWITCH: [(min, max), ...]}``.

    A name alone is a flat (VLAN-unaware) vswitch and maps to ``[]``.  Ranges
    of one vswitch are kept sorted.  Raises :class:`MappingsError` listing
    every bad entry with its reason.
    """
    reasons: list[str] = []
    ranges: dict[str, list[VlanRange]] = {}
    flat: set[str] = set()
    for position, raw in enumerate(entries, start=1):
        label = f"entry {position} {raw!r}"
        try:
            name, vlans = _mapping_entry(raw)
        except ValueError as exc:
            reasons.append(f"{label}: {exc}")
            continue
        if vlans is None:
            reason = _add_flat_vswitch(name, ranges, flat)
        else:
            reason = _add_vlan_range(name, vlans, ranges, flat)
        if reason:
            reasons.append(f"{label}: {reason}")
    if reasons:
        raise MappingsError(reasons)
    return {name: sorted(r) for name, r in ranges.items()}


def _mapping_entry(raw: str) -> tuple[str, VlanRange | None]:
    """``(VSWITCH, (min, max))`` from one entry, ``(VSWITCH, None)`` for a flat vswitch;
    ValueError with the reason for an entry that is not one."""
    entry = raw.strip()
    if not entry:
        raise ValueError("empty entry")
    parts = [p.strip() for p in entry.split(":")]
    name = zvm_names.vswitch(parts[0], "vswitch name")
    if len(parts) == 1:
        return name, None
    if len(parts) != 3:
        raise ValueError("expected vswitch or vswitch:vlan_min:vlan_max")
    low = zvm_names.vlan_id(parts[1], "vlan_min")
    high = zvm_names.vlan_id(parts[2], "vlan_max")
    if low > high:
        raise ValueError(f"vlan_min {low} is greater than vlan_max {high}")
    return name, (low, high)


def _add_flat_vswitch(name: str, ranges: dict[str, list[VlanRange]],
                      flat: set[str]) -> str | None:
    """Record a flat vswitch (kept even when refused); the reason when it was seen before."""
    reason = f"{name} is both flat and VLAN-ranged" if name in ranges else None
    flat.add(name)
    ranges.setdefault(name, [])
    return reason


def _add_vlan_range(name: str, vlans: VlanRange, ranges: dict[str, list[VlanRange]],
                    flat: set[str]) -> str | None:
    """Record a VLAN range of a vswitch; the reason when it is flat or the range overlaps."""
    if name in flat:
        return f"{name} is both flat and VLAN-ranged"
    low, high = vlans
    for other_low, other_high in ranges.get(name, []):
        if low <= other_high and other_low <= high:
            return f"{low}-{high} overlaps {other_low}-{other_high} of {name}"
    ranges.setdefault(name, []).append(vlans)
    return None


def parse_rdev_list(entries: Sequence[str]) -> list[str]:
    """Normalise an rdev_list to 4 upper-case hex digits each; at most 3 entries."""
    reasons: list[str] = []
    rdevs: list[str] = []
    for raw in entries:
        try:
            rdev = zvm_names.device(raw, "rdev")
        except ValueError as exc:
            reasons.append(str(exc))
            continue
        if rdev in rdevs:
            reasons.append(f"rdev: {rdev} is listed twice")
        rdevs.append(rdev)
    if len(entries) > MAX_RDEVS:
        reasons.append(f"at most {MAX_RDEVS} real devices, got {len(entries)}")
    if reasons:
        raise MappingsError(reasons)
    return rdevs


# --------------------------------------------------------------------------- validation

@dataclasses.dataclass(frozen=True)
class Problem:
    """One configuration problem, as printed to the operator."""
    file: str
    section: str
    option: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: [{self.section}] {self.option}: {self.reason}"


_ALIASES = {"vswitch_mappings": [("AGENT", "network_vlan_ranges"), ("OVS", "network_vlan_ranges")]}


def _file_sections(path: str) -> list[tuple[str, list[str]]]:
    """The sections of an ini file in order, as written, each with the options it sets
    ([] when the file cannot be read)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    sections: list[tuple[str, list[str]]] = [("DEFAULT", [])]
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            sections.append((stripped[1:-1].strip(), []))
            continue
        sections[-1][1].append(re.split(r"[=:]", stripped, maxsplit=1)[0].strip())
    return sections


# Sections that are not per-vswitch ones (a per-vswitch section sets rdev_list).
_FIXED_SECTIONS = {"default", "database", "agent", "ovs"}


def _check_vswitch_sections(check: _Checker, mappings: VswitchMappings) -> None:
    """Each per-vswitch section names a mapped vswitch, and is written once per file:
    oslo.config merges [VSW1] and [vsw1] silently, the later one winning."""
    for path, sections in check.files:
        spelled: dict[str, str] = {}
        for section, keys in sections:
            if section.lower() in _FIXED_SECTIONS or RDEV_OPT.dest not in keys:
                continue
            first = spelled.setdefault(section.lower(), section)
            if first != section:
                check.problems.append(Problem(
                    path, section, RDEV_OPT.dest,
                    f"[{first}] and [{section}] are one section (names ignore case); "
                    "write it once"))
            elif section.upper() not in mappings:
                known = ", ".join(mappings) or "none"
                check.problems.append(Problem(
                    path, section, RDEV_OPT.dest,
                    f"{section.upper()} is not a vswitch of [AGENT] vswitch_mappings "
                    f"({known}); a per-vswitch section must name one"))


class _Checker:
    """Collects problems while reading options; each read tolerates bad values."""

    def __init__(self, conf: cfg.ConfigOpts):
        self.conf = conf
        self.problems: list[Problem] = []
        # Each --config-file with its sections as written, read once.
        self.files = [(path, _file_sections(path)) for path in conf.config_file or []]

    def location(self, option: str, group: str | None) -> str:
        """The last ``--config-file`` that sets ``[group] option`` (or '<default>').

        Scans the files rather than asking oslo.config, which cannot locate a
        value it fails to convert -- exactly the values worth reporting.
        """
        wanted = [((group or "DEFAULT").lower(), option)]
        wanted += [(g.lower(), o) for g, o in _ALIASES.get(option, [])]
        for path, sections in reversed(self.files):
            for section, keys in sections:
                if any((section.lower(), key) in wanted for key in keys):
                    return path
        return "<default>"

    def add(self, group: str | None, option: str, reason: str) -> None:
        self.problems.append(Problem(self.location(option, group), group or "DEFAULT",
                                     option, reason))

    def get(self, group: str | None, option: str):
        try:
            node = self.conf[group] if group else self.conf
            return getattr(node, option)
        except (cfg.ConfigFileValueError, ValueError) as exc:
            self.add(group, option, _short_value_error(exc))
            return None


def _short_value_error(exc: Exception) -> str:
    text = str(exc)
    # oslo: "Value for option X from LocationInfo(...) is not valid: <reason>"
    match = re.search(r"is not valid: (.*)$", text, re.S)
    return match.group(1).strip() if match else text


def vswitch_rdevs(conf: cfg.ConfigOpts, name: str) -> list[str]:
    """The normalised rdev_list of vswitch ``name`` ([] when not set).

    The section may be written in any case (``[VSW1]`` or ``[vsw1]``): oslo.config
    folds section names to lower case.
    """
    conf.register_opt(RDEV_OPT, group=name)
    return parse_rdev_list(conf[name].rdev_list)


def validate(conf: cfg.ConfigOpts, role: str = "all") -> list[Problem]:
    """Every problem of a loaded configuration; ``role`` is server, agent or all."""
    check = _Checker(conf)
    for group, opts in ((None, DEFAULT_OPTS), ("DATABASE", DATABASE_OPTS),
                        ("AGENT", AGENT_OPTS)):
        for opt in opts:
            check.get(group, opt.dest)

    entries = check.get("AGENT", "vswitch_mappings")
    try:
        mappings = parse_vswitch_mappings(entries or [])
    except MappingsError as exc:
        for reason in exc.reasons:
            check.add("AGENT", "vswitch_mappings", reason)
        mappings = {}
    else:
        if entries is not None:  # the option itself could be read
            _check_vswitch_sections(check, mappings)
    if not entries and role in ("agent", "all"):
        check.add("AGENT", "vswitch_mappings", "no vswitch is configured")
    for name in mappings:
        try:
            vswitch_rdevs(conf, name)
        except MappingsError as exc:
            for reason in exc.reasons:
                check.add(name, "rdev_list", reason)

    _check_base_mac(check)
    _check_sql_connection(check, role)
    _check_transport(check)
    if role in ("agent", "all"):
        _check_agent(check)
    return check.problems


def _check_base_mac(check: _Checker) -> None:
    base_mac = check.get(None, "base_mac")
    if base_mac is None:
        return
    try:
        octets = zvm_names.mac_octets(base_mac, "base_mac")
    except ValueError as exc:
        check.add(None, "base_mac", str(exc))
        return
    if int(octets[0], 16) & 1:
        check.add(None, "base_mac", f"{base_mac!r} is a multicast address")


@dataclasses.dataclass(frozen=True)
class SqlDriver:
    """The driver a database URL scheme uses, and how to get it."""
    drivername: str     # SQLAlchemy's name, set on the URL
    module: str         # what must import
    extra: str | None   # the quantum-zvm extra that installs it


# The server runs under eventlet, which makes only Python-level socket waits
# cooperative: PyMySQL (pure Python) and psycopg2 (eventlet installs its wait
# callback) yield while a query waits; mysqlclient and psycopg 3 wait in C, so
# one query waiting for a row lock stopped every request of the server.  A URL
# therefore always gets the cooperative driver, whatever else is installed.
SQL_DRIVERS: dict[str, SqlDriver] = {
    "sqlite": SqlDriver("sqlite", "sqlite3", None),
    "sqlite+pysqlite": SqlDriver("sqlite+pysqlite", "sqlite3", None),
    "mysql": SqlDriver("mysql+pymysql", "pymysql", "mysql"),
    "mysql+pymysql": SqlDriver("mysql+pymysql", "pymysql", "mysql"),
    "postgresql": SqlDriver("postgresql+psycopg2", "psycopg2", "postgresql"),
    "postgres": SqlDriver("postgresql+psycopg2", "psycopg2", "postgresql"),
    "postgresql+psycopg2": SqlDriver("postgresql+psycopg2", "psycopg2", "postgresql"),
}
_ENGINES = ("sqlite", "mysql", "postgresql", "postgres")


def sql_driver(url: str) -> SqlDriver:
    """The driver of a database URL; ValueError (the reason) for one quantum-zvm refuses."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in SQL_DRIVERS:
        return SQL_DRIVERS[scheme]
    engine, _, driver = scheme.partition("+")
    if engine in _ENGINES and driver:
        raise ValueError(f"driver {driver!r} is not supported: the server runs under eventlet, "
                         "where a driver waiting in C code (mysqlclient, psycopg 3) stops every "
                         "request while one query waits; use mysql:// (PyMySQL) or "
                         "postgresql:// (psycopg2)")
    raise ValueError("expected a sqlite://, mysql:// or postgresql:// URL")


def _check_sql_connection(check: _Checker, role: str) -> None:
    """A supported URL, and for the server (which opens it) its driver installed."""
    url = check.get("DATABASE", "sql_connection")
    if not url:
        return
    try:
        driver = sql_driver(url)
        if role in ("server", "all"):
            importlib.import_module(driver.module)
    except ValueError as exc:
        check.add("DATABASE", "sql_connection", str(exc))
    except ImportError as exc:
        check.add("DATABASE", "sql_connection",
                  f"the {driver.drivername.split('+')[-1]} driver is not installed ({exc}): "
                  f"pip install 'quantum-zvm[{driver.extra}]'")


def _check_transport(check: _Checker) -> None:
    """transport_url (or the legacy rabbit_* options) names a usable transport: the
    settings every RPC service makes from it at start-up (:mod:`quantum_zvm.rpc.transport`)."""
    from quantum_zvm.rpc.transport import TransportConfigError, settings_from_conf  # kombu

    try:
        settings_from_conf(check.conf)
    except TransportConfigError as exc:  # "[DEFAULT] option: reason"
        option, _, reason = str(exc).partition(": ")
        check.add(None, option.removeprefix("[DEFAULT] "), reason)
    except (cfg.ConfigFileValueError, ValueError):
        pass  # an option that cannot be read is already a problem


def _check_agent(check: _Checker) -> None:
    _check_xcat_server(check)
    _check_agent_names(check)
    _check_ca_file(check)
    _check_mgt_network(check)


def _check_xcat_server(check: _Checker) -> None:
    """The xCAT server and its credentials are set, and the server is a valid address."""
    for option in ("zvm_xcat_server", "zvm_xcat_username", "zvm_xcat_password"):
        if not check.get("AGENT", option):
            check.add("AGENT", option, "required by the agent but not set")
    server = check.get("AGENT", "zvm_xcat_server")
    if server:
        try:
            parse_server(server)
        except ValueError as exc:
            check.add("AGENT", "zvm_xcat_server", str(exc).removeprefix("server: "))


def _check_agent_names(check: _Checker) -> None:
    """The zHCP nodes are xCAT node names and the DHCP guest a z/VM userid."""
    node = check.get("AGENT", "xcat_zhcp_nodename")
    if node is not None:
        _check_name(check, "xcat_zhcp_nodename", zvm_names.xcat_node, node)
    for peer in check.get("AGENT", "ssi_zhcp_nodes") or []:
        if not _check_name(check, "ssi_zhcp_nodes", zvm_names.xcat_node, peer):
            continue
        if peer == node:
            check.add("AGENT", "ssi_zhcp_nodes", f"{peer!r} is this agent's own zHCP "
                                                  f"(xcat_zhcp_nodename)")
    dhcp_userid = check.get("AGENT", "dhcp_userid")
    if dhcp_userid:
        _check_name(check, "dhcp_userid", zvm_names.userid, dhcp_userid)


def _check_name(check: _Checker, option: str, rule: Callable[[object, str], str],
                value: str) -> bool:
    """Whether ``value`` passes a :mod:`xcat.zvm_names` rule; the rule's reason otherwise."""
    try:
        rule(value, option)
    except ValueError as exc:
        check.add("AGENT", option, str(exc).removeprefix(f"{option}: "))
        return False
    return True


def _check_ca_file(check: _Checker) -> None:
    ca_file = check.get("AGENT", "zvm_xcat_ca_file")
    if ca_file:
        try:
            with open(ca_file, "rb"):
                pass
        except OSError as exc:
            check.add("AGENT", "zvm_xcat_ca_file", f"cannot read {ca_file}: {exc.strerror}")


def _check_mgt_network(check: _Checker) -> None:
    """xcat_mgt_ip and xcat_mgt_mask: both or neither, an IPv4 address and netmask."""
    ip = check.get("AGENT", "xcat_mgt_ip")
    mask = check.get("AGENT", "xcat_mgt_mask")
    if bool(ip) != bool(mask):
        check.add("AGENT", "xcat_mgt_mask" if ip else "xcat_mgt_ip",
                  "xcat_mgt_ip and xcat_mgt_mask must be set together")
    if ip:
        try:
            ipaddress.IPv4Address(ip)
        except ValueError:
            check.add("AGENT", "xcat_mgt_ip", f"{ip!r} is not an IPv4 address")
    if mask:
        try:
            ipaddress.IPv4Network(f"0.0.0.0/{mask}")
        except ValueError:
            check.add("AGENT", "xcat_mgt_mask", f"{mask!r} is not an IPv4 netmask")


# --------------------------------------------------------------------------- logging

# The logging options of every command's command line (read by quantum_zvm.common.log.setup).
LOG_CLI_OPTS = [
    cfg.BoolOpt("debug", short="d", default=False, help="Log at DEBUG level."),
    cfg.StrOpt("log-file", dest="log_file", help="Log to this file instead of stderr."),
    cfg.BoolOpt("use-syslog", dest="use_syslog", default=False, help="Log to syslog."),
]
_URL_PASSWORD = re.compile(r"://[^:/@\s]*:([^@\s/]+)@")


def register_log_cli_opts(conf: cfg.ConfigOpts) -> None:
    for opt in LOG_CLI_OPTS:
        with contextlib.suppress(cfg.ArgsAlreadyParsedError):
            conf.register_cli_opt(opt)


def configured_secrets(conf: cfg.ConfigOpts) -> list[str]:
    """Values of every secret option that is set, for the log to mask them literally.

    For URLs (``sql_connection``, ``transport_url``) only the password part is
    a secret; the rest stays readable in logs.
    """
    secrets: list[str] = []
    for group, opts in list_opts():
        for opt in opts:
            if not opt.secret or opt is RDEV_OPT:
                continue
            try:
                value = getattr(conf[group] if group else conf, opt.dest)
            except Exception:  # noqa: BLE001 - invalid values are reported elsewhere
                continue
            if not isinstance(value, str) or not value:
                continue
            if "://" in value:
                secrets.extend(m.group(1) for m in _URL_PASSWORD.finditer(value))
            else:
                secrets.append(value)
    return secrets


# --------------------------------------------------------------------------- loading

def new_conf() -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    register_opts(conf)
    return conf


def load(argv: Sequence[str], prog: str, conf: cfg.ConfigOpts | None = None,
         cli_opts: Sequence[cfg.Opt] = (), role: str | None = "all",
         description: str | None = None) -> tuple[cfg.ConfigOpts, list[Problem]]:
    """Parse ``argv`` (``--config-file`` repeatable) and validate for ``role``.

    Returns the configuration and its problems; raises nothing for bad values.
    A file that cannot be parsed at all is one problem naming the file.
    ``role=None`` parses without validating (the caller validates later).
    """
    conf = conf or new_conf()
    register_log_cli_opts(conf)
    conf.register_cli_opts(list(cli_opts))
    try:
        conf(list(argv), project="quantum", prog=prog, default_config_files=[],
             version=f"{prog} {__version__}", description=description)
    except cfg.ConfigFilesNotFoundError as exc:
        return conf, [Problem(", ".join(exc.config_files), "-", "--config-file",
                              "file not found or not readable")]
    except cfg.ConfigFileParseError as exc:
        return conf, [Problem(exc.config_file, "-", "-", f"cannot parse: {exc.msg}")]
    return conf, (validate(conf, role) if role else [])


def load_or_exit(argv: Sequence[str], prog: str, role: str,
                 cli_opts: Sequence[cfg.Opt] = (),
                 description: str | None = None) -> cfg.ConfigOpts:
    """Like :func:`load`, but prints every problem and exits 2 when there is one."""
    conf, problems = load(argv, prog, cli_opts=cli_opts, role=role, description=description)
    if problems:
        print_problems(problems, prog)
        sys.exit(EXIT_CONFIG_ERROR)
    return conf


def print_problems(problems: Iterable[Problem], prog: str) -> None:
    problems = list(problems)
    print(f"{prog}: {len(problems)} configuration problem(s):", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)


def vswitch_mappings(conf: cfg.ConfigOpts) -> VswitchMappings:
    """The parsed mappings of an already validated configuration."""
    return parse_vswitch_mappings(conf.AGENT.vswitch_mappings)


def sql_connection(conf: cfg.ConfigOpts) -> str:
    """The database URL, defaulting to a SQLite file under ``state_path``."""
    return conf.DATABASE.sql_connection or (
        f"sqlite:///{conf.state_path.rstrip('/')}/quantum_zvm.sqlite")
