"""What a real xCAT MN does with a guest's second NIC and a NIC defined by CP,
over real HTTP (issue 12, findings 3 and 4)."""
from __future__ import annotations


def test_second_mac_row_of_a_node_is_a_db_error(simulator):
    """tabutils.pm tabch: ``{"error": ["DB error <DBI errstr>"], "errorcode": [4]}``,
    HTTP 200 like every command failure of the v1 API; the first row stays."""
    x = simulator.xcat
    first = x("PUT", "tables/mac", body=["node=linux01,interface=1000 "
                                         "mac.mac=fa:16:3e:00:00:01 mac.comments=zhcp1"])
    assert first.text == '{"data":[]}'
    second = x("PUT", "tables/mac", body=["node=linux01,interface=1003 "
                                          "mac.mac=fa:16:3e:00:00:02 mac.comments=zhcp1"])
    assert (second.status_code, second.text) == (
        200, '{"data":[{"error":["DB error UNIQUE constraint failed: mac.node"],'
             '"errorcode":["4"]}]}')
    assert x("GET", "tables/mac").json()["data"][0]["data"][1:] == [
        '"linux01","1000","fa:16:3e:00:00:01","zhcp1",']


def test_nic_defined_by_cp_needs_znetconf_before_ip(simulator):
    """The xCAT MN's NIC 0800, as the agent makes it: no ``enccw0.0.0800`` until
    ``znetconf -a 0800`` (s390-tools zconf/znetconf) brings its devices online."""
    define = simulator.dsh("xcat", "vmcp define nic 0800 type qdio && "
                                   "vmcp couple 0800 system XCATVSW2 && "
                                   "ip -4 -o addr show dev enccw0.0.0800")
    assert define["data"][-1] == {"errorcode": ["1"]}
    assert {"xcat: Device \"enccw0.0.0800\" does not exist."} <= {
        text for message in define["data"] for text in message.get("error", [])}
    online = simulator.dsh("xcat", "/sbin/znetconf -a 0800 && "
                                   "ip addr add 10.9.0.1/16 dev enccw0.0.0800")
    assert online["data"] == [
        {"data": ["xcat: Scanning for network devices...\n"
                  "xcat: Successfully configured device 0.0.0800 (enccw0.0.0800)"]},
        {"errorcode": ["0"]}]
    simulator.control.fire("xcat_restart")
    again = simulator.dsh("xcat", "vmcp define nic 0800 type qdio; ip link show enccw0.0.0800")
    assert again["data"][-1] == {"errorcode": ["1"]}
