"""The quantum-zvm-check-config command, run as a real process."""
import subprocess

from tests.fixtures.procs import REPO, command

SEED = REPO / "etc/quantum/plugins/zvm/zvm_quantum_plugin.ini"
SAMPLE = REPO / "etc/quantum/plugins/zvm/zvm_quantum_plugin.ini.sample"


def run(*args):
    return subprocess.run([command("quantum-zvm-check-config"), *args],
                          capture_output=True, text=True, timeout=60)


def test_seed_example_is_ok_and_secrets_masked():
    result = run("--config-file", str(SEED))
    assert result.returncode == 0, result.stderr
    assert "configuration OK" in result.stdout
    assert "VSW1: VLAN aware, VLANs 1000-2000" in result.stdout
    assert "yourpass" not in result.stdout + result.stderr
    assert "zvm_xcat_password = ***" in result.stdout
    assert "sql_connection = mysql://root:***@localhost/ovs_quantum" in result.stdout


def test_problems_exit_2_with_every_problem(tmp_path):
    ini = tmp_path / "bad.ini"
    ini.write_text("[AGENT]\nvswitch_mappings = vsw1:5:1,,toolongname\npolling_interval = -1\n")
    result = run("--config-file", str(ini))
    assert result.returncode == 2
    lines = [line.strip() for line in result.stderr.splitlines()]
    polling = f"{ini}: [AGENT] polling_interval:"
    assert (f"{polling} Should be greater than or equal to 1" in " ".join(lines)
            or any(line.startswith(polling) for line in lines))
    mapping_lines = [line for line in lines if "[AGENT] vswitch_mappings" in line]
    assert len(mapping_lines) == 3
    assert "configuration OK" not in result.stdout


def test_role_agent_requires_xcat_options(tmp_path):
    ini = tmp_path / "server-only.ini"
    ini.write_text("[AGENT]\nvswitch_mappings = vsw1\n")
    assert run("--config-file", str(ini), "--role", "server").returncode == 0
    result = run("--config-file", str(ini), "--role", "agent")
    assert result.returncode == 2
    assert "[AGENT] zvm_xcat_server: required by the agent but not set" in result.stderr


def test_committed_sample_is_up_to_date(tmp_path):
    out = tmp_path / "sample.ini"
    subprocess.run([command("oslo-config-generator"), "--namespace", "quantum_zvm",
                    "--output-file", str(out)], check=True, capture_output=True, timeout=60)
    assert out.read_text() == SAMPLE.read_text(), (
        "etc/quantum/plugins/zvm/zvm_quantum_plugin.ini.sample is out of date: run "
        "oslo-config-generator --namespace quantum_zvm --output-file " + str(SAMPLE))


def test_no_config_file_is_said_first_even_with_problems(tmp_path):
    result = subprocess.run([command("quantum-zvm-check-config")], capture_output=True,
                            text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "quantum-zvm-check-config: no --config-file given; checking the defaults")
    server = subprocess.run([command("quantum-zvm-check-config"), "--role", "server"],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert server.returncode == 0, server.stderr
    assert "no --config-file given" in server.stderr.splitlines()[0]


def test_the_rpc_transport_in_effect_is_printed_and_embedded_warned_for_agents(tmp_path):
    ini = tmp_path / "zvm.ini"
    ini.write_text(f"[DEFAULT]\nstate_path = {tmp_path}\n[AGENT]\nvswitch_mappings = vsw1\n"
                   "zvm_xcat_server = mn\nzvm_xcat_username = u\nzvm_xcat_password = p\n")
    result = run("--config-file", str(ini))
    assert result.returncode == 0, result.stderr
    assert f"RPC transport in effect: embedded transport in {tmp_path}/rpc" in result.stdout
    assert ("warning: the agent would use the embedded transport (no broker): it reaches "
            "only a server on this host with the same state_path; set [DEFAULT] "
            "transport_url = rabbit://... on the server and every agent") in result.stderr
    server = run("--config-file", str(ini), "--role", "server")
    assert server.returncode == 0 and "warning" not in server.stderr

    ini.write_text(ini.read_text() + "[DEFAULT]\ntransport_url = rabbit://q:secret7@mq1:5673/\n")
    rabbit = run("--config-file", str(ini))
    assert rabbit.returncode == 0, rabbit.stderr
    assert "RPC transport in effect: rabbit://q@mq1:5673//" in rabbit.stdout
    assert "warning" not in rabbit.stderr and "secret7" not in rabbit.stdout + rabbit.stderr
