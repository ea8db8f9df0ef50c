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


@pytest.mark.parametrize("url", ["q:9696", "ftp://q:9696", "http://", "http://q:port",
                                 "controller:9696"])
def test_a_bad_quantum_url_exits_2_naming_the_option_before_any_request(tmp_path, capsys, url):
    ini = tmp_path / "zvm.ini"
    ini.write_text("[AGENT]\nvswitch_mappings = vsw1\nzvm_xcat_server = 127.0.0.1:1\n"
                   "zvm_xcat_username = u\nzvm_xcat_password = p\n")
    status = nic_cli.main(["--config-file", str(ini), "--quantum-url", url,
                           "list", "--userid", "LINUX01"])
    assert status == 2
    assert capsys.readouterr().err == (
        f"quantum-zvm-nic: --quantum-url: {url!r} is not an http:// or https:// URL with a "
        "host (e.g. http://controller:9696)\n")
