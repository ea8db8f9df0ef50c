"""quantum-zvm-server as a process: start-up checks, serving, clean stop."""
import signal
import subprocess
import threading

import requests

from tests.fixtures.procs import command, free_port, wait_for
from tests.fixtures.server import start_server, write_config


def run_server(config_path, timeout=60):
    return subprocess.run([command("quantum-zvm-server"), "--config-file", str(config_path)],
                          capture_output=True, text=True, timeout=timeout)


def test_refuses_a_database_that_is_behind(tmp_path):
    path, _ = write_config(tmp_path, free_port())
    result = run_server(path)
    assert result.returncode == 1
    assert "quantum-zvm-db-manage" in result.stderr and "upgrade head" in result.stderr
    assert str(path) in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_configuration_exits_2_naming_the_option(tmp_path):
    path, _ = write_config(tmp_path, free_port(), extra_ini="[DEFAULT]\nallow_bulk = perhaps\n")
    result = run_server(path)
    assert result.returncode == 2
    assert "[DEFAULT] allow_bulk" in result.stderr and str(path) in result.stderr


def test_keystone_without_keystonemiddleware_is_refused(tmp_path):
    try:
        import keystonemiddleware  # noqa: F401
        return  # the optional extra is installed: nothing to refuse
    except ImportError:
        pass
    server = start_server(tmp_path, extra_ini="[DEFAULT]\nauth_strategy = keystone\n",
                          wait=False)
    assert server.process.proc.wait(60) == 2
    assert "needs keystonemiddleware" in server.process.output()


def test_port_in_use_is_a_clear_error(api_server, tmp_path):
    path, url = write_config(tmp_path, api_server.port)
    from tests.fixtures.server import upgrade_database
    upgrade_database(url)
    result = run_server(path)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{api_server.port}" in result.stderr
    assert result.stderr.count("Address already in use") == 1, result.stderr
    # with a log file: said once on stderr and once in the log
    log_file = tmp_path / "server.log"
    result = subprocess.run([command("quantum-zvm-server"), "--config-file", str(path),
                             "--log-file", str(log_file)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert result.stderr.count("Address already in use") == 1, result.stderr
    assert log_file.read_text().count("Address already in use") == 1


def test_a_database_that_is_behind_is_said_once(tmp_path):
    path, _ = write_config(tmp_path, free_port())
    result = run_server(path)
    assert result.returncode == 1
    assert result.stderr.count("upgrade head") == 1, result.stderr


def test_sigterm_finishes_requests_in_flight_and_exits_0(tmp_path):
    server = start_server(tmp_path)
    session = requests.Session()
    assert session.get(f"{server.api}/networks", timeout=10).status_code == 200  # keep-alive
    results = []

    def create_many():
        for i in range(30):
            try:
                response = requests.post(f"{server.api}/networks",
                                         json={"network": {"name": f"n{i}"}}, timeout=10)
                results.append(response.status_code)
            except requests.ConnectionError:
                results.append("refused")
                return

    worker = threading.Thread(target=create_many)
    worker.start()
    wait_for(lambda: len(results) >= 3, timeout=30, what="some creates")
    server.process.proc.send_signal(signal.SIGTERM)
    assert server.process.proc.wait(30) == 0
    worker.join(30)
    # Requests were answered in full until the server stopped accepting; none failed.
    assert all(code in (201, "refused") for code in results), results
    output = server.process.output()
    assert "SIGTERM received, stopping" in output and "quantum-zvm-server stopped" in output
    server.stop()
