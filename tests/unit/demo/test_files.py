"""The demo's configuration file is valid for every role and says what the demo promises."""
from __future__ import annotations

from pathlib import Path

from quantum_zvm.common import config
from quantum_zvm.demo import files


def load(tmp_path: Path, ca_file: Path | None):
    path = tmp_path / "zvm_quantum_plugin.ini"
    path.write_text(files.plugin_ini(tmp_path, 19696, "https://127.0.0.1:18443", ca_file))
    conf, problems = config.load(["--config-file", str(path)], "test", role="all")
    assert problems == []
    return conf


def test_plugin_ini_is_valid_with_embedded_defaults(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    conf = load(tmp_path, ca)
    assert config.sql_connection(conf) == f"sqlite:///{tmp_path}/quantum_zvm.sqlite"
    assert conf.transport_url == "embedded://"
    assert (conf.bind_host, conf.bind_port, conf.state_path) == ("127.0.0.1", 19696,
                                                                 str(tmp_path))
    agent = conf.AGENT
    assert (agent.zvm_xcat_server, agent.zvm_xcat_username, agent.zvm_xcat_password) == (
        "https://127.0.0.1:18443", "root", "cluster")
    assert agent.zvm_xcat_ca_file == str(ca) and agent.zvm_xcat_verify
    assert (agent.xcat_zhcp_nodename, agent.host, agent.dhcp_userid) == (
        "zhcp1", "zvmhost1", "DHCPAGT")
    assert config.vswitch_mappings(conf) == {"VSW1": [(100, 199)], "FLATSW": []}
    assert config.vswitch_rdevs(conf, "VSW1") == ["6000"]
    assert config.vswitch_rdevs(conf, "FLATSW") == ["6200"]


def test_plugin_ini_without_tls_has_no_ca_file(tmp_path):
    conf = load(tmp_path, None)
    assert conf.AGENT.zvm_xcat_ca_file is None
