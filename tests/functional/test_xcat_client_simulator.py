"""The xCAT client layer against the xcat-zvm-simulator over real HTTP and HTTPS.

Each test starts ``xcat-zvm-simulator`` as a process on a free loopback port
(tests/fixtures/simulator.py), drives it only through our client and reads
the simulator's own counters through its ``/_sim`` control plane, so request
counts, connection counts and fault mappings are observed from the server's
side.
"""
from __future__ import annotations

import time

import pytest
import trustme

from tests.fixtures.procs import wait_for
from xcat import batch, smcli, smcli_parsers, tables
from xcat.client import XcatClient
from xcat.errors import (
    CommandError,
    NodeUnreachableError,
    SmapiError,
    XcatAuthError,
    XcatConnectionError,
    XcatRequestError,
    XcatResponseError,
    XcatTimeoutError,
    XcatTLSError,
)
from xcat.outcomes import Outcome

USER, PASSWORD = "root", "cluster"   # the bundled scenario's REST credentials
ZHCP = "zhcp1"


@pytest.fixture
def sim(simulator):
    return simulator


@pytest.fixture
def tls_sim(simulator_factory, tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file, ca_file = (tmp_path / "cert.pem", tmp_path / "key.pem",
                                    tmp_path / "ca.pem")
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    return simulator_factory(tls=(cert_file, key_file), verify=str(ca_file))


def counters(server):
    return server.control.counters()


def faults(server, *rules):
    for rule in rules:
        server.control.fault(**rule)


def client_for(server, **kwargs) -> XcatClient:
    kwargs.setdefault("retries", 2)
    kwargs.setdefault("backoff", 0.01)
    kwargs.setdefault("timeout", (5.0, 20.0))
    if server.url.startswith("https") and "verify" not in kwargs:
        kwargs["verify"] = server.verify
    return XcatClient(server.url, kwargs.pop("username", USER), kwargs.pop("password", PASSWORD),
                      **kwargs)


# -- connections --------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_connection_accounting_and_keep_alive(request, scheme):
    server = request.getfixturevalue("sim" if scheme == "http" else "tls_sim")
    with client_for(server) as client:
        for _ in range(8):
            tables.tabdump(client, "switch")
        opened = client.connections_opened
        assert client.counters.requests == 8
    seen = counters(server)
    assert seen["rest"]["total"] == 8
    # Our count of TCP (and TLS) connections is the server's, minus the control call's own.
    assert opened == seen["connections"] - 1
    assert opened == 1


def test_credentials_in_headers_are_accepted_and_wrong_ones_refused(sim):
    with client_for(sim) as client:
        assert tables.gettab(client, "site", "key", "master", "value") == "10.1.0.1"
    with client_for(sim, password="wrong") as client, pytest.raises(XcatAuthError) as info:
        tables.tabdump(client, "switch")
    assert info.value.status == 401 and "wrong" not in str(info.value)
    with client_for(sim, credentials_in_query=True) as client:
        assert tables.gettab(client, "zvm", "node", "linux01", "userid") == "LINUX01"


def test_untrusted_certificate_is_reported(tls_sim):
    with client_for(tls_sim, verify=True) as client, pytest.raises(XcatTLSError):
        tables.tabdump(client, "switch")
    assert counters(tls_sim)["rest"]["total"] == 0


# -- tables ---------------------------------------------------------------------------------------
def test_tables_round_trip_with_many_rows_in_one_mn_script(sim):
    with client_for(sim) as client:
        for i in range(3):
            tables.add_nic_rows(client, f"linux0{i + 1}", f"{0x1000 + 3 * i:04X}",
                                f"fa:16:3e:00:00:0{i}", f"port-{i}", ZHCP)
        before = counters(sim)["rest"]["total"]
        rows = tables.switch_handoff_rows(client, ZHCP)
        assert sorted(r.port for r in rows) == ["port-0", "port-1", "port-2"]
        written = tables.set_switch_binding(client, [(r.port, "VSW1", 100 + i)
                                                     for i, r in enumerate(rows)], mn_node="xcat")
        assert written == 3
        assert counters(sim)["rest"]["total"] - before == 2   # one GET + one dsh on the MN
        bound = {r.port: (r.switch, r.vlan) for r in tables.switch_handoff_rows(client, ZHCP)}
        assert set(bound.values()) == {("VSW1", "100"), ("VSW1", "101"), ("VSW1", "102")}
        assert tables.gettab(client, "switch", "port", "port-1", ["node", "interface"]) == \
            {"node": "linux02", "interface": "1003"}
        tables.remove_node_rows(client, "linux01")
        assert "port-0" not in {r.port for r in tables.dump(client, tables.SwitchRow)}
        assert [m.node for m in tables.dump(client, tables.MacRow)].count("linux01") == 0


def test_a_table_read_again_unchanged_is_not_parsed_again_and_a_change_is_seen(sim):
    """read_table gives back the last Dump itself (one request, the same list of lines)
    while the reply's body is the same, and a new Dump once a row changes."""
    with client_for(sim) as client:
        tables.add_nic_rows(client, "linux01", "1000", "fa:16:3e:00:00:01", "port-1", ZHCP)
        first = tables.read_table(client, "switch")
        before = counters(sim)["rest"]["total"]
        again = tables.read_table(client, "switch", first)
        assert again is first and counters(sim)["rest"]["total"] - before == 1
        tables.set_switch_binding(client, [("port-1", "VSW1", 100)], mn_node="xcat")
        changed = tables.read_table(client, "switch", first)
        assert changed is not first and changed.lines != first.lines
        assert changed.lines == tables.tabdump_lines(client, "switch")
        assert {r.port: (r.switch, r.vlan) for r in tables.switch_handoff_rows(client, ZHCP)} \
            == {"port-1": ("VSW1", "100")}
        # another table's reply is never taken for it
        assert tables.read_table(client, "zvm", first).lines[0].startswith("#node")


def test_a_table_read_after_a_row_was_added_parses_only_that_row(sim):
    """read_table with the last Dump, after a row was added and one changed: the dump
    says what changed as an edit of the last one's lines (only the rows around the
    change parsed), and its lines, made into strings when read, are those of a whole
    tabdump."""
    with client_for(sim) as client:
        for i in range(50):
            tables.add_nic_rows(client, f"linux{i:02d}", "1000", f"fa:16:3e:00:00:{i:02x}",
                                f"port-{i}", ZHCP)
        first = tables.read_table(client, "switch")
        tables.add_nic_rows(client, "linux99", "1000", "fa:16:3e:00:01:00", "port-99", ZHCP)
        added = tables.read_table(client, "switch", first)
        edit = added.edit_from(first.lines)
        assert edit is not None and len(edit.added) <= 2 and "port-99" in edit.added[-1]
        assert edit.removed == edit.added[:-1] and edit.kept_after == 0
        assert added.lines == tables.tabdump_lines(client, "switch")
        assert len(added.lines) == len(first.lines) + 1
        tables.set_switch_binding(client, [("port-20", "VSW1", 100)], mn_node="xcat")
        changed = tables.read_table(client, "switch", added)
        edit = changed.edit_from(added.lines)
        assert edit is not None and len(edit.removed) == len(edit.added) <= 3
        assert [line for line in edit.added if "port-20" in line] == \
            [line for line in tables.tabdump_lines(client, "switch") if "port-20" in line]
        assert changed.lines == tables.tabdump_lines(client, "switch")


# -- dsh and batches -------------------------------------------------------------------------------
def test_batch_of_smcli_commands_in_one_request(sim):
    with client_for(sim) as client:
        commands = [
            smcli.vswitch_create_extended("ZHCP", "VSW1", vlan=1, port_type="ACCESS"),
            smcli.vswitch_create_extended("ZHCP", "VSW1", vlan=1, port_type="ACCESS"),
            smcli.vswitch_grant("VSW1", "LINUX01", vlans=100),
            smcli.image_definition_update_dm("LINUX01", [smcli.NicDef(
                "1000", macid="000001", lan_owner="SYSTEM", lan_name="VSW1")]),
            smcli.adapter_create("LINUX01", "1000"),
            smcli.adapter_connect_vswitch("LINUX01", "1000", "VSW1"),
            smcli.adapter_connect_vswitch("LINUX01", "1000", "VSW1"),
            smcli.adapter_connect_vswitch("LINUX04", "1000", "VSW1"),      # logged off
            smcli.adapter_connect_vswitch("LINUX02", "1000", "NOSUCH"),
            ["echo", "QZVM0000:9:0"],                                       # marker look-alike
            smcli.vswitch_query_extended("ZHCP", "VSW1"),
        ]
        before = counters(sim)
        outcomes = batch.run_batch(client, ZHCP, commands)
        after = counters(sim)
    assert after["rest"]["total"] - before["rest"]["total"] == 1
    assert [o.outcome for o in outcomes] == [
        Outcome.OK, Outcome.ALREADY_DONE, Outcome.OK, Outcome.OK, Outcome.OK, Outcome.OK,
        Outcome.ALREADY_DONE, Outcome.INACTIVE, Outcome.FAILED, Outcome.OK, Outcome.OK]
    assert outcomes[8].error.code == (204, 8)  # LINUX02 has no active NIC 1000
    assert outcomes[9].stdout_lines == ["QZVM0000:9:0"]
    (vsw,) = smcli_parsers.parse_vswitch_query_extended(outcomes[10].stdout_lines)
    assert vsw.grant_for("LINUX01").vlan_ids == [100]
    assert [(c.owner, c.vdev) for c in vsw.connections] == [("LINUX01", "1000")]


def test_large_batches_split_and_survive_4k_chunking(sim):
    with client_for(sim) as client:
        commands = [smcli.vswitch_query("ZHCP", "XCATVSW2") for _ in range(120)]
        before = counters(sim)["rest"]["total"]
        outcomes = batch.run_batch(client, ZHCP, commands, batch_size=50, idempotent=True)
        assert counters(sim)["rest"]["total"] - before == 3
    assert all(o.ok for o in outcomes) and len(outcomes) == 120
    for outcome in outcomes:
        (vsw,) = smcli_parsers.parse_vswitch_query(outcome.stdout_lines)
        assert vsw.name == "XCATVSW2" and vsw.rdev_addresses == ["6100"]


def test_dsh_results_and_vmcp(sim):
    with client_for(sim) as client:
        info = smcli_parsers.parse_system_info(
            client.dsh(ZHCP, smcli.system_info_query(), check=True).stdout_lines)
        assert info.ipl_time == "2014-06-11 01:38:37 EDT"
        nics = smcli_parsers.parse_vmcp_query_nic(
            client.dsh("xcat", smcli.vmcp_query_nic(), check=True).stdout_lines)
        assert [(n.vdev, n.vswitch) for n in nics] == [("0600", "XCATVSW1"), ("0700", "XCATVSW2")]
        vmlan = smcli_parsers.parse_vmcp_query_vmlan(
            client.dsh("xcat", smcli.vmcp_query_vmlan(), check=True).stdout_lines)
        assert vmlan.user_prefix == "FA163E"
        failed = client.dsh(ZHCP, smcli.vswitch_query("ZHCP", "NOSUCH"))
        assert failed.exit_status == 1
        with pytest.raises(SmapiError) as exc:
            smcli_parsers.parse_vswitch_query(failed.stdout_lines)
        assert exc.value.code == (212, 40)
        with pytest.raises(CommandError):
            client.dsh(ZHCP, "nosuchcommand", check=True)


# -- every fault kind ------------------------------------------------------------------------------
def test_http_error_retried_for_reads_not_for_dsh(sim):
    faults(sim, {"kind": "http_error", "status": 503, "count": 2, "match": {"resource": "tables"}})
    with client_for(sim, retries=3) as client:
        assert tables.tabdump(client, "switch") is not None
        assert client.counters.snapshot()["retries"] == 2
        faults(sim, {"kind": "http_error", "status": 503, "count": 1,
                     "match": {"resource": "nodes/dsh"}})
        before = counters(sim)["rest"]["total"]
        with pytest.raises(XcatRequestError) as info:
            client.dsh(ZHCP, smcli.system_info_query())
        assert info.value.status == 503
        assert counters(sim)["rest"]["total"] - before == 1


def test_non_json_body_is_a_response_error(sim):
    faults(sim, {"kind": "non_json", "count": 1})
    with client_for(sim, retries=0) as client, pytest.raises(XcatResponseError, match="not JSON"):
        tables.tabdump(client, "switch")


def test_truncated_body_is_a_connection_error_and_reads_retry(sim):
    faults(sim, {"kind": "truncate", "count": 1, "match": {"table": "switch"}})
    with (client_for(sim, retries=0) as client,
          pytest.raises((XcatConnectionError, XcatResponseError))):
        tables.tabdump(client, "switch")
    faults(sim, {"kind": "truncate", "count": 1, "match": {"table": "switch"}})
    with client_for(sim, retries=1) as client:
        assert tables.tabdump(client, "switch") is not None


def test_reset_is_a_connection_error_and_dsh_is_not_repeated(sim):
    faults(sim, {"kind": "reset", "count": 1})
    with client_for(sim, retries=3) as client:
        before = counters(sim)["smcli"]["total"]
        with pytest.raises(XcatConnectionError) as info:
            client.dsh(ZHCP, smcli.system_info_query())
        assert info.value.request_sent
        assert counters(sim)["smcli"]["total"] == before
        faults(sim, {"kind": "reset", "count": 1})
        assert tables.tabdump(client, "switch") is not None


def test_timeout_is_a_timeout_error(sim):
    faults(sim, {"kind": "timeout", "seconds": 2, "count": 1})
    with (client_for(sim, retries=0, timeout=(5.0, 0.5)) as client,
          pytest.raises(XcatTimeoutError)):
        client.dsh(ZHCP, smcli.system_info_query())


@pytest.mark.parametrize("mode, error", [("503", XcatRequestError),
                                         ("reset", XcatConnectionError)])
def test_outage_window(sim, mode, error):
    faults(sim, {"kind": "outage", "duration": 30, "mode": mode})
    with client_for(sim, retries=1) as client:
        with pytest.raises(error):
            tables.tabdump(client, "switch")
        sim.control.clear_faults()
        assert tables.tabdump(client, "switch") is not None


def test_probe_is_one_light_request_without_retry_or_long_wait(sim):
    with client_for(sim, retries=3, timeout=(5.0, 60.0)) as client:
        assert client.probe()
        for rule in ({"kind": "http_error", "status": 503, "count": 1},
                     {"kind": "reset", "count": 1},
                     {"kind": "timeout", "seconds": 3, "count": 1}):
            faults(sim, rule)
            started = time.monotonic()
            assert not client.probe(timeout=0.5)
            assert time.monotonic() - started < 2.0
        assert client.probe()
    wait_for(lambda: counters(sim)["rest"]["by_key"].get("GET version") == 5, timeout=10,
             what="one GET version per probe (the held one counts when it ends)")
    assert counters(sim)["smcli"]["total"] == 0


def test_injected_smapi_failure_reaches_the_outcome(sim):
    faults(sim, {"kind": "smapi", "function": "Virtual_Network_Vswitch_Set_Extended",
                 "userid": "LINUX01", "rc": 396, "rs": 2838, "count": 1})
    with client_for(sim) as client:
        outcomes = batch.run_batch(client, ZHCP, [
            smcli.vswitch_grant("XCATVSW2", "LINUX01"), smcli.vswitch_grant("XCATVSW2", "LINUX02")])
    assert outcomes[0].outcome is Outcome.FAILED
    assert outcomes[0].error.code == (396, 2838) and outcomes[0].error.target == "LINUX01"
    assert outcomes[1].ok


def test_unreachable_node(sim):
    faults(sim, {"kind": "dsh_unreachable", "node": ZHCP, "count": 2})
    with client_for(sim) as client:
        with pytest.raises(NodeUnreachableError):
            client.dsh(ZHCP, smcli.system_info_query(), check=True)
        with pytest.raises(NodeUnreachableError):
            batch.run_batch(client, ZHCP, [smcli.system_info_query()])
        assert client.dsh(ZHCP, smcli.system_info_query(), check=True).ok
