"""Transport selection: transport_url, legacy rabbit_* options, embedded default."""
import pytest

from quantum_zvm.common import config
from quantum_zvm.rpc import transport
from quantum_zvm.rpc.transport import BrokerHost


def _conf(tmp_path, *lines):
    path = tmp_path / "q.ini"
    options = "\n".join(lines)
    path.write_text(f"[DEFAULT]\nstate_path = {tmp_path}\n{options}\n")
    conf, problems = config.load(["--config-file", str(path)], "test", role="server")
    assert problems == []
    return conf


def test_url_with_failover_hosts_credentials_and_vhost():
    s = transport.parse_transport_url("rabbit://u1:p%40ss@h1:5673,u2:x@[::1]:5674,h3/my%2Fvh")
    assert s.kind == "rabbit" and s.virtual_host == "my/vh"
    assert s.hosts == (BrokerHost("h1", 5673, "u1", "p@ss"), BrokerHost("::1", 5674, "u2", "x"),
                       BrokerHost("h3", 5672, "guest", "guest"))


def test_url_without_vhost_uses_slash_and_describe_hides_passwords():
    s = transport.parse_transport_url("amqp://user:secret@host:5672/")
    assert s.virtual_host == "/"
    assert "secret" not in s.describe() and "user@host:5672" in s.describe()
    assert "secret" not in repr(s)


@pytest.mark.parametrize("url, words", [("kafka://h", "unsupported scheme"),
                                        ("rabbit://h:99999/", "bad port"),
                                        ("rabbit://u:p@/", "host is missing")])
def test_bad_urls_name_the_option(url, words):
    with pytest.raises(transport.TransportConfigError) as info:
        transport.parse_transport_url(url)
    assert "transport_url" in str(info.value) and words in str(info.value)


def test_embedded_url_with_and_without_directory(tmp_path):
    assert transport.parse_transport_url("embedded://", str(tmp_path)).directory == \
        str(tmp_path / "rpc")
    assert transport.parse_transport_url("embedded:///srv/q").directory == "/srv/q"


def test_nothing_configured_means_embedded_under_state_path(tmp_path):
    s = transport.settings_from_conf(_conf(tmp_path))
    assert s.embedded and s.directory == str(tmp_path / "rpc")


def test_legacy_rabbit_hosts(tmp_path):
    conf = _conf(tmp_path, "rabbit_hosts = a:5001,b", "rabbit_port = 5002",
                 "rabbit_userid = u", "rabbit_password = pw", "rabbit_virtual_host = vh")
    s = transport.settings_from_conf(conf)
    assert s.hosts == (BrokerHost("a", 5001, "u", "pw"), BrokerHost("b", 5002, "u", "pw"))
    assert s.virtual_host == "vh"


def test_legacy_rabbit_host(tmp_path):
    s = transport.settings_from_conf(_conf(tmp_path, "rabbit_host = mq", "rabbit_port = 5999"))
    assert s.hosts == (BrokerHost("mq", 5999, "guest", "guest"),)


def test_transport_url_wins_over_legacy_options(tmp_path):
    conf = _conf(tmp_path, "rabbit_host = mq", "transport_url = rabbit://x:y@other:1234/")
    assert transport.settings_from_conf(conf).hosts == (BrokerHost("other", 1234, "x", "y"),)


def test_rabbit_connection_lists_every_host_for_failover():
    s = transport.parse_transport_url("rabbit://u:p@h1:1,u:p@h2:2/")
    conn = transport.Transport(s).connection()
    assert conn.alt == ["amqp://u:p@h1:1/%2F", "amqp://u:p@h2:2/%2F"]
    assert conn.hostname == "h1" and conn.virtual_host == "/"


def test_backoff_grows_to_a_maximum():
    b = transport.Backoff(start=1, step=2, maximum=6)
    assert [b.delay(n) for n in range(5)] == [1, 3, 5, 6, 6]
