"""quantum-zvm-nic finds the API from the configuration unless --quantum-url says otherwise."""
import pytest

from quantum_zvm import nic_cli
from quantum_zvm.common import config


@pytest.mark.parametrize("bind_host, url", [
    ("127.0.0.1", "http://127.0.0.1:9797"),
    ("0.0.0.0", "http://127.0.0.1:9797"),
    ("::", "http://[::1]:9797"),
    ("fd00::5", "http://[fd00::5]:9797"),
    ("api.example.com", "http://api.example.com:9797"),
])
def test_api_url_from_bind_host_and_bind_port(tmp_path, bind_host, url):
    ini = tmp_path / "zvm.ini"
    ini.write_text(f"[DEFAULT]\nbind_host = {bind_host}\nbind_port = 9797\n")
    conf, problems = config.load(["--config-file", str(ini), "list", "--userid", "LINUX01"],
                                 "test", cli_opts=nic_cli.CLI_OPTS, role=None)
    assert problems == []
    assert nic_cli.api_url(conf) == url


def test_quantum_url_overrides_the_configuration(tmp_path):
    ini = tmp_path / "zvm.ini"
    ini.write_text("[DEFAULT]\nbind_port = 9797\n")
    conf, _ = config.load(["--config-file", str(ini), "--quantum-url", "https://q:9696",
                           "list", "--userid", "LINUX01"], "test", cli_opts=nic_cli.CLI_OPTS,
                          role=None)
    assert nic_cli.api_url(conf) == "https://q:9696"
