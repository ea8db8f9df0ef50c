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
