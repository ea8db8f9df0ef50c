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
    assert f"{ini}: [AGENT] polling_interval: Should be greater than or equal to 1" in " ".join(lines) \
        or any(line.startswith(f"{ini}: [AGENT] polling_interval:") for line in lines)
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
