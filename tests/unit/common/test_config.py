"""Loading and validating zvm_quantum_plugin.ini files."""
import sys
import textwrap

import pytest

from quantum_zvm.common import config
from tests.fixtures.procs import REPO

SEED = REPO / "etc/quantum/plugins/zvm/zvm_quantum_plugin.ini"


def write(tmp_path, text, name="zvm.ini"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def problems_of(tmp_path, text, role="server"):
    """Write ``text`` as an ini, load it for ``role``: its path and the problems' texts."""
    path = write(tmp_path, text)
    _, problems = config.load(["--config-file", path], "test", role=role)
    return path, [str(p) for p in problems]


def test_seed_example_loads_unchanged_and_means_what_it_says():
    conf, problems = config.load(["--config-file", str(SEED)], "test")
    assert problems == []
    assert conf.DATABASE.sql_connection == "mysql://root:yourpass@localhost/ovs_quantum?charset=utf8"
    assert conf.DATABASE.reconnect_interval == 2
    assert conf.AGENT.polling_interval == 2
    assert conf.AGENT.zvm_xcat_username == "root"
    assert conf.AGENT.zvm_xcat_password == "yourpass"
    assert conf.AGENT.zvm_xcat_server == "192.168.0.13"
    assert conf.AGENT.root_helper == (
        "sudo /opt/quantum-zvm/bin/quantum-zvm-rootwrap /etc/quantum/rootwrap.conf")
    assert config.vswitch_mappings(conf) == {"VSW1": [(1000, 2000)]}
    assert conf.AGENT.xcat_zhcp_nodename == "zhcp1"
    assert conf.AGENT.zvm_xcat_verify is True
    assert conf.bind_port == 9696


def test_network_vlan_ranges_alias(tmp_path):
    path = write(tmp_path, """
        [OVS]
        network_vlan_ranges = physnet1:100:199,physnet2
        """)
    conf, problems = config.load(["--config-file", path], "test", role="server")
    assert problems == []
    assert config.vswitch_mappings(conf) == {"PHYSNET1": [(100, 199)], "PHYSNET2": []}


def test_later_file_overrides_earlier(tmp_path):
    first = write(tmp_path, "[AGENT]\npolling_interval = 5\n", "a.ini")
    second = write(tmp_path, "[AGENT]\npolling_interval = 7\n", "b.ini")
    conf, _ = config.load(["--config-file", first, "--config-file", second], "test", role="server")
    assert conf.AGENT.polling_interval == 7


def test_rdev_sections_in_any_case(tmp_path):
    path = write(tmp_path, """
        [AGENT]
        vswitch_mappings = vsw1:1:9,Vsw2
        [vsw1]
        rdev_list = 600,6003
        [VSW2]
        rdev_list = a
        """)
    conf, problems = config.load(["--config-file", path], "test", role="server")
    assert problems == []
    assert config.vswitch_rdevs(conf, "VSW1") == ["0600", "6003"]
    assert config.vswitch_rdevs(conf, "VSW2") == ["000A"]


def test_problems_name_file_section_option_and_reason(tmp_path):
    path = write(tmp_path, """
        [DEFAULT]
        base_mac = 01:00:00:00:00:00
        [DATABASE]
        sql_connection = oracle://x
        [AGENT]
        polling_interval = soon
        vswitch_mappings = vsw1:10:5,vsw1
        xcat_mgt_ip = 10.0.0.300
        zvm_xcat_server = ftp://mn.example.com
        dhcp_userid = SYSTEM
        xcat_zhcp_nodename = zhcp1
        ssi_zhcp_nodes = zhcp2,zhcp1
        [VSW1]
        rdev_list = 12345
        """)
    _, problems = config.load(["--config-file", path], "test")
    found = {(p.section, p.option): p for p in problems}
    assert all(p.file == path for p in problems if p.option not in (
        "zvm_xcat_username", "zvm_xcat_password", "xcat_mgt_mask"))
    assert "multicast" in found[("DEFAULT", "base_mac")].reason
    assert "sqlite://, mysql:// or postgresql://" in found[("DATABASE", "sql_connection")].reason
    assert "soon" in found[("AGENT", "polling_interval")].reason
    assert "greater than vlan_max" in found[("AGENT", "vswitch_mappings")].reason
    assert "not an IPv4 address" in found[("AGENT", "xcat_mgt_ip")].reason
    assert "set together" in found[("AGENT", "xcat_mgt_mask")].reason
    assert "reserved" in found[("AGENT", "dhcp_userid")].reason
    assert found[("AGENT", "ssi_zhcp_nodes")].reason == \
        "'zhcp1' is this agent's own zHCP (xcat_zhcp_nodename)"
    assert "unsupported scheme 'ftp'" in found[("AGENT", "zvm_xcat_server")].reason
    assert found[("AGENT", "zvm_xcat_username")].reason == "required by the agent but not set"
    assert str(found[("AGENT", "polling_interval")]).startswith(
        f"{path}: [AGENT] polling_interval: ")


def test_server_role_does_not_need_xcat(tmp_path):
    _, problems = problems_of(tmp_path, "[AGENT]\nvswitch_mappings = vsw1:1:10\n")
    assert problems == []


def test_agent_needs_a_vswitch(tmp_path):
    _, problems = problems_of(tmp_path, """
        [AGENT]
        zvm_xcat_server = x
        zvm_xcat_username = u
        zvm_xcat_password = p
        """, role="agent")
    # Unset in every file: the problem names no file.
    assert problems == ["<default>: [AGENT] vswitch_mappings: no vswitch is configured"]


def test_missing_file_is_one_problem(tmp_path):
    _, problems = config.load(["--config-file", str(tmp_path / "nope.ini")], "test")
    assert len(problems) == 1
    assert "nope.ini" in problems[0].file
    assert "not found" in problems[0].reason


def test_unparseable_file_names_the_file(tmp_path):
    path = write(tmp_path, "[AGENT\npolling_interval = 2\n")
    _, problems = config.load(["--config-file", path], "test")
    assert len(problems) == 1 and problems[0].file == path
    assert "cannot parse" in problems[0].reason


def test_default_database_is_sqlite_under_state_path(tmp_path):
    path = write(tmp_path, f"[DEFAULT]\nstate_path = {tmp_path}/state\n")
    conf, _ = config.load(["--config-file", path], "test", role="server")
    assert config.sql_connection(conf) == f"sqlite:///{tmp_path}/state/quantum_zvm.sqlite"


def test_load_or_exit_exits_2(tmp_path, capsys):
    path = write(tmp_path, "[AGENT]\npolling_interval = 0\n")
    with pytest.raises(SystemExit) as info:
        config.load_or_exit(["--config-file", path], "quantum-zvm-test", role="server")
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"{path}: [AGENT] polling_interval:" in err


@pytest.mark.parametrize("url, driver", [
    ("mysql+mysqldb://u:p@h/d", "mysqldb"),
    ("postgresql+psycopg://u@h/d", "psycopg"),
    ("mysql+mysqlconnector://u:p@h/d", "mysqlconnector"),
])
def test_database_drivers_that_block_eventlet_are_refused(tmp_path, url, driver):
    """The server runs under eventlet: a driver waiting in C (mysqlclient, psycopg 3) stops
    every request while one query waits for a lock."""
    path, problems = problems_of(tmp_path, f"[DATABASE]\nsql_connection = {url}\n")
    (problem,) = problems
    assert problem.startswith(f"{path}: [DATABASE] sql_connection: driver {driver!r} ")
    assert "mysql:// (PyMySQL) or postgresql:// (psycopg2)" in problem


@pytest.mark.parametrize("url", ["mysql://u:p@h/d", "mysql+pymysql://u:p@h/d",
                                 "postgresql://u@h/d", "postgres://u@h/d",
                                 "postgresql+psycopg2://u@h/d", "sqlite:////tmp/x.sqlite"])
def test_cooperative_database_urls_are_accepted(tmp_path, url):
    _, problems = problems_of(tmp_path, f"[DATABASE]\nsql_connection = {url}\n")
    assert problems == []



def test_a_driver_not_installed_names_its_extra_for_the_server_only(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pymysql", None)  # import pymysql fails
    text = "[DATABASE]\nsql_connection = mysql://u:p@h/d\n"
    path, problems = problems_of(tmp_path, text)
    (problem,) = problems
    assert problem.startswith(f"{path}: [DATABASE] sql_connection: the pymysql driver is "
                              "not installed (")
    assert problem.endswith(": pip install 'quantum-zvm[mysql]'")
    _, agent = problems_of(tmp_path, text, role="agent")  # agents open no database
    assert not [p for p in agent if "sql_connection" in p]

def test_a_vswitch_section_naming_no_mapped_vswitch_is_an_error(tmp_path):
    path, problems = problems_of(tmp_path, """
        [AGENT]
        vswitch_mappings = vsw1:100:199
        [VSW2]
        rdev_list = 6000
        [keystone_authtoken]
        auth_url = http://keystone:5000
        """)
    assert problems == [
        f"{path}: [VSW2] rdev_list: VSW2 is not a vswitch of [AGENT] vswitch_mappings "
        "(VSW1); a per-vswitch section must name one"]


def test_two_spellings_of_one_vswitch_section_in_a_file_conflict(tmp_path):
    path, problems = problems_of(tmp_path, """
        [AGENT]
        vswitch_mappings = vsw1:100:199
        [VSW1]
        rdev_list = 6000
        [vsw1]
        rdev_list = 7000
        """)
    assert problems == [
        f"{path}: [vsw1] rdev_list: [VSW1] and [vsw1] are one section (names ignore case); "
        "write it once"]


def test_a_later_file_may_override_a_vswitch_section(tmp_path):
    first = write(tmp_path, "[AGENT]\nvswitch_mappings = vsw1\n[VSW1]\nrdev_list = 6000\n",
                  "a.ini")
    second = write(tmp_path, "[vsw1]\nrdev_list = 7000\n", "b.ini")
    conf, problems = config.load(["--config-file", first, "--config-file", second], "test",
                                 role="server")
    assert problems == []
    assert config.vswitch_rdevs(conf, "VSW1") == ["7000"]


@pytest.mark.parametrize("line, problem", [
    ("transport_url = rabbit://u:p@:5672/",
     "[DEFAULT] transport_url: empty host in ':5672'"),
    ("transport_url = kafka://h", "[DEFAULT] transport_url: unsupported scheme 'kafka' "
                                  "(use rabbit://, amqp:// or embedded://)"),
    ("rabbit_hosts = mq1:x", "[DEFAULT] rabbit_hosts: bad port 'x' in 'mq1:x'"),
    ("rabbit_host = :5672", "[DEFAULT] rabbit_host: empty host in ':5672'"),
])
@pytest.mark.parametrize("role", ["server", "agent"])
def test_an_unusable_transport_names_file_and_option(tmp_path, line, problem, role):
    """Every command finds it at load, not a server after its database check."""
    path, problems = problems_of(tmp_path, f"[DEFAULT]\n{line}\n[AGENT]\n"
                                           "vswitch_mappings = vsw1\nzvm_xcat_server = mn\n"
                                           "zvm_xcat_username = u\nzvm_xcat_password = p\n",
                                 role=role)
    assert problems == [f"{path}: {problem}"]


def test_a_bad_rabbit_port_is_reported_once(tmp_path):
    path, problems = problems_of(tmp_path, "[DEFAULT]\nrabbit_host = mq\nrabbit_port = x\n")
    (problem,) = problems
    assert problem.startswith(f"{path}: [DEFAULT] rabbit_port: ")
