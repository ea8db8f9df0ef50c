"""quantum-zvm-server against neutron-server 29: the same REST API workloads, side by side.

Both servers run on ONE private MariaDB server (tests/fixtures/mysql.py: Debian's
binaries, durability settings off), each on a fresh database of its own (ours upgraded
to head by ``start_server``, neutron's migrated with ``neutron-db-manage upgrade
heads``), both with RPC on one private RabbitMQ (tests/fixtures/rabbitmq.py), one API
process each, one server at a time; runs alternate (ours, neutron, ours, neutron, ...
for ``--rounds``), each on a fresh database, and the same clients
(``benchmarks/bench_api.py``'s keep-alive ``http.client`` connections and workloads)
measure:

1. ``port_create``: N port creates one after another, ``port_create_concurrent``: N
   from several clients; ports/s and latency percentiles.  ``port_delete``: N deletes.
2. ``list``: the network filled to M ports (bulk creates of 500), then ``GET /ports``
   with all fields and with ``fields=id&fields=status``, best and median of 5;
   ``show``: S ``GET /ports/<id>``, latency percentiles.
3. ``vlan_networks``: C concurrent clients create K tenant networks (VLANs from the
   vswitch range); duplicate VLANs must be 0.
4. ``statements``: statements per port create, show, delete, and per list request
   (all fields; id,status at M ports), counted on the MariaDB side the same way for
   both: the server's global ``Questions`` status counter read before and after K
   operations of one kind (one client, nothing else on that server; the harness's own
   ``SHOW GLOBAL STATUS`` costs one and is subtracted).  ``Questions`` counts every
   statement a client sends (SELECT, INSERT, ..., BEGIN, COMMIT, ROLLBACK -- also the
   ROLLBACK a connection pool sends when a connection is returned -- SAVEPOINT, SET),
   not COM_PING; the JSON breaks it down by ``Com_*`` counter.  Before counting, 2 s
   with no request show the servers' background statements (expected 0).
   The timed phases' statement totals are in the JSON too.
5. ``memory``: VmRSS (and PSS) of the API process(es) after the run, from /proc: our
   server's one process; neutron's API process and ``neutron-rpc-server`` (with the
   worker it forks).  ``server_cpu_s`` and ``db_cpu_s`` of each timed phase: the user
   + system CPU time those processes and mariadbd used in it (less sensitive to a
   shared machine's load than the rates; the delete and show phases begin with one
   list of the ids they use, which is included).

Configuration, the same for both: vswitch mappings ``BENCH:1:4000,FLATSW`` (ML2's
``network_vlan_ranges``/``flat_networks`` for neutron); the ports' network is a VLAN
provider network (BENCH, VLAN 4000) with a /16 subnet; DHCP agent notification off
(neutron's fixture configuration; ours gets ``dhcp_agent_notification = false``). The
bodies are bench_api's, the same for both (ports with ``binding:host_id`` and
``binding:profile``, networks and bulk ports with a name only). Before the workloads
one ``report_state`` RPC call (what quantum-zvm-agent sends, on ``q-plugin``)
registers a live z/VM agent on that host with the benchmark's vswitches, and
``agent_down_time`` is a day for both servers, so the ports bind (``binding:vif_type``
``zvm``, checked in the JSON) with no heartbeat statements during the run. With
``--no-agent`` they do not: quantum-zvm answers ``binding_failed`` at once, neutron's
ML2 tries the binding 10 times a create (about twice the statements). Every request is
an admin's of the server's noauth project: ours gets no identity header (admin of
``noauth_default_project``); neutron gets ``X-Roles: admin,service`` (its noauth makes
that an elevated context of project ``fake_project_id`` with those roles): neutron
29's policy lets only the ``service`` role set ``binding:profile`` and answers 403 to
the port body from a header-less request, and with ``X-Project-Id`` its noauth ignores
the identity headers (an admin context without a project: bodies without ``tenant_id``
get 400). Neutron's quotas are unlimited (-1 for networks, subnets and ports in
``[quotas]``; its defaults, 100 networks and 500 ports, would stop the run;
quantum-zvm has no quotas). Neutron's API runs under
``tests/e2e/neutron_driver/qzvm_neutron_api.py``
(the standard library's threading WSGI server, HTTP/1.0: it closes each connection
after a response, so the same client reconnects to neutron for every request, a
loopback connect; ours keeps the connection).

    .venv/bin/python benchmarks/bench_api_neutron.py        # 1 round: 300 ports, 3,000 listed
    .venv/bin/python benchmarks/bench_api_neutron.py --ports 50 --list-ports 500 \\
        --shows 50 --networks 20 --statement-ops 10        # quick (about 4 minutes)
    .venv/bin/python benchmarks/bench_api_neutron.py --rounds 2 --servers quantum-zvm,neutron
    .venv/bin/python benchmarks/bench_api_neutron.py --ports 1000 --list-ports 10000 \\
        --shows 1000 --networks 500 --statement-ops 50     # bench_api.py's sizes

The default size takes 30-45 minutes on 2 shared cores, nearly all of it neutron's
(1-2 port creates/s and 2-5 bulk-created ports/s there); bench_api.py's sizes would
take hours.

Needs MariaDB and RabbitMQ (scripts/install-test-services.sh) and the neutron venv
(scripts/install-neutron-venv.sh, ``$QZVM_NEUTRON_VENV``); exits 2 naming what is
missing.  Prints one JSON document and a table (medians over the rounds; the ratio is
ours/neutron).  Every process, database and temporary file it makes is gone when it
exits (``--keep`` keeps the temporary directory with the servers' logs).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# The servers started below import this checkout, not whatever the venv installed.
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])

import pymysql  # noqa: E402 - after the sys.path set-up above

import quantum_zvm  # noqa: E402 - after the sys.path set-up above
from benchmarks import bench_api  # noqa: E402 - after the sys.path set-up above
from tests.fixtures import installed, mysql, neutron, rabbitmq  # noqa: E402 - after the sys.path set-up above
from tests.fixtures.procs import port_open  # noqa: E402 - after the sys.path set-up above
from tests.fixtures.server import start_server  # noqa: E402 - after the sys.path set-up above

SERVERS = ("quantum-zvm", "neutron")
# The identity of every request: an admin of the server's noauth project.  Ours: no
# header (admin of noauth_default_project).  Neutron: X-Roles only (noauth then makes an
# elevated context of project fake_project_id with these roles; with X-Project-Id it
# ignores the headers and uses an admin context without project or service role).
HEADERS = {"quantum-zvm": {}, "neutron": {"X-Roles": "admin,service"}}
MAPPINGS = bench_api.VSWITCHES  # BENCH:1:4000,FLATSW
PORTS_VLAN = 4000
NEUTRON_EXTRA = """\
[quotas]
quota_network = -1
quota_subnet = -1
quota_port = -1
"""
COUNTERS = ("Questions", "Com_select", "Com_insert", "Com_update", "Com_delete",
            "Com_begin", "Com_commit", "Com_rollback", "Com_savepoint",
            "Com_release_savepoint", "Com_rollback_to_savepoint", "Com_set_option",
            "Com_show_status")
IDLE_SECONDS = 2.0
# Seconds a response may take: neutron needs minutes for a bulk create of 500 ports on
# a loaded 2-core machine (bench_api's clients wait 300 s).
RESPONSE_TIMEOUT = 1800
AGENT_HOST = "zhcp1"  # bench_api.port_body's binding:host_id
AGENT_DOWN_TIME = 86400  # one heartbeat keeps the agent alive through a run


class StatementCounter:
    """MariaDB's global statement counters, read as root through the server's socket on
    one connection; :meth:`cost` is what one reading adds (calibrated)."""

    def __init__(self, server: mysql.MysqlServer):
        self.conn = pymysql.connect(unix_socket=str(server.socket), user="root",
                                    autocommit=True, connect_timeout=5)
        names = ", ".join(f"'{name}'" for name in COUNTERS)
        self.sql = f"SHOW GLOBAL STATUS WHERE Variable_name IN ({names})"
        first = self.read()
        second = self.read()
        self.cost = {name: second[name] - first[name] for name in COUNTERS}

    def read(self) -> dict[str, int]:
        with self.conn.cursor() as cursor:
            cursor.execute(self.sql)
            return {name: int(value) for name, value in cursor.fetchall()}

    def since(self, before: dict[str, int]) -> dict[str, int]:
        """Counts from ``before`` to now, without the two readings' own."""
        after = self.read()
        return {name: after[name] - before[name] - self.cost[name] for name in COUNTERS}

    def measure(self, action: Callable[[], Any]) -> tuple[Any, dict[str, int]]:
        before = self.read()
        value = action()
        return value, self.since(before)

    def version(self) -> str:
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT VERSION()")
            return str(cursor.fetchone()[0])

    def close(self) -> None:
        self.conn.close()


def breakdown(counts: dict[str, int], operations: int) -> dict[str, float]:
    """Per-operation statements: ``total`` (Questions) and its non-zero ``Com_*`` parts."""
    per = {"total": round(counts["Questions"] / operations, 2)}
    for name in COUNTERS[1:]:
        if counts[name]:
            per[name.removeprefix("Com_")] = round(counts[name] / operations, 2)
    return per


def expect(status: int, data: bytes, wanted: int, what: str) -> bytes:
    if status != wanted:
        raise RuntimeError(f"{what}: answered {status}: {data[:300]!r}")
    return data


def setup_network(client: bench_api.Client) -> str:
    """The ports' network: a VLAN provider network both servers accept, with a /16."""
    net = bench_api.post(client, "/networks", {"network": {
        "name": "bench", "provider:network_type": "vlan",
        "provider:physical_network": MAPPINGS.split(":")[0],
        "provider:segmentation_id": PORTS_VLAN}})["network"]
    bench_api.post(client, "/subnets", {"subnet": {"network_id": net["id"], "ip_version": 4,
                                                   "cidr": "10.64.0.0/16"}})
    return net["id"]


def count_statements(client: bench_api.Client, counter: StatementCounter, network_id: str,
                     operations: int) -> dict[str, Any]:
    """Statements per list (all fields; id,status) at the current size, then per port
    create, show and delete (``operations`` of each, one client)."""
    before = counter.read()
    time.sleep(IDLE_SECONDS)
    idle = counter.since(before)["Questions"]
    result: dict[str, Any] = {"background_in_idle_2s": idle, "operations": operations}
    for label, query in (("list_all_fields", ""), ("list_id_status", "?fields=id&fields=status")):
        _, counts = counter.measure(lambda q=query: expect(*client.get(f"/ports{q}"), 200, "list"))
        result[label] = breakdown(counts, 1)

    def creates() -> list[dict]:
        return [json.loads(expect(*client.request(
            "POST", "/ports", bench_api.port_body(network_id, f"s{i}")), 201, "port create"))
            ["port"] for i in range(operations)]
    ports, counts = counter.measure(creates)
    result["port_create"] = breakdown(counts, operations)
    result["vif_types"] = sorted({p.get("binding:vif_type") for p in ports})
    ids = [p["id"] for p in ports]
    _, counts = counter.measure(lambda: [expect(*client.get(f"/ports/{i}"), 200, "port show")
                                         for i in ids])
    result["port_show"] = breakdown(counts, operations)
    _, counts = counter.measure(lambda: [expect(*client.request("DELETE", f"/ports/{i}"), 204,
                                                "port delete") for i in ids])
    result["port_delete"] = breakdown(counts, operations)
    return result


def session_processes(leaders: list[int]) -> list[int]:
    """The live processes in the sessions of ``leaders`` (each Process starts one)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) in leaders:
            found.append(int(entry.name))
    return sorted(found)


def _status_kib(pid: int, path: str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory(leaders: list[int]) -> dict[str, Any]:
    """VmRSS and PSS of every process of the server (its sessions), in MiB."""
    processes = []
    for pid in session_processes(leaders):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        # paths shortened to their names (a process title set by oslo.service is one
        # argument holding the whole command line)
        words = b" ".join(argv).decode(errors="replace").split()
        name = " ".join(w.rsplit("/", 1)[-1] if "/" in w.lstrip("[") else w for w in words)
        processes.append({"pid": pid, "command": name[:80],
                          "rss_mib": round(_status_kib(pid, "status", "VmRSS") / 1024, 1),
                          "pss_mib": round(_status_kib(pid, "smaps_rollup", "Pss") / 1024, 1)})
    return {"processes": processes,
            "rss_mib": round(sum(p["rss_mib"] for p in processes), 1),
            "pss_mib": round(sum(p["pss_mib"] for p in processes), 1)}


def cpu_seconds(leaders: list[int]) -> float:
    """User + system CPU time so far of the processes in the sessions of ``leaders``."""
    total = 0
    for pid in session_processes(leaders):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def workload(endpoint: bench_api.Endpoint, counter: StatementCounter,
             args: argparse.Namespace, server: list[int], db: list[int]) -> dict[str, Any]:
    """bench_api's workloads against one server (see the module docstring); ``server``
    and ``db``: the session leaders of the server's and of MariaDB's processes, whose
    CPU time each timed phase records (``server_cpu_s``, ``db_cpu_s``)."""
    client = bench_api.Client(endpoint)
    result: dict[str, Any] = {}
    phases: dict[str, int] = {}

    def timed(name: str, action: Callable[[], dict]) -> None:
        server_cpu, db_cpu = cpu_seconds(server), cpu_seconds(db)
        begin = time.perf_counter()
        try:
            result[name], counts = counter.measure(action)
        except Exception as exc:
            raise RuntimeError(f"{name}: {type(exc).__name__}: {exc}") from exc
        result[name]["server_cpu_s"] = round(cpu_seconds(server) - server_cpu, 2)
        result[name]["db_cpu_s"] = round(cpu_seconds(db) - db_cpu, 2)
        phases[name] = counts["Questions"]
        print(f"  {name}: {time.perf_counter() - begin:.1f} s", file=sys.stderr, flush=True)
    try:
        network_id = setup_network(client)
        timed("port_create", lambda: bench_api.bench_port_create(endpoint, network_id,
                                                                 args.ports, 1))
        timed("port_create_concurrent", lambda: bench_api.bench_port_create(
            endpoint, network_id, args.ports, args.port_clients))
        timed("port_delete", lambda: bench_api.bench_port_delete(client, args.ports))
        timed("fill", lambda: bench_api.fill_ports(client, network_id, args.list_ports))
        try:
            result["statements"] = count_statements(client, counter, network_id,
                                                    args.statement_ops)
        except Exception as exc:
            raise RuntimeError(f"statements: {type(exc).__name__}: {exc}") from exc
        timed("list", lambda: bench_api.bench_list(client, result["fill"]["ports"]))
        timed("show", lambda: bench_api.bench_show(client, args.shows))
        timed("vlan_networks", lambda: bench_api.bench_vlan_networks(
            endpoint, args.networks, args.clients))
        result["statements"]["timed_phases_total"] = phases
        return result
    finally:
        client.close()


def agent_state() -> dict[str, Any]:
    """What quantum-zvm-agent reports for a host with the benchmark's vswitches."""
    from quantum_zvm.common import constants

    mappings = {}
    for item in MAPPINGS.split(","):
        name, _, vlans = item.partition(":")
        mappings[name] = [vlans] if vlans else []
    return {"binary": constants.AGENT_BINARY_ZVM, "host": AGENT_HOST, "topic": "N/A",
            "agent_type": constants.AGENT_TYPE_ZVM, "start_flag": True,
            "configurations": {"vswitch_mappings": mappings, "zhcp_node": AGENT_HOST,
                               "rpc_mode": "bench", "devices": 0}}


def register_agent(transport_url: str, exchange: str, timeout: float = 90) -> Any:
    """One ``report_state`` call of a z/VM agent on :data:`AGENT_HOST` (the agent RPC
    every server serves on ``q-plugin``), retried until the server's RPC consumer is up."""
    from quantum_zvm.rpc.agent_api import PluginApi
    from quantum_zvm.rpc.client import RpcClient
    from quantum_zvm.rpc.errors import RpcError
    from quantum_zvm.rpc.transport import Transport, parse_transport_url

    client = RpcClient(Transport(parse_transport_url(transport_url), exchange=exchange),
                       timeout=5)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                return PluginApi(client, agent_id=f"zvm-{AGENT_HOST}",
                                 host=AGENT_HOST).report_state(agent_state())
            except RpcError:
                if time.monotonic() > deadline:
                    raise
    finally:
        client.close()


def measure(kind: str, port: int, pids: list[int], db: mysql.MysqlServer, database: str,
            broker: rabbitmq.RabbitBroker, exchange: str, counter: StatementCounter,
            args: argparse.Namespace) -> dict[str, Any]:
    """The agent's heartbeat (unless ``--no-agent``), the workloads and the memory of a
    started server: ``kind`` on ``port``, its processes' session leaders ``pids``."""
    agent = register_agent(broker.url, exchange) if args.agent else None
    result = workload(bench_api.Endpoint(port, HEADERS[kind], RESPONSE_TIMEOUT), counter,
                      args, pids, [db_leader(db)])
    result["memory"] = memory(pids)
    result["database_tables"] = tables(db, database)
    result["agent"] = agent
    return result


def run_quantum_zvm(tmp: Path, db: mysql.MysqlServer, broker: rabbitmq.RabbitBroker,
                    counter: StatementCounter, args: argparse.Namespace, exchange: str,
                    leaders: list[int]) -> dict[str, Any]:
    name = f"qzvm_ours_{uuid.uuid4().hex[:8]}"
    db.admin(f"CREATE DATABASE {name}")
    try:
        url = db.url(name).replace("mysql://", "mysql+pymysql://", 1)
        start = time.perf_counter()
        server = start_server(tmp, sql_connection=url, vswitch_mappings=MAPPINGS,
                              extra_ini=f"[DEFAULT]\ntransport_url = {broker.url}\n"
                                        f"control_exchange = {exchange}\n"
                                        "dhcp_agent_notification = false\n"
                                        f"agent_down_time = {AGENT_DOWN_TIME}\n")
        started = time.perf_counter() - start
        pids = [server.process.proc.pid]
        leaders.extend(pids)
        try:
            if not tables(db, name):
                raise RuntimeError(f"{name} has no tables: upgrade_database did not run")
            result = measure("quantum-zvm", server.port, pids, db, name, broker, exchange,
                             counter, args)
            result["start_s"] = round(started, 1)
            return result
        except BaseException:
            print(server.process.output()[-3000:], file=sys.stderr)
            raise
        finally:
            server.stop()
    finally:
        db.admin(f"DROP DATABASE IF EXISTS {name}")


def run_neutron(tmp: Path, db: mysql.MysqlServer, broker: rabbitmq.RabbitBroker,
                counter: StatementCounter, args: argparse.Namespace, exchange: str,
                overlay: Path, leaders: list[int]) -> dict[str, Any]:
    url = neutron.create_database(db, tmp / "db-manage")
    name = url.rsplit("/", 1)[1].split("?")[0]
    try:
        start = time.perf_counter()
        server = neutron.start_neutron(tmp, overlay, broker.url, exchange, url,
                                       mappings=MAPPINGS, extra_conf=NEUTRON_EXTRA,
                                       agent_down_time=AGENT_DOWN_TIME)
        started = time.perf_counter() - start
        pids = [server.api_process.proc.pid, server.rpc.proc.pid]
        leaders.extend(pids)
        try:
            result = measure("neutron", server.port, pids, db, name, broker, exchange,
                             counter, args)
            result["start_s"] = round(started, 1)
            return result
        except BaseException:
            print(server.output()[-4000:], file=sys.stderr)
            raise
        finally:
            server.stop()
    finally:
        db.admin(f"DROP DATABASE IF EXISTS {name}")


def db_leader(db: mysql.MysqlServer) -> int:
    assert db.process is not None
    return db.process.proc.pid


def tables(db: mysql.MysqlServer, name: str) -> int:
    conn = pymysql.connect(unix_socket=str(db.socket), user="root", connect_timeout=5)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM information_schema.tables "
                           "WHERE table_schema = %s", (name,))
            return int(cursor.fetchone()[0])
    finally:
        conn.close()


def neutron_version() -> str:
    dist = list((neutron.NEUTRON_VENV / "lib").glob("python3*/site-packages/neutron-*.dist-info"))
    return dist[0].name.removeprefix("neutron-").removesuffix(".dist-info") if dist else "?"


def _get(result: dict, path: str) -> Any:
    value: Any = result
    for key in path.split("."):
        value = value[key]
    return value


def metrics(args: argparse.Namespace) -> list[tuple[str, str]]:
    return [
        (f"port creates/s, 1 client ({args.ports})", "port_create.ports_per_s"),
        ("  create latency p50 ms", "port_create.latency_ms_p50"),
        ("  create latency p95 ms", "port_create.latency_ms_p95"),
        ("  create errors", "port_create.errors"),
        ("  server CPU ms / create", "per_op.create_server_cpu_ms"),
        ("  MariaDB CPU ms / create", "per_op.create_db_cpu_ms"),
        (f"port creates/s, {args.port_clients} clients", "port_create_concurrent.ports_per_s"),
        ("  create errors", "port_create_concurrent.errors"),
        (f"port deletes/s ({args.ports})", "port_delete.ports_per_s"),
        ("  server CPU ms / delete", "per_op.delete_server_cpu_ms"),
        (f"bulk port creates/s ({bench_api.BULK} a request)", "fill.bulk_ports_per_s"),
        (f"list {args.list_ports} ports, all fields: best s", "list.all_fields.best_s"),
        ("  median s", "list.all_fields.median_s"),
        ("  KiB", "list.all_fields.kib"),
        ("list, fields=id&fields=status: best s", "list.id_status.best_s"),
        (f"port show p50 ms ({args.shows})", "show.latency_ms_p50"),
        ("  show p95 ms", "show.latency_ms_p95"),
        ("  server CPU ms / show", "per_op.show_server_cpu_ms"),
        (f"VLAN networks/s, {args.clients} clients ({args.networks})",
         "vlan_networks.networks_per_s"),
        ("  duplicate VLANs", "vlan_networks.duplicate_vlans"),
        ("statements / port create", "statements.port_create.total"),
        ("statements / port show", "statements.port_show.total"),
        ("statements / port delete", "statements.port_delete.total"),
        ("statements / list, all fields", "statements.list_all_fields.total"),
        ("statements / list, id,status", "statements.list_id_status.total"),
        ("background statements in 2 s idle", "statements.background_in_idle_2s"),
        ("RSS after the run, MiB", "memory.rss_mib"),
        ("  PSS, MiB", "memory.pss_mib"),
        ("  processes", "memory.count"),
        ("start-up s (after migration)", "start_s"),
    ]


def summarize(runs: list[dict], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Per metric: each server's values over the rounds, their median, ours/neutron."""
    rows = []
    for label, path in metrics(args):
        row: dict[str, Any] = {"metric": label, "key": path}
        for server in SERVERS:
            values = [_get(run, path) for run in runs
                      if run["server"] == server and "error" not in run]
            if values:
                row[server] = {"values": values,
                               "median": round(statistics.median(values), 3)}
        ours, theirs = (row.get(s, {}).get("median") for s in SERVERS)
        if ours is not None and theirs:
            row["ratio"] = round(ours / theirs, 2)
        rows.append(row)
    return rows


def _cell(entry: dict | None) -> str:
    if not entry:
        return "-"
    median = entry["median"]
    text = f"{median:g}" if isinstance(median, (int, float)) else str(median)
    if len(entry["values"]) > 1:
        text += " (" + ", ".join(f"{v:g}" for v in entry["values"]) + ")"
    return text


def table(rows: list[dict[str, Any]], version: str) -> str:
    lines = [("", "quantum-zvm", f"neutron {version}", "ours/neutron")]
    for row in rows:
        lines.append((row["metric"], _cell(row.get(SERVERS[0])), _cell(row.get(SERVERS[1])),
                      f"{row['ratio']:g}" if "ratio" in row else "-"))
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
                     for line in lines)


@contextlib.contextmanager
def terminated_as_exit() -> Iterator[None]:
    """SIGTERM/SIGHUP raise SystemExit, so the ``finally`` blocks stop what was started."""
    def handler(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default=",".join(SERVERS),
                        help="which servers, in the order each round runs them")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--ports", type=int, default=300)
    parser.add_argument("--port-clients", type=int, default=4)
    parser.add_argument("--statement-ops", type=int, default=20,
                        help="port creates, shows and deletes counted (statements)")
    parser.add_argument("--list-ports", type=int, default=3000)
    parser.add_argument("--shows", type=int, default=300)
    parser.add_argument("--networks", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--no-agent", dest="agent", action="store_false",
                        help="no z/VM agent: port creates on zhcp1 fail to bind (neutron "
                             "then tries 10 times a create)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory (configurations and logs)")
    args = parser.parse_args(argv)
    args.server_list = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = set(args.server_list) - set(SERVERS)
    if unknown or not args.server_list:
        parser.error(f"--servers: choose from {', '.join(SERVERS)}")
    if args.networks > 3999:
        parser.error("--networks: at most 3999 (VLANs 1-3999 of BENCH)")
    return args


def missing_services(want_neutron: bool) -> list[str]:
    reasons = []
    if want_neutron and (reason := neutron.missing()):
        reasons.append(reason)
    if not any(os.access(p, os.X_OK) for p in mysql._SERVERS):
        reasons.append("MariaDB is not installed (scripts/install-test-services.sh)")
    if rabbitmq._server_binary() is None:
        reasons.append("rabbitmq-server is not installed (scripts/install-test-services.sh)")
    return reasons


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not quantum_zvm.__file__ or not Path(quantum_zvm.__file__).is_relative_to(REPO):
        print(f"quantum_zvm is imported from {quantum_zvm.__file__}, not {REPO}", file=sys.stderr)
        return 2
    reasons = missing_services("neutron" in args.server_list)
    if reasons:
        print("bench_api_neutron: cannot run: " + "; ".join(reasons), file=sys.stderr)
        return 2
    report: dict[str, Any] = {
        "benchmark": "api_neutron",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}",
                                                    *(sys.argv[1:] if argv is None else argv)]),
        "args": {k: v for k, v in vars(args).items() if k not in ("server_list", "keep")},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_start": loadavg()},
        "quantum_zvm": str(Path(quantum_zvm.__file__).parent),
        "neutron_venv": str(neutron.NEUTRON_VENV), "runs": []}
    tmp = Path(tempfile.mkdtemp(prefix="bench-api-neutron-"))
    started: list[Callable[[], None]] = []
    leaders: list[int] = []
    try:
        with terminated_as_exit():
            run_all(tmp, args, report, started, leaders)
    finally:
        for stop in reversed(started):
            with contextlib.suppress(Exception):
                stop()
        left = session_processes(leaders)
        if "rabbitmq_epmd_port" in report and port_open(report.pop("rabbitmq_epmd_port")):
            left.append(-1)
        report["left_running"] = left
        if left:
            print(f"bench_api_neutron: still running after the stops: {left} "
                  "(-1: the broker's epmd)", file=sys.stderr)
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report["machine"]["loadavg_end"] = loadavg()
    report["summary"] = summarize(report["runs"], args)
    print(json.dumps(report, indent=2))
    print(f"\nMariaDB {report.get('mariadb', '?')}, {os.cpu_count()} CPUs, load average "
          f"{report['machine']['loadavg_start'][0]} at start, "
          f"{report['machine']['loadavg_end'][0]} at end; medians of {args.rounds} round(s)")
    print(table(report["summary"], report.get("neutron_version", "29")))
    failed = [run for run in report["runs"] if "error" in run]
    return 1 if failed or report["left_running"] else 0


def derive(result: dict[str, Any]) -> None:
    """Figures the table shows that are computed from the measured ones."""
    all_fields = result["list"]["all_fields"]
    all_fields["kib"] = round(all_fields["bytes"] / 1024)
    result["memory"]["count"] = len(result["memory"]["processes"])
    creates, deletes = result["port_create"], result["port_delete"]
    result["per_op"] = {
        "create_server_cpu_ms": round(1000 * creates["server_cpu_s"] / creates["ports"], 1),
        "create_db_cpu_ms": round(1000 * creates["db_cpu_s"] / creates["ports"], 1),
        "delete_server_cpu_ms": round(1000 * deletes["server_cpu_s"] / deletes["ports"], 1),
        "show_server_cpu_ms": round(1000 * result["show"]["server_cpu_s"]
                                    / result["show"]["shows"], 1)}


def run_all(tmp: Path, args: argparse.Namespace, report: dict[str, Any],
            started: list[Callable[[], None]], leaders: list[int]) -> None:
    """Start MariaDB and RabbitMQ (their stops go to ``started``), then the rounds; the
    process (session) ids of every server go to ``leaders``."""
    db = mysql.start_private_server()
    started.append(db.remove)
    leaders.append(db_leader(db))
    broker = rabbitmq.start_private_broker(tmp / "rabbitmq")
    started.append(broker.shutdown)
    assert broker.process is not None
    leaders.append(broker.process.proc.pid)
    report["rabbitmq_epmd_port"] = broker.epmd_port
    counter = StatementCounter(db)
    started.append(counter.close)
    report["mariadb"] = counter.version()
    report["statement_reading_cost"] = counter.cost["Questions"]
    overlay = None
    if "neutron" in args.server_list:
        report["neutron_version"] = neutron_version()
        (tmp / "wheel").mkdir()
        wheel = installed.build_wheel(REPO, tmp / "wheel", installed.wheelhouse_dir())
        overlay = neutron.install_overlay(wheel, tmp / "overlay")
    for round_ in range(1, args.rounds + 1):
        for server in args.server_list:
            run_tmp = tmp / f"{server}-{round_}"
            exchange = f"bench-{server}-{round_}"
            print(f"round {round_}: {server} ...", file=sys.stderr, flush=True)
            load = loadavg()
            begin = time.perf_counter()
            try:
                if server == "neutron":
                    assert overlay is not None
                    result = run_neutron(run_tmp, db, broker, counter, args, exchange, overlay,
                                         leaders)
                else:
                    result = run_quantum_zvm(run_tmp, db, broker, counter, args, exchange,
                                             leaders)
            except Exception as exc:  # noqa: BLE001 - recorded, the other runs go on
                result = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
                print(f"round {round_}: {server} failed: {result['error']}", file=sys.stderr)
            result.update({"server": server, "round": round_, "loadavg_before": load,
                           "loadavg_after": loadavg(),
                           "seconds": round(time.perf_counter() - begin, 1)})
            if "error" not in result:
                derive(result)
            report["runs"].append(result)
            print(f"round {round_}: {server} done in {result['seconds']} s", file=sys.stderr,
                  flush=True)


if __name__ == "__main__":
    sys.exit(main())
