"""The 2015 agent's call pattern (benchmarks/replay_2015.py) against a real
simulator process over HTTPS, counted by the simulator itself.

The simulator takes every call (HTTP 200, no smcli failure). Its end state
is the one its SMAPI model gives that sequence: the VLAN grant is the
second grant of a guest that already holds one, which takes the guest's
NICs on the vswitch down (reference zvm-smapi.md, erratum 4), so NIC 1000
is coupled in the directory but not in the running guest.
"""
from __future__ import annotations

import pytest
import trustme

from benchmarks.replay_2015 import VlanPort, replay_ipl_regrant, replay_vlan_ports

ZHCP_NODE, ZHCP_USERID = "zhcp1", "ZHCP"
USERIDS = ("R0000001", "R0000002", "R0000003")
VLANS = (101, 102, 103)
REST_PER_PORT, SMCLI_PER_PORT = 11, 5


@pytest.fixture
def tls_sim(simulator_factory, tmp_path):
    """A simulator behind TLS (the 2015 agent spoke HTTPS), 3 guests with NIC
    1000 in their directory, switch rows as nova-zvm wrote them, and a VLAN
    aware vswitch kept in SYSTEM CONFIG (so it survives an IPL)."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file, ca_file = (tmp_path / "cert.pem", tmp_path / "key.pem",
                                    tmp_path / "ca.pem")
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    sim = simulator_factory(tls=(cert_file, key_file), verify=str(ca_file))
    sim.control.add_vswitch("VSW1", transport="ETHERNET", vlan_aware=True, default_vid=1,
                            persistent=True)
    for userid in USERIDS:
        sim.control.add_guest(userid, userid.lower(), logged_on=True, autolog=True,
                              nicdefs=[{"vdev": "1000"}])
    sim.control.insert_rows("switch", [
        {"node": userid.lower(), "port": f"port-{userid}", "interface": "1000",
         "comments": ZHCP_NODE} for userid in USERIDS])
    sim.control.reset_counters()
    return sim


def ports() -> list[VlanPort]:
    return [VlanPort(f"port-{userid}", "VSW1", vlan)
            for userid, vlan in zip(USERIDS, VLANS, strict=True)]


def replay(sim) -> dict:
    return replay_vlan_ports(sim.url, sim.username, sim.password, ports(),
                             zhcp_node=ZHCP_NODE, zhcp_userid=ZHCP_USERID, verify=sim.verify)


def test_vlan_ports_take_11_requests_and_5_smcli_calls_each_on_new_connections(tls_sim):
    result = replay(tls_sim)
    counters = tls_sim.control.counters()
    n = len(USERIDS)

    assert result["failed_ports"] == {} and result["dsh_failed"] == 0
    assert result["rest_requests"] == counters["rest"]["total"] == REST_PER_PORT * n
    assert counters["rest"]["by_status"] == {"200": REST_PER_PORT * n}
    assert counters["rest"]["by_key"] == {
        "GET tables/switch": 3 * n, "GET tables/zvm": 2 * n, "PUT tables/switch": n,
        "PUT nodes/dsh Virtual_Network_Vswitch_Set_Extended": 2 * n,
        "PUT nodes/dsh Virtual_Network_Adapter_Connect_Vswitch_DM": n,
        "PUT nodes/dsh Virtual_Network_Adapter_Connect_Vswitch": n,
        "PUT nodes/dsh Static_Image_Changes_Immediate_DM": n}
    assert result["smcli_calls"] == counters["smcli"]["total"] == SMCLI_PER_PORT * n
    assert counters["smcli"]["failed"] == 0
    assert counters["smcli"]["by_function"] == {
        "Static_Image_Changes_Immediate_DM": n, "Virtual_Network_Adapter_Connect_Vswitch": n,
        "Virtual_Network_Adapter_Connect_Vswitch_DM": n,
        "Virtual_Network_Vswitch_Set_Extended": 2 * n}
    # One TCP+TLS connection per request, on both sides; the server's count
    # also has the connection of the counters request itself.
    assert result["tcp_connections"] == result["rest_requests"]
    assert counters["connections"] == counters["rest"]["total"] + 1
    assert result["seconds"] > 0


def test_vlan_ports_end_granted_with_the_directory_coupled(tls_sim):
    replay(tls_sim)
    state = tls_sim.control.state()
    model = state["model"]
    grants = model["vswitches"]["VSW1"]["grants"]
    for userid, vlan in zip(USERIDS, VLANS, strict=True):
        assert grants[userid]["vlans"] == [str(vlan)]
        guest = model["guests"][userid]
        assert guest["nicdefs"]["1000"]["lan_name"] == "VSW1"
        # Coupled by Connect_Vswitch, then taken down by the VLAN grant.
        assert guest["active_nics"]["1000"]["coupled_to"] is None
    rows = {row["port"]: row for row in state["tables"]["switch"]["rows"]}
    for userid, vlan in zip(USERIDS, VLANS, strict=True):
        row = rows[f"port-{userid}"]
        assert (row["node"], row["switch"], row["vlan"], row["interface"]) == (
            userid.lower(), "VSW1", str(vlan), "1000")


def test_a_port_whose_switch_row_is_missing_fails_alone(tls_sim):
    result = replay_vlan_ports(tls_sim.url, tls_sim.username, tls_sim.password,
                               [("port-gone", "VSW1", 100), *ports()],
                               zhcp_node=ZHCP_NODE, zhcp_userid=ZHCP_USERID,
                               verify=tls_sim.verify)
    assert list(result["failed_ports"]) == ["port-gone"]
    # The missing port cost the one gettab that found nothing.
    assert result["rest_requests"] == 1 + REST_PER_PORT * len(USERIDS)


def test_ipl_regrant_takes_2_tabdumps_and_2_dsh_and_restores_the_vlan_grants(tls_sim):
    replay(tls_sim)
    tls_sim.control.fire("ipl")
    assert tls_sim.control.state()["model"]["vswitches"]["VSW1"]["grants"] == {}
    tls_sim.control.reset_counters()

    result = replay_ipl_regrant(tls_sim.url, tls_sim.username, tls_sim.password,
                                zhcp_node=ZHCP_NODE, verify=tls_sim.verify)
    counters = tls_sim.control.counters()

    assert result["ports"] == len(USERIDS)
    assert result["rest_requests"] == counters["rest"]["total"] == 4
    assert result["by_call"] == {"G tabdump switch": 1, "G tabdump zvm": 1,
                                 "P run grant.sh": 1, "P write grant.sh": 1}
    assert result["smcli_calls"] == counters["smcli"]["total"] == len(USERIDS)
    assert counters["smcli"]["by_function"] == {
        "Virtual_Network_Vswitch_Set_Extended": len(USERIDS)}
    assert counters["smcli"]["failed"] == 0
    assert result["tcp_connections"] == 4 and counters["connections"] == 5
    grants = tls_sim.control.state()["model"]["vswitches"]["VSW1"]["grants"]
    assert {userid: grants[userid]["vlans"] for userid in USERIDS} == {
        userid: [str(vlan)] for userid, vlan in zip(USERIDS, VLANS, strict=True)}
