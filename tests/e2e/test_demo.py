"""``quantum-zvm-demo`` end to end: the real command (what ``./demo.sh`` runs) as a subprocess.

Every test checks that no process of the demo outlives it: a process belongs
to a demo when its command line names the demo's state directory.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.fixtures.procs import BIN, command, pid_alive, processes_of, wait_for

pytestmark = pytest.mark.slow

GUEST_ROWS = {  # port: (network, guest, vdev, attached by); vdevs the demo asks for or
    "linux01-flat": ("flat-net", "LINUX01", "1000", "quantum-zvm-nic"),  # nic picks
    "linux01-vlan": ("vlan-net", "LINUX01", "1003", "quantum-zvm-nic"),
    "linux04-vlan": ("vlan-net", "LINUX04", "1000", "quantum-zvm-nic"),
    "linux02-vlan": ("vlan-net", "LINUX02", "2000", "API binding"),
    "linux03-flat": ("flat-net", "LINUX03", "1000", "API binding"),
}


def demo_argv(*args: str) -> list[str]:
    return [command("quantum-zvm-demo"), *args]


def state_dir_of(output: str) -> Path:
    match = re.search(r"Create a temporary state directory \.\.\. ok \((\S+)\)", output)
    assert match, output
    return Path(match.group(1))


def section(output: str, title: str) -> str:
    """The table printed under ``title`` (up to the next blank line)."""
    start = output.index("\n" + title + "\n") + len(title) + 2
    return output[start:output.index("\n\n", start)]


def table_rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()[2:]]


def test_demo_runs_end_to_end_and_leaves_nothing_behind():
    started = time.monotonic()
    result = subprocess.run(demo_argv(), capture_output=True, text=True, timeout=240)
    elapsed = time.monotonic() - started
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    state_dir = state_dir_of(out)
    assert not state_dir.exists()
    assert processes_of(state_dir) == []
    assert elapsed < 90, f"the demo took {elapsed:.0f} s"

    # one progress line per step, in order
    steps = re.findall(r"^\[\s*[\d.]+s\] (.+?) \.\.\. ok", out, re.M)
    order = []
    for expected in ("Start xcat-zvm-simulator", "Create the database: quantum-zvm-db-manage",
                     "Start quantum-zvm-server", "Start quantum-zvm-agent",
                     "Create a flat and a VLAN network", "Attach 3 NICs with quantum-zvm-nic",
                     "Create 2 ports bound through the API",
                     "Wait until all 5 ports are ACTIVE", "Fire a z/VM IPL",
                     "Wait for the agent to restore", "Check every port through the API",
                     "Start a second quantum-zvm-agent for ZVMSYS2",
                     "Attach LINUX11 of ZVMSYS2 to vlan-net",
                     "Relocate LINUX01 to ZVMSYS2 before handing it over",
                     "Hand LINUX01's 2 ports to ZVMSYS2",
                     "Relocate LINUX01 to ZVMSYS2 (rmigrate",
                     "Wait for ZVMSYS1's agent to revoke LINUX01",
                     "Stop the services"):
        found = [i for i, s in enumerate(steps) if s.startswith(expected)]
        assert len(found) == 1, (expected, steps)
        order += found
    assert order == sorted(order), steps
    assert "TLS verified against the demo CA" in out
    assert re.search(r"Stop the services \.\.\. ok \(agent2 exit 0, agent exit 0, server exit 0, "
                     r"simulator exit 0\)", out)

    # before: only the operator's VLAN-aware VSW1 (no grants), no NICDEFs
    before = table_rows(section(out, "z/VM before: vswitch grants and VLANs"))
    assert ["VSW1", "VLAN-aware,", "CP", "only", "(no", "grants)", "-", "-"] in before
    assert ["FLATSW", "not", "defined", "-", "-", "-"] in before
    nics_before = table_rows(section(out, "z/VM before: NICs in the user directory (NICDEF) "
                                          "and live"))
    assert all("(no" in row for row in nics_before)

    # the IPL lost VSW1; the agent re-created it persistently with every grant
    assert ["VSW1", "not", "defined", "-", "-", "-"] in table_rows(
        section(out, "Right after the IPL: vswitch grants and VLANs"))
    after = table_rows(section(out, "z/VM after the IPL: vswitch grants and VLANs"))
    for userid in ("LINUX01", "LINUX02", "LINUX04"):
        assert ["VSW1", "VLAN-aware,", "persistent", userid, "ACCESS", "100"] in after, after
    assert ["VSW1", "VLAN-aware,", "persistent", "DHCPAGT", "TRUNK", "100"] in after
    for userid in ("LINUX01", "LINUX03", "DHCPAGT"):
        assert ["FLATSW", "flat,", "persistent", userid, "ACCESS", "-"] in after

    # final port statuses through the API
    ports = {row[0]: row for row in table_rows(section(out, "Ports after the IPL (REST API)"))}
    assert set(ports) == set(GUEST_ROWS)
    for name, (network, guest, vdev, by) in GUEST_ROWS.items():
        row = ports[name]
        assert row[1:4] == [network, guest, vdev], row
        assert row[4].startswith("fa:16:3e:"), row
        assert row[6] == "ACTIVE", row
        assert " ".join(row[7:]) == by, row
    assert ports["linux01-vlan"][5] == "10.20.0.50"  # the --fixed-ip given to quantum-zvm-nic

    # directory NICDEFs carry the ports' MACIDs; logged-on guests are coupled again
    nics = {(row[0], row[3]): row for row in table_rows(
        section(out, "z/VM after the IPL: NICs in the user directory (NICDEF) and live"))}
    for name, (network, guest, vdev, _by) in GUEST_ROWS.items():
        row = nics[(guest, vdev)]
        vswitch = "FLATSW" if network == "flat-net" else "VSW1"
        macid = ports[name][4].replace(":", "")[6:].upper()
        logged_on = row[1:3] == ["logged", "on"]
        assert row[4:] == [vswitch, macid, vswitch if logged_on else "-", name], row
    assert nics[("LINUX01", "1000")][1:3] == ["logged", "on"]  # autolog: back after the IPL
    assert nics[("LINUX04", "1000")][1:3] == ["logged", "off"]

    # the xCAT cost of each phase is shown
    assert re.search(r"Attaching and converging all NICs\n\s+[\d.]+ s, \d+ xCAT REST requests, "
                     r"\d+ smcli calls", out)
    assert re.search(r"Restoring after the IPL\n\s+[\d.]+ s, \d+ xCAT REST",
                     out)
    assert re.search(r"Demo finished in [\d.]+ s: 6 ports ACTIVE on 5 guests of two z/VM "
                     r"systems, grants restored after the IPL, LINUX01 relocated", out)

    # two systems: one VLAN network on both; LINUX01 moved, nothing of it left on ZVMSYS1
    assert "refused, as z/VM must: ZVMSYS2 does not authorize LINUX01 yet" in out
    spanning = table_rows(section(out, "One network on two systems: ZVMSYS2 (zHCP zhcp2) "
                                       "vswitch grants and VLANs"))
    assert ["VSW1", "VLAN-aware,", "persistent", "LINUX11", "ACCESS", "100"] in spanning
    source = table_rows(section(out, "After the relocation: ZVMSYS1 (zHCP zhcp1) vswitch "
                                     "grants and VLANs"))
    assert not [row for row in source if "LINUX01" in row], source
    target = table_rows(section(out, "After the relocation: ZVMSYS2 (zHCP zhcp2) vswitch "
                                     "grants and VLANs"))
    assert ["VSW1", "VLAN-aware,", "persistent", "LINUX01", "ACCESS", "100"] in target
    assert ["FLATSW", "flat,", "persistent", "LINUX01", "ACCESS", "-"] in target
    placed = {row[0]: row[1:] for row in table_rows(
        section(out, "Where the ports are bound (REST API)"))}
    for name in ("linux01-flat", "linux01-vlan", "linux11-vlan"):
        assert placed[name][1:] == ["zvmhost2", "zhcp2", "ZVMSYS2", "ACTIVE"], placed
    for name in ("linux02-vlan", "linux03-flat", "linux04-vlan"):
        assert placed[name][1:] == ["zvmhost1", "zhcp1", "ZVMSYS1", "ACTIVE"], placed


@contextlib.contextmanager
def demo_running_until(step: str) -> Iterator[tuple[subprocess.Popen, list[str], Path]]:
    """The demo as a subprocess, its output read up to ``step``'s ``... ok`` line: the
    process, the lines read and its state directory; killed on the way out if still running."""
    proc = subprocess.Popen(demo_argv(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if step in line and "... ok" in line:
                break
        else:
            pytest.fail(f"the demo ended before {step!r}:\n" + "".join(lines))
        yield proc, lines, state_dir_of("".join(lines))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_ctrl_c_stops_every_process():
    with demo_running_until("Start quantum-zvm-agent") as (proc, lines, state_dir):
        running = processes_of(state_dir)
        assert len(running) >= 3, running  # simulator, server, agent
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    out = "".join(lines) + rest
    assert proc.returncode == 128 + signal.SIGINT, out
    assert "SIGINT during:" in out
    assert "Stop the services ... ok" in out
    assert processes_of(state_dir) == []
    assert not state_dir.exists()


def test_failure_names_the_step_shows_the_log_and_stops_everything():
    with demo_running_until("Start quantum-zvm-server") as (proc, lines, state_dir):
        (server,) = [pid for pid in processes_of(state_dir)
                     if b"quantum-zvm-server" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        os.kill(server, signal.SIGKILL)
        rest, _ = proc.communicate(timeout=120)
    out = "".join(lines) + rest
    try:
        assert proc.returncode == 1, out
        assert re.search(r"The demo failed at step: \S.*\n  \S", out), out
        assert "--- last lines of " in out, out
        assert "Stop the services ... ok" in out, out
        assert processes_of(state_dir) == []
        assert f"Logs and configuration kept in {state_dir}" in out
        assert (state_dir / "server.log").exists()
    finally:
        subprocess.run(["rm", "-rf", str(state_dir)], check=False)


def test_keep_running_serves_the_openstack_cli_until_stopped():
    # PATH without openssl: the demo falls back to plain HTTP towards the simulator
    env = {**os.environ, "PATH": str(BIN)}
    result = subprocess.run(demo_argv("--keep-running"), capture_output=True, text=True,
                            timeout=240, env=env)
    out = result.stdout
    state_dir = state_dir_of(out)
    try:
        assert result.returncode == 0, out + result.stderr
        assert "openssl not found: the simulator serves plain HTTP" in out
        record = json.loads((state_dir / "services.json").read_text())["services"]
        assert [s["name"] for s in record] == ["simulator", "server", "agent", "agent2"]
        pids = [s["pid"] for s in record]
        assert all(pid_alive(pid) for pid in pids)
        endpoint = re.search(r"openstack --os-auth-type none --os-endpoint (\S+) network list",
                             out).group(1)
        listing = subprocess.run([command("openstack"), "--os-auth-type", "none",
                                  "--os-endpoint", endpoint, "network", "list", "-f", "value",
                                  "-c", "Name"], capture_output=True, text=True, timeout=120)
        assert sorted(listing.stdout.split()) == ["flat-net", "vlan-net"], listing
        ports = requests.get(endpoint + "/v2.0/ports", timeout=10).json()["ports"]
        assert {p["status"] for p in ports} == {"ACTIVE"}
        stop_line = re.search(r"^  (quantum-zvm-demo --stop \S+)$", out, re.M).group(1)
        assert stop_line.endswith(str(state_dir))
    finally:
        stopped = subprocess.run(demo_argv("--stop", str(state_dir)), capture_output=True,
                                 text=True, timeout=120)
    assert stopped.returncode == 0, stopped.stderr
    assert "stopped agent2, agent, server, simulator" in stopped.stdout
    wait_for(lambda: not any(pid_alive(pid) for pid in pids), timeout=10,
             what="no demo process left")
    assert not state_dir.exists()
