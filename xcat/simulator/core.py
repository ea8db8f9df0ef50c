"""The simulator: z/VM systems + xCAT tables + node file systems + faults + counters.

``Simulator`` is what the WSGI apps (``rest``, ``control``) and the state
file work on.  It holds one :class:`~xcat.simulator.model.Model` per z/VM
system, keyed by the node of the zHCP that manages it (``systems``; the
first is the one the xCAT MN runs on, also ``model``).  A node's system is
the one its ``zvm.hcp`` names, as the MN's zvm plugin decides where to run a
node's SMAPI calls.  One re-entrant lock (``lock``, shared by every model)
guards the models and the tables; shell scripts run without it and each
smcli/vmcp call takes it.

Systems whose scenario names the same ``system.ssi`` form an SSI cluster
(``Model.ssi``, :class:`~xcat.simulator.model.Ssi`): one shared user directory,
single-configuration guests on every member (logged on on one at most), and live
guest relocation with SMAPI ``VMRELOCATE`` (``smcli``) or xCAT ``rmigrate``
(``PUT /xcatws/nodes/<node>/migrate``, ``rest``), which moves the node's
``zvm.hcp`` to the destination's zHCP.  ``load_state`` re-shares the directories.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from xcat.simulator import scenario, xcatcli
from xcat.simulator.counters import Counters
from xcat.simulator.faults import Faults
from xcat.simulator.iproute import Ip
from xcat.simulator.model import Guest, Model, link_ssi
from xcat.simulator.shell import Host, Shell
from xcat.simulator.smcli import Output, Smcli
from xcat.simulator.vmcp import Vmcp
from xcat.simulator.znetconf import Znetconf

SMCLI_PATHS = ("smcli", "/opt/zhcp/bin/smcli")
VMCP_PATHS = ("vmcp", "/sbin/vmcp", "/usr/sbin/vmcp")
IP_PATHS = ("ip", "/sbin/ip", "/usr/sbin/ip", "/bin/ip", "/usr/bin/ip")
ZNETCONF_PATHS = ("znetconf", "/sbin/znetconf", "/usr/sbin/znetconf")
_FIRST_SMCLI = re.compile(r"(?:^|[\s;&|/])smcli\s+['\"]?([A-Za-z_]+)")

# xdsh builds ONE string, "export NODE=<node>; " + pre-command + command + post-command,
# and execs ssh with it as the last argument (xcat-core tag 2.8.3, ccb66ff79:
# perl-xCAT/xCAT/DSHCLI.pm fork_fanout_dsh and config_dsh, xCAT/SSH.pm
# remote_shell_command).  The pre-command sets the MN's locale (the output of
# /usr/bin/locale, here en_US.UTF-8; DSH_PATH unset adds no PATH); the post-command
# echoes the exit status.  Linux refuses an argument of MAX_ARG_STRLEN bytes or more,
# its NUL included (include/uapi/linux/binfmts.h: 32 pages): exec fails with E2BIG.
MAX_ARG_STRLEN = 131072
_LOCALE_NAMES = ("LANG", "LANGUAGE", "LC_CTYPE", "LC_NUMERIC", "LC_TIME", "LC_COLLATE",
                 "LC_MONETARY", "LC_MESSAGES", "LC_PAPER", "LC_NAME", "LC_ADDRESS",
                 "LC_TELEPHONE", "LC_MEASUREMENT", "LC_IDENTIFICATION")
XDSH_PRE_COMMAND = ("export LANG=en_US.UTF-8 LANGUAGE= "
                    + " ".join(f'{name}="en_US.UTF-8"' for name in _LOCALE_NAMES[2:])
                    + " LC_ALL= PERL_BADLANG=0 ; ")
XDSH_POST_COMMAND = '; export DSH_TARGET_RC=$?; echo ":DSH_TARGET_RC=${DSH_TARGET_RC}:"'
# What the exec-failed child of fork_output_for_commands reports (DSHCLI.pm: the -4
# branch, "Cannot redirect STDOUT, error= $!"); the target then counts as failed.
XDSH_E2BIG = "Cannot redirect STDOUT, error= Argument list too long"


def first_command(command: str) -> str | None:
    """What a dsh command mostly does, for counters: its first smcli function,
    else its first word."""
    match = _FIRST_SMCLI.search(command)
    if match:
        return match.group(1)
    words = command.split()
    return words[0][:40] if words else None


def xdsh_argument(node: str, command: str) -> str:
    """The one string xdsh hands to ssh for ``command`` on ``node``; like DSHCLI it
    first strips trailing blanks, then one trailing ``;``."""
    body = command.rstrip()
    body = body[:-1] if body.endswith(";") else body
    return f"export NODE={node}; {XDSH_PRE_COMMAND}{body}{XDSH_POST_COMMAND}"


def exec_accepts(argument: str) -> bool:
    """Whether Linux execs a program with ``argument`` (bytes plus NUL within MAX_ARG_STRLEN)."""
    return len(argument.encode("utf-8", errors="surrogateescape")) < MAX_ARG_STRLEN


class NodeFiles(dict):
    """A node's file system (path -> text) that counts its changes."""
    version = 0

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key, value)
        self.version += 1

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.version += 1


@dataclass
class DshResult:
    stdout: str
    stderr: str
    status: int


class Simulator:
    def __init__(self, scenario_data: dict[str, Any] | None = None, seed: int = 0):
        self.seed = seed
        self.scenario_data = scenario_data if scenario_data is not None else scenario.read(None)
        self.faults = Faults(seed)
        self.counters = Counters()
        self.load_scenario(self.scenario_data)

    def load_scenario(self, data: dict[str, Any]) -> None:
        """Everything as the scenario describes it (the lock is kept across a reset)."""
        lock = getattr(self, "lock", None)
        systems, tables, settings = scenario.build(data, lock)
        self.systems = systems
        self.model = next(iter(systems.values()))
        self.lock = self.model.lock
        self.tables = tables
        self.settings = settings
        self.files: dict[str, NodeFiles] = {}

    # ------------------------------------------------------------ xCAT facts
    @property
    def zhcp_node(self) -> str:
        """The zHCP of the xCAT MN's own system."""
        return self.settings["zhcp_node"]

    def system(self, zhcp_node: str) -> Model:
        """The system ``zhcp_node`` manages; KeyError names it when there is none."""
        try:
            return self.systems[zhcp_node]
        except KeyError:
            raise KeyError(f"no z/VM system is managed by zHCP {zhcp_node}") from None

    def system_of(self, node: str) -> Model | None:
        """The z/VM system of a node: a zHCP's own, else the one its ``zvm.hcp`` names."""
        if node in self.systems:
            return self.systems[node]
        return self.systems.get(self.node_hcp(node) or "")

    def guest_of(self, node: str) -> tuple[Model, Guest] | None:
        """A node's system and z/VM guest, or None (no zvm row, unknown zHCP, no guest)."""
        userid = self.node_userid(node)
        model = self.system_of(node)
        with self.lock:
            guest = model.guest(userid) if model is not None and userid else None
            return (model, guest) if model is not None and guest is not None else None

    def credentials_ok(self, username: str | None, password: str | None) -> bool:
        with self.lock:
            for row in self.tables["passwd"].as_dicts():
                if (row["key"] == "xcat" and row["username"] == username
                        and row["password"] == password and username):
                    return True
        return False

    def node_exists(self, node: str) -> bool:
        with self.lock:
            return any(t.matching({"node": node}) for t in (self.tables["nodelist"],
                                                             self.tables["zvm"]))

    def node_userid(self, node: str) -> str | None:
        with self.lock:
            row = self.tables["zvm"].first_enabled("node", node)
            return (row["userid"] or "").upper() or None if row else None

    def node_hcp(self, node: str) -> str | None:
        with self.lock:
            row = self.tables["zvm"].first_enabled("node", node)
            return row["hcp"] if row else None

    # ------------------------------------------------------------------ shell
    def _smcli(self, zhcp_node: str, argv: list[str]) -> Output:
        """smcli on ``zhcp_node``: a SMAPI call on its system, through its workers."""
        def hook(function: str, userid: str) -> tuple[int, int] | None:
            return self.faults.smapi_call(function, userid, system=zhcp_node,
                                          busy=lambda: self.counters.busy("smcli"))
        out = Smcli(self.systems[zhcp_node], hook=hook).run(argv)
        if len(argv) > 1 and not argv[1].startswith("-"):
            self.counters.record_smcli(argv[1], out.status, zhcp_node)
        return out

    def host(self, node: str) -> Host:
        """The node's shell environment: smcli on the zHCP, vmcp and ip on z/VM
        guests, tabch/tabdump/gettab on the xCAT MN."""
        commands = {}
        if node == self.settings["xcat_node"]:
            commands.update(xcatcli.commands(self.tables, self.lock))
        if node in self.systems:
            for path in SMCLI_PATHS:
                commands[path] = lambda argv, _stdin: self._smcli(node, argv)
        userid = self.node_userid(node)
        model = self.system_of(node)
        if userid and model is not None:
            vmcp = Vmcp(model, userid)

            def run_vmcp(argv: list[str], stdin: str) -> Output:
                self.counters.record_vmcp()
                return vmcp.run(argv, stdin)
            for path in VMCP_PATHS:
                commands[path] = run_vmcp
            ip = Ip(model, userid)
            for path in IP_PATHS:
                commands[path] = ip.run
            znetconf = Znetconf(model, userid)
            for path in ZNETCONF_PATHS:
                commands[path] = znetconf.run
        files = self.files.setdefault(node, NodeFiles())
        return Host(node=node, files=files, commands=commands,
                    record=self.counters.record_command)

    def reachable(self, node: str) -> bool:
        """ssh reaches a node whose z/VM guest is logged on."""
        found = self.guest_of(node)
        return bool(found and found[1].logged_on)

    def dsh(self, node: str, command: str) -> DshResult:
        if self.faults.take(("dsh_unreachable",), node=node) or not self.reachable(node):
            return DshResult("", f"ssh: connect to host {node} port 22: No route to host\n", 255)
        out = Shell(self.host(node)).run(command)
        return DshResult(out.stdout, out.stderr, out.status)

    # ------------------------------------------------------------------ state
    def state(self) -> dict[str, Any]:
        """``model``: the MN's system; ``systems``: the others by zHCP node."""
        with self.lock:
            return {"model": self.model.to_dict(),
                    "systems": {node: m.to_dict() for node, m in self.systems.items()
                                if m is not self.model},
                    "tables": self.tables.to_dict(),
                    "settings": dict(self.settings),
                    "files": {n: dict(f) for n, f in sorted(self.files.items()) if f}}

    def load_state(self, data: dict[str, Any]) -> None:
        """A :meth:`state` snapshot of the same scenario's systems."""
        with self.lock:
            saved = data.get("systems", {})
            missing = sorted(set(self.systems) - {self.zhcp_node} - set(saved))
            if missing:
                raise ValueError(f"the state has no z/VM system of zHCP {missing[0]}")
            self.model.load_dict(data["model"])
            for node, model in self.systems.items():
                if model is not self.model:
                    model.load_dict(saved[node])
            link_ssi(list(self.systems.values()))   # one directory per SSI cluster again
            self.tables.load_dict(data["tables"])
            self.settings.update(data.get("settings", {}))
            self.files = {n: NodeFiles(f) for n, f in data.get("files", {}).items()}

    @property
    def version(self) -> int:
        return sum(m.version for m in self.systems.values()) + self.tables.version + sum(
            f.version for f in self.files.values())
