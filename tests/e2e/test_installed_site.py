"""The wheel as a site installs it runs the whole stack from an empty directory.

The project is built into a wheel and installed (not editable) into a fresh
venv (``installed_site``, tests/fixtures/installed.py); every command then
runs from that venv with an empty working directory and no PYTHONPATH, so
nothing of the checkout can stand in for what the wheel lacks.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
import requests

from tests.fixtures.installed import InstalledSite
from tests.fixtures.procs import (
    REPO,
    Process,
    free_port,
    pid_alive,
    port_open,
    unavailable,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

HOST = "zvmhost1"
ZHCP = "zhcp1"
ADMIN = {"X-Project-Id": "tenant1", "X-Roles": "admin"}
COMMAND_SECONDS = 120


def run(site: InstalledSite, cwd: Path, *argv: str,
        timeout: float = COMMAND_SECONDS) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), cwd=cwd, env=site.env(), capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def empty_dir(tmp_path: Path) -> Path:
    path = tmp_path / "empty"
    path.mkdir()
    return path


def test_imports_come_from_the_installed_venv(installed_site: InstalledSite, empty_dir: Path):
    result = run(installed_site, empty_dir, str(installed_site.python), "-c",
                 "import quantum_zvm, quantum_zvm.api.router, quantum_zvm.server, xcat.simulator;"
                 "print(quantum_zvm.__file__); print(xcat.simulator.__file__)")
    assert result.returncode == 0, result.stderr
    for line in result.stdout.split():
        assert Path(line).is_relative_to(installed_site.site_packages), line


def test_site_packages_get_only_the_project_names(installed_site: InstalledSite,
                                                  empty_dir: Path):
    """No generic top-level name such as ``migrations`` (an unrelated PyPI project); the
    Alembic tree is quantum_zvm.migrations and Alembic finds it there."""
    result = run(installed_site, empty_dir, str(installed_site.python), "-c",
                 "import importlib.metadata as m;"
                 "print('\\n'.join(sorted({f.parts[0] for f in m.files('quantum-zvm')})))")
    assert result.returncode == 0, result.stderr
    top = {name for name in result.stdout.split()
           if name != ".." and not name.endswith(".dist-info")}
    assert top == {"quantum_zvm", "xcat"}
    result = run(installed_site, empty_dir, str(installed_site.python), "-c",
                 "from quantum_zvm.db import migration; print(migration.script().dir)")
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == installed_site.site_packages / "quantum_zvm" / \
        "migrations"
    history = run(installed_site, empty_dir, installed_site.bin("quantum-zvm-db-manage"),
                  "history")
    assert history.returncode == 0, history.stderr
    assert "0001_grizzly <- (base)" in history.stdout


@pytest.mark.parametrize("url, extra", [
    ("mysql://root:yourpass@localhost/ovs_quantum?charset=utf8", "mysql"),
    ("postgresql://quantum:pw@dbhost/quantum", "postgresql")])
def test_a_database_driver_not_installed_is_named_with_its_extra(
        installed_site: InstalledSite, empty_dir: Path, tmp_path: Path, url: str, extra: str):
    """The wheel alone has no MySQL or PostgreSQL driver: check-config and db-manage say
    which extra to install (db-manage used to die with a traceback)."""
    ini = tmp_path / "zvm_quantum_plugin.ini"
    example = installed_site.venv / SHARE / "quantum/plugins/zvm/zvm_quantum_plugin.ini"
    ini.write_text(re.sub(r"(?m)^sql_connection = .*$", f"sql_connection = {url}",
                          example.read_text()))
    wanted = (f"{ini}: [DATABASE] sql_connection: ",
              f"pip install 'quantum-zvm[{extra}]'")
    for argv in ([installed_site.bin("quantum-zvm-check-config"), "--config-file", str(ini)],
                 [installed_site.bin("quantum-zvm-db-manage"), "--config-file", str(ini),
                  "upgrade", "head"],
                 [installed_site.bin("quantum-zvm-server"), "--config-file", str(ini)]):
        result = run(installed_site, empty_dir, *argv)
        assert result.returncode == 2, result.stdout + result.stderr
        assert all(text in result.stderr for text in wanted), result.stderr
        assert "Traceback" not in result.stderr
    agent_only = run(installed_site, empty_dir, installed_site.bin("quantum-zvm-check-config"),
                     "--config-file", str(ini), "--role", "agent")
    assert agent_only.returncode == 0, agent_only.stderr  # agents use no database


def write_ini(path: Path, state: Path, api_port: int, sim_url: str) -> None:
    path.write_text(textwrap.dedent(f"""\
        [DEFAULT]
        state_path = {state}
        bind_host = 127.0.0.1
        bind_port = {api_port}
        [DATABASE]
        sql_connection = sqlite:///{state}/quantum_zvm.sqlite
        [AGENT]
        vswitch_mappings = VSW1:100:199,FLATSW
        zvm_xcat_server = {sim_url}
        zvm_xcat_username = root
        zvm_xcat_password = cluster
        xcat_zhcp_nodename = {ZHCP}
        host = {HOST}
        """))


def start(site: InstalledSite, cwd: Path, logs: Path, name: str, *args: str) -> Process:
    return Process([site.bin(name), *args], logs / f"{name}.log", env=site.env(), cwd=cwd)


def test_the_installed_stack_runs_from_an_empty_directory(installed_site: InstalledSite,
                                                          empty_dir: Path, tmp_path: Path):
    site = installed_site
    state = tmp_path / "state"
    state.mkdir()
    logs = tmp_path / "logs"
    logs.mkdir()
    ini = tmp_path / "zvm_quantum_plugin.ini"
    started: list[Process] = []
    try:
        sim_port = free_port()
        sim = start(site, empty_dir, logs, "xcat-zvm-simulator",
                    "--listen", f"127.0.0.1:{sim_port}")
        started.append(sim)
        url = wait_for(lambda: (re.search(r"listening on (\S+)", sim.output())
                                or _exited(sim)), timeout=30, what="the simulator")
        api_port = free_port()
        write_ini(ini, state, api_port, url.group(1))

        check = run(site, empty_dir, site.bin("quantum-zvm-check-config"), "--config-file",
                    str(ini))
        assert check.returncode == 0, check.stdout + check.stderr
        assert "configuration OK" in check.stdout
        upgrade = run(site, empty_dir, site.bin("quantum-zvm-db-manage"), "--config-file",
                      str(ini), "upgrade", "head")
        assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
        assert "INFO alembic" not in upgrade.stderr  # Alembic's plugin set-up is not news
        current = run(site, empty_dir, site.bin("quantum-zvm-db-manage"), "--config-file",
                      str(ini), "check")
        assert current.returncode == 0, current.stdout + current.stderr

        server = start(site, empty_dir, logs, "quantum-zvm-server", "--config-file", str(ini))
        started.append(server)
        api = f"http://127.0.0.1:{api_port}"
        wait_for(lambda: _answers(api + "/") or _exited(server), timeout=60,
                 what="quantum-zvm-server to answer GET /")
        assert requests.get(api + "/v2.0/networks", headers=ADMIN, timeout=10).status_code == 200
        net = _post(api, "networks", {"name": "flat", "provider:network_type": "flat",
                                      "provider:physical_network": "FLATSW"})
        _post(api, "subnets", {"network_id": net["id"], "ip_version": 4,
                               "cidr": "10.1.0.0/24"})
        port = _post(api, "ports", {"network_id": net["id"], "binding:host_id": HOST,
                                    "binding:profile": {"zvm_userid": "LINUX01"}})

        agent = run(site, empty_dir, site.bin("quantum-zvm-agent"), "--config-file", str(ini),
                    "--once")
        assert agent.returncode == 0, agent.stdout + agent.stderr
        assert json.loads(agent.stdout)["agent_errors"] == []
        status = requests.get(f"{api}/v2.0/ports/{port['id']}", headers=ADMIN,
                              timeout=10).json()["port"]["status"]
        assert status == "ACTIVE"
    finally:
        for process in reversed(started):
            process.stop(timeout=15)
    for process in started:
        assert not pid_alive(process.proc.pid)
    assert not port_open(api_port)


def test_the_installed_demo_runs_from_an_empty_directory(installed_site: InstalledSite,
                                                         empty_dir: Path):
    result = run(installed_site, empty_dir, installed_site.bin("quantum-zvm-demo"),
                 timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "ACTIVE" in result.stdout
    assert list(empty_dir.iterdir()) == []


def _exited(process: Process) -> None:
    if not process.alive():
        raise AssertionError(f"{process.argv[0]} exited:\n{process.output()}")


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.ConnectionError:
        return False


def _post(api: str, collection: str, attrs: dict) -> dict:
    response = requests.post(f"{api}/v2.0/{collection}", json={collection[:-1]: attrs},
                             headers=ADMIN, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()[collection[:-1]]


# ------------------------------------------------------------------ files for /etc, systemd

SHARE = Path("share/quantum-zvm/etc")  # under the venv; copied to /etc as the README says
UNITS = ("quantum-zvm-server.service", "quantum-zvm-agent.service")
README_COMMANDS = ("cp -r --no-clobber /opt/quantum-zvm/share/quantum-zvm/etc/. /etc/",
                   "systemd-sysusers quantum-zvm.conf")


def test_the_files_of_etc_are_installed_with_the_package(installed_site: InstalledSite):
    shipped = installed_site.venv / SHARE
    sources = [p for p in (REPO / "etc").rglob("*") if p.is_file()]
    for path in sources:
        copy = shipped / path.relative_to(REPO / "etc")
        assert copy.is_file(), f"{path.relative_to(REPO)} is not installed"
        assert copy.read_bytes() == path.read_bytes()
    names = {str(p.relative_to(REPO / "etc")) for p in sources}
    assert {"sysusers.d/quantum-zvm.conf", "quantum/rootwrap.conf",
            "quantum/rootwrap.d/zvm-agent.filters", "quantum/plugins/zvm/zvm_quantum_plugin.ini",
            "quantum/plugins/zvm/zvm_quantum_plugin.ini.sample",
            *(f"systemd/system/{unit}" for unit in UNITS)} <= names


def test_the_package_has_its_license_and_metadata(installed_site: InstalledSite,
                                                  empty_dir: Path):
    code = ("import importlib.metadata as m, json; d = m.distribution('quantum-zvm'); "
            "md = d.metadata; print(json.dumps({'license': md.get('License-Expression') "
            "or md.get('License'), 'summary': md['Summary'], 'python': md['Requires-Python'], "
            "'classifiers': md.get_all('Classifier'), 'extras': md.get_all('Provides-Extra'), "
            "'files': [str(d.locate_file(f)) for f in d.files if f.name == 'LICENSE']}))")
    result = run(installed_site, empty_dir, str(installed_site.python), "-c", code)
    assert result.returncode == 0, result.stderr
    meta = json.loads(result.stdout)
    assert meta["license"] == "Apache-2.0"
    assert meta["python"] == ">=3.11"
    assert "z/VM" in meta["summary"]
    assert {"postgresql", "mysql", "keystone"} <= set(meta["extras"])
    assert "Environment :: OpenStack" in meta["classifiers"]
    (license_file,) = meta["files"]
    assert Path(license_file).read_bytes() == (REPO / "LICENSE").read_bytes()
    license_text = (REPO / "LICENSE").read_text()
    assert "Apache License\n                           Version 2.0" in license_text


def systemd_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        unavailable(f"{name} is not installed (Debian package systemd)")
    return str(path)


@pytest.fixture(scope="module")
def site_root(installed_site: InstalledSite) -> Path:
    """The site root with the shipped files copied to /etc as the README says, the
    quantum user created by the shipped sysusers.d file, and the distribution's own
    systemd units (the targets ours refer to)."""
    root = installed_site.root
    (root / "etc").mkdir(exist_ok=True)
    readme = (REPO / "README.md").read_text()
    for command in README_COMMANDS:
        assert command in readme, f"the README no longer says: {command}"
    copy, sysusers = [command.replace(" /", f" {root}/").split() for command in README_COMMANDS]
    result = subprocess.run(copy, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    result = subprocess.run([systemd_tool(sysusers[0]), f"--root={root}", *sysusers[1:]],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    system_units = Path("/usr/lib/systemd/system")
    shutil.copytree(system_units, root / "usr/lib/systemd/system", symlinks=True,
                    dirs_exist_ok=True)
    return root


def test_the_shipped_sysusers_file_creates_the_service_user(site_root: Path):
    users = {line.split(":")[0]: line.split(":")
             for line in (site_root / "etc/passwd").read_text().splitlines()}
    groups = {line.split(":")[0] for line in (site_root / "etc/group").read_text().splitlines()}
    user = users["quantum"]
    assert "quantum" in groups
    assert user[5:] == ["/var/lib/quantum-zvm", "/usr/sbin/nologin"]
    assert 0 < int(user[2]) < 1000  # a system user


@pytest.mark.parametrize("unit", UNITS)
def test_the_installed_units_verify_and_are_hardened(site_root: Path, unit: str):
    analyze = systemd_tool("systemd-analyze")
    text = (site_root / "etc/systemd/system" / unit).read_text()
    assert "User=quantum\n" in text and "Group=quantum\n" in text
    commands = re.findall(r"^Exec\w+=(\S+)", text, re.M)
    assert commands and all(c.startswith("/opt/quantum-zvm/bin/") for c in commands)
    verify = subprocess.run([analyze, "verify", f"--root={site_root}", unit],
                            capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0 and not verify.stdout + verify.stderr, \
        verify.stdout + verify.stderr
    security = subprocess.run([analyze, "security", "--offline=yes", f"--root={site_root}",
                               "--threshold=40", "--no-pager", unit],  # tenths: 4.0
                              capture_output=True, text=True, timeout=60)
    exposure = re.search(r"Overall exposure level for \S+: ([\d.]+)", security.stdout)
    assert exposure, security.stdout + security.stderr
    assert security.returncode == 0 and float(exposure.group(1)) <= 4.0, security.stdout


# ------------------------------------------------------------------ root_helper / rootwrap

def test_the_shipped_rootwrap_filters_allow_no_command(installed_site: InstalledSite,
                                                       site_root: Path, tmp_path: Path):
    """The agent runs no local privileged command (z/VM is reached through xCAT), so the
    shipped filters allow none: quantum-zvm-rootwrap refuses vmcp and anything else."""
    shipped = (site_root / "etc/quantum/rootwrap.conf").read_text()
    assert "filters_path=/etc/quantum/rootwrap.d" in shipped
    conf = tmp_path / "rootwrap.conf"
    conf.write_text(shipped.replace("filters_path=/etc/quantum/rootwrap.d",
                                    f"filters_path={site_root}/etc/quantum/rootwrap.d"))
    filters = site_root / "etc/quantum/rootwrap.d/zvm-agent.filters"
    assert [line for line in filters.read_text().splitlines()
            if line.strip() and not line.startswith("#")] == ["[Filters]"]
    for argv in (["vmcp", "q", "v", "nic"], ["/bin/true"], ["sh", "-c", "id"]):
        result = subprocess.run([installed_site.bin("quantum-zvm-rootwrap"), str(conf), *argv],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 99, result.stdout + result.stderr  # RC_UNAUTHORIZED
        assert "Unauthorized command" in result.stderr
