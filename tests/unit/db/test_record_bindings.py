"""plugin.record_zvm_bindings: many agent outcomes in one transaction, same as one by one."""
import pytest
from sqlalchemy import event

from quantum_zvm.common import exceptions


@pytest.fixture
def network(plugin, admin_ctx):
    return plugin.create_network(admin_ctx, {"network": {
        "name": "net", "tenant_id": "tenant-a", "provider:network_type": "vlan",
        "provider:physical_network": "VSW1", "provider:segmentation_id": 120}})


def ports(plugin, ctx, network, count):
    body = {"ports": [{"port": {"network_id": network["id"], "tenant_id": "tenant-a"}}
                      for _ in range(count)]}
    return [p["id"] for p in plugin.create_port_bulk(ctx, body)]


def entry(port_id, **extra):
    return {"port_id": port_id, "status": "ACTIVE", "zhcp_node": "zhcp1", "userid": "linux01",
            "vdev": "1000", "vswitch": "vsw1", "vlan": 120, "port_type": "ACCESS", **extra}


def test_mixed_batch_statuses_details_and_rejections(plugin, admin_ctx, network):
    ok, failed, down, dup, bad = ports(plugin, admin_ctx, network, 5)
    results = plugin.record_zvm_bindings(admin_ctx, "zhcp1", [
        entry(ok),
        entry(failed, error="Virtual_Network_Vswitch_Set_Extended rc=212 rs=40"),
        entry(down, status="DOWN", vlan=-1),
        entry(dup, userid="LINUX09"), entry(dup, status="DOWN", userid="LINUX02"),
        entry(bad, userid="BAD USER"),
        entry("no-such-port")])
    assert results == {ok: True, failed: True, down: True, dup: True, bad: False,
                       "no-such-port": False}
    shown = {p["id"]: p for p in plugin.get_ports(admin_ctx)}
    assert {pid: shown[pid]["status"] for pid in (ok, failed, down, dup, bad)} == {
        ok: "ACTIVE", failed: "ERROR", down: "DOWN", dup: "DOWN", bad: "DOWN"}
    details = shown[ok]["binding:vif_details"]
    assert {k: details[k] for k in ("zhcp_node", "userid", "vdev", "vswitch", "vlan",
                                    "port_type", "status")} == {
        "zhcp_node": "zhcp1", "userid": "LINUX01", "vdev": "1000", "vswitch": "VSW1",
        "vlan": 120, "port_type": "ACCESS", "status": "ACTIVE"}
    assert shown[failed]["binding:vif_details"]["status"] == "ERROR"
    assert "rc=212 rs=40" in shown[failed]["binding:vif_details"]["error"]
    assert shown[down]["binding:vif_details"]["vlan"] is None  # flat
    assert shown[dup]["binding:vif_details"]["userid"] == "LINUX02"  # the last entry counts
    assert shown[bad]["binding:vif_details"] == {}
    # a later report replaces the row: the error goes away
    assert plugin.record_zvm_bindings(admin_ctx, "zhcp1", [entry(failed)]) == {failed: True}
    again = plugin.get_port(admin_ctx, failed)
    assert again["status"] == "ACTIVE" and "error" not in again["binding:vif_details"]


def test_a_rejected_last_entry_keeps_the_earlier_one(plugin, admin_ctx, network):
    (pid,) = ports(plugin, admin_ctx, network, 1)
    results = plugin.record_zvm_bindings(admin_ctx, "zhcp1",
                                         [entry(pid), entry(pid, status="GREEN")])
    assert results == {pid: False}
    assert plugin.get_port(admin_ctx, pid)["status"] == "ACTIVE"


def test_many_entries_take_few_statements_in_one_transaction(plugin, admin_ctx, network):
    ids = ports(plugin, admin_ctx, network, 1000)
    seen = {"statements": 0, "commits": 0}

    def count_statement(*_args):
        seen["statements"] += 1

    def count_commit(*_args):
        seen["commits"] += 1
    event.listen(plugin.db.engine, "before_cursor_execute", count_statement)
    event.listen(plugin.db.engine, "commit", count_commit)
    try:
        results = plugin.record_zvm_bindings(admin_ctx, "zhcp1", [
            entry(pid, error="boom" if i % 2 else None) for i, pid in enumerate(ids)])
    finally:
        event.remove(plugin.db.engine, "before_cursor_execute", count_statement)
        event.remove(plugin.db.engine, "commit", count_commit)
    assert all(results.values()) and len(results) == 1000
    assert seen["commits"] == 1
    assert seen["statements"] <= 12  # 1,000 one by one took 5,000
    statuses = [p["status"] for p in plugin.get_ports(admin_ctx, filters={"id": ids[:4]},
                                                      sorts=[("id", True)])]
    assert sorted(statuses) == ["ACTIVE", "ACTIVE", "ERROR", "ERROR"]


def test_single_record_still_raises_on_invalid_values(plugin, admin_ctx, network):
    (pid,) = ports(plugin, admin_ctx, network, 1)
    with pytest.raises(exceptions.InvalidInput, match="status"):
        plugin.record_zvm_binding(admin_ctx, pid, "zhcp1", None, None, None, None, None, None,
                                  "GREEN")
    assert plugin.record_zvm_binding(admin_ctx, pid, "zhcp1", "zhcp1", "LINUX01", "1000",
                                     "VSW1", 120, "ACCESS", "ACTIVE") is True
