"""Start-up work of the agent, and the periodic z/VM system check.

- :func:`resolve`: the xCAT MN node (site ``master`` → hosts), the zHCP and
  xCAT MN userids (``zvm`` table).
- :func:`vswitch_changes` (pure) and :func:`ensure_vswitches`: create every
  mapped vswitch that is missing (ETHERNET, VLAN-aware when it has ranges,
  persistent, with its ``rdev_list``), correct rdev drift comparing device
  numbers, and leave the administrator's vswitches (those the xCAT MN's own
  NICs use) untouched.
- :func:`system_check`: IPL time, xCAT MN activation time and the z/VM USER
  PREFIX, in one dsh request.
- :func:`ensure_management_nic`: NIC 0800 of the xCAT MN on the first flat
  vswitch (the MN granted on it), brought online in Linux (``znetconf -a``)
  when its interface does not exist yet, with ``xcat_mgt_ip``/``xcat_mgt_mask``;
  a different address is refused, never overwritten.
"""
from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from quantum_zvm.agent.model import ObservedVswitch, VswitchSpec
from xcat import smcli, smcli_parsers, tables
from xcat.errors import XcatError

LOG = logging.getLogger(__name__)

MGT_VDEV = "0800"
MGT_INTERFACE = "enccw0.0.0800"
# A NIC CP defines for the running MN reaches Linux as three offline CCW devices; qeth
# must group them and set them online before MGT_INTERFACE exists.  networking-zvm
# (1c3163b2 neutron/plugins/zvm/common/utils.py create_xcat_mgt_network) and feilong
# (4d4effae zvmsdk/utils.py) ran the appliance's sspqeth2.pl -d 0800 0801 0802 for it;
# znetconf is the s390-tools command (c6649588 zconf/znetconf; feilong a63e6775
# zvmsdk/dist.py runs it at a guest's first boot).
ZNETCONF_ADD = ["/sbin/znetconf", "-a", MGT_VDEV]
_IP_NO_SUCH_DEVICE = 1   # ip addr show: Device "X" does not exist.
ADMIN_VDEVS = ("0600", "0700")


class StartupError(Exception):
    """Something the agent cannot work without (names the missing piece)."""


@dataclass(frozen=True)
class Identity:
    mn_node: str
    mn_userid: str
    zhcp_userid: str


def resolve(client, zhcp_node: str) -> Identity:
    """Find the xCAT MN node and the zHCP/MN userids in the xCAT tables."""
    master = _lookup(client, "site", "key", "master", "value")
    if not master:
        raise StartupError("xCAT site table has no 'master' entry (the MN address)")
    mn_node = _lookup(client, "hosts", "ip", master, "node")
    if not mn_node:
        raise StartupError(f"no xCAT hosts row has ip {master} (the MN's node name)")
    zhcp_userid = _lookup(client, "zvm", "node", zhcp_node, "userid")
    if not zhcp_userid:
        raise StartupError(f"zHCP node {zhcp_node} has no userid in the xCAT zvm table "
                           f"(check [AGENT] xcat_zhcp_nodename)")
    mn_userid = _lookup(client, "zvm", "node", mn_node, "userid")
    if not mn_userid:
        raise StartupError(f"xCAT MN node {mn_node} has no userid in the xCAT zvm table")
    return Identity(mn_node, mn_userid.upper(), zhcp_userid.upper())


def _lookup(client, table: str, key: str, value: str, attribute: str) -> str | None:
    """One attribute of the first matching row (None: no row matches)."""
    found = tables.gettab(client, table, key, value, attribute)
    assert not isinstance(found, dict), "gettab of one attribute gives its value"
    return found


def admin_vswitches(executor, mn_node: str) -> set[str]:
    """Vswitches the xCAT MN's own NICs (0600, 0700) are coupled to."""
    (outcome,) = executor.run_commands([smcli.vmcp_query_nic()], node=mn_node, idempotent=True)
    if not outcome.ok:
        raise StartupError(f"vmcp q v nic on {mn_node} failed: {outcome.describe()}")
    return {nic.vswitch.upper() for nic in smcli_parsers.parse_vmcp_query_nic(
        outcome.stdout_lines) if nic.vdev in ADMIN_VDEVS and nic.vswitch}


def default_vlan(spec: VswitchSpec) -> int:
    """The default VLAN of a created VLAN-aware vswitch: the lowest id outside every
    tenant range, so a guest granted without a VLAN never lands in a tenant's."""
    vlan = 1
    for low, high in sorted(spec.vlan_ranges):
        if low <= vlan <= high:
            vlan = high + 1
    if vlan > 4094:
        raise StartupError(f"vswitch {spec.name}: the VLAN ranges leave no default VLAN")
    return vlan


def vswitch_changes(specs: Mapping[str, VswitchSpec], observed: Mapping[str, ObservedVswitch],
                    admin: set[str], zhcp_userid: str) -> tuple[list[list[str]], list[str]]:
    """The smcli commands that create missing vswitches and fix rdev drift,
    and the problems found (mapped vswitches that exist with the wrong VLAN mode)."""
    commands: list[list[str]] = []
    problems: list[str] = []
    for name, spec in sorted(specs.items()):
        if name in admin:
            LOG.info("vswitch %s belongs to the xCAT MN; left as the administrator "
                     "defined it", name)
            continue
        current = observed.get(name)
        if current is None:
            vlan = default_vlan(spec) if spec.vlan_aware else None
            commands.append(smcli.vswitch_create_extended(
                zhcp_userid, name, rdevs=list(spec.rdevs), vlan=vlan,
                port_type="ACCESS" if spec.vlan_aware else None,
                gvrp=False if spec.vlan_aware else None, persist=True))
            continue
        if current.vlan_aware != spec.vlan_aware:
            problems.append(f"vswitch {name} is VLAN-{'aware' if current.vlan_aware else 'unaware'}"
                            f" but vswitch_mappings makes it "
                            f"{'VLAN-aware' if spec.vlan_aware else 'flat'}")
        if spec.rdevs and _devices(current.rdevs) != _devices(spec.rdevs):
            commands.append(smcli.vswitch_set_rdevs(zhcp_userid, name, list(spec.rdevs),
                                                    persist=True))
    return commands, problems


def _devices(rdevs: Sequence[str]) -> list[int]:
    """Device numbers of rdevs (``00A3`` equals ``a3``; an OSA port suffix is kept apart)."""
    out = []
    for rdev in rdevs:
        base, _, port = rdev.partition(".")
        out.append(int(base, 16) * 16 + (int(port[1:] or "0", 16) if port else 0))
    return sorted(out)


def ensure_vswitches(executor, specs: Mapping[str, VswitchSpec], admin: set[str]
                     ) -> tuple[dict[str, ObservedVswitch], list[str]]:
    """Create/fix mapped vswitches; returns their observed states and problems."""
    observed, _, problems = executor.observe(all_vswitches=True)
    commands, mismatches = vswitch_changes(specs, observed, admin, executor.zhcp_userid)
    errors = list(problems.values()) + mismatches
    if commands:
        for outcome in executor.run_commands(commands):
            if outcome.ok:
                LOG.info("%s", outcome.command)
            else:
                errors.append(outcome.describe())
        observed, _, problems = executor.observe(all_vswitches=True)
        errors += list(problems.values())
    for name in specs:
        if name not in observed:
            errors.append(f"vswitch {name} does not exist and could not be created")
    return {n: v for n, v in observed.items() if n in specs}, errors


@dataclass(frozen=True)
class SystemState:
    ipl_time: str | None
    mn_activation: str | None
    user_prefix: str | None


def system_check(executor, mn_userid: str) -> SystemState:
    """IPL time, xCAT MN activation time and USER PREFIX in one request."""
    outcomes = executor.run_commands([smcli.system_info_query(),
                                      smcli.image_query_activate_time(mn_userid, 4),
                                      smcli.vmcp_query_vmlan()], idempotent=True)
    ipl = activation = prefix = None
    if outcomes[0].ok:
        ipl = smcli_parsers.parse_system_info(outcomes[0].stdout_lines).ipl_time
    else:
        LOG.warning("System_Info_Query failed: %s", outcomes[0].describe())
    if outcomes[1].ok:
        activation = smcli_parsers.parse_activate_time(outcomes[1].stdout_lines).when
    if outcomes[2].ok:
        try:
            vmlan = smcli_parsers.parse_vmcp_query_vmlan(outcomes[2].stdout_lines)
            prefix = (vmlan.effective_user_prefix or "").upper() or None
        except XcatError as exc:
            LOG.warning("vmcp q vmlan: %s", exc)
    return SystemState(ipl, activation, prefix)


_INET_RE = re.compile(r"\binet\s+(\d+\.\d+\.\d+\.\d+)/(\d+)")


def ensure_management_nic(executor, mn_node: str, mn_userid: str, vswitch: str, ip: str,
                          mask: str) -> str:
    """NIC 0800 of the xCAT MN coupled to ``vswitch`` with ``ip``/``mask``.

    Returns what was done; raises :class:`StartupError` when the NIC carries
    another address (refused, never overwritten) or cannot be set up.
    """
    wanted = ipaddress.IPv4Interface(f"{ip}/{mask}")
    done = _couple_management_nic(executor, mn_node, mn_userid, vswitch)
    done += _address_management_nic(executor, mn_node, wanted)
    return "; ".join(done) or "unchanged"


def management_nic_commands(nics: Sequence[smcli_parsers.VirtualNic], vswitch: str
                            ) -> list[list[str]]:
    """The vmcp commands that give the MN NIC 0800 coupled to ``vswitch``, from what
    ``vmcp q v nic`` shows (none when it is coupled there already)."""
    nic = next((n for n in nics if n.vdev == MGT_VDEV), None)
    commands: list[list[str]] = []
    if nic is None:
        commands.append(smcli.vmcp_define_nic(MGT_VDEV))
    if nic is None or (nic.vswitch or "").upper() != vswitch:
        if nic is not None and nic.coupled:
            commands.append(smcli.vmcp_uncouple(MGT_VDEV))
        commands.append(smcli.vmcp_couple(MGT_VDEV, vswitch))
    return commands


def _couple_management_nic(executor, mn_node: str, mn_userid: str, vswitch: str) -> list[str]:
    """Define and couple NIC 0800 of the MN where needed, granting the MN on ``vswitch``
    first; returns the commands run."""
    (query,) = executor.run_commands([smcli.vmcp_query_nic(MGT_VDEV)], node=mn_node,
                                     idempotent=True)
    nics = smcli_parsers.parse_vmcp_query_nic(query.stdout_lines) if query.ok else []
    commands = management_nic_commands(nics, vswitch)
    if not commands:
        return []
    (granted,) = executor.run_commands([smcli.vswitch_grant(vswitch, mn_userid, persist=True)])
    if not granted.ok:
        raise StartupError(f"granting {mn_userid} on {vswitch} for the management NIC: "
                           f"{granted.describe()}")
    done = []
    for outcome in executor.run_commands(commands, node=mn_node):
        if not outcome.ok:
            raise StartupError(f"management NIC {MGT_VDEV} on {mn_node}: {outcome.describe()}")
        done.append(outcome.command)
    return done


def _address_management_nic(executor, mn_node: str,
                            wanted: ipaddress.IPv4Interface) -> list[str]:
    """Give the MN's management interface ``wanted`` (bringing the NIC online in Linux
    first when the interface does not exist); returns what was done.  Another
    address there is refused."""
    (show,) = executor.run_commands([["ip", "-4", "-o", "addr", "show", "dev", MGT_INTERFACE]],
                                    node=mn_node, idempotent=True)
    offline = show.exit_status == _IP_NO_SUCH_DEVICE
    if not (show.ok or offline):
        raise StartupError(f"cannot read the address of {MGT_INTERFACE} on {mn_node}: "
                           f"{show.describe()}")
    found = [] if offline else [ipaddress.IPv4Interface(f"{a}/{p}") for a, p in
                                _INET_RE.findall("\n".join(show.stdout_lines))]
    if wanted in found:
        return []
    if found:
        raise StartupError(f"{MGT_INTERFACE} of the xCAT MN has {', '.join(map(str, found))}, "
                           f"not {wanted} (xcat_mgt_ip/xcat_mgt_mask): refusing to change it")
    add = ["ip", "addr", "add", str(wanted), "dev", MGT_INTERFACE]
    up = ["ip", "link", "set", MGT_INTERFACE, "up"]
    steps = [ZNETCONF_ADD, add, up] if offline else [add, up]
    for outcome in executor.run_commands(steps, node=mn_node):
        if not outcome.ok:
            raise StartupError(f"configuring {wanted} on {MGT_INTERFACE}: {outcome.describe()}")
    online = [f"znetconf -a {MGT_VDEV}"] if offline else []
    return [*online, f"{MGT_INTERFACE} {wanted}"]
