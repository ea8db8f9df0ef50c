"""The real ``openstack`` CLI and openstacksdk against quantum-zvm-server without keystone."""
import json
import os
import subprocess

import openstack
import pytest

from tests.fixtures.procs import command


@pytest.fixture(scope="module")
def cli(api_server):
    """One ``openstack`` command line, options as documented in README.md."""
    def run(*args, check=True):
        result = subprocess.run(
            [command("openstack"), "--os-auth-type", "none", "--os-endpoint", api_server.url,
             *args], capture_output=True, text=True, timeout=120)
        if check:
            assert result.returncode == 0, result.stderr
        return result
    return run


@pytest.fixture(scope="module")
def cli_batch(api_server):
    """Several commands in one ``openstack`` process (its interactive mode reads stdin).

    Starting the CLI costs seconds; the commands run exactly as on a command
    line.  Returns the JSON documents the commands printed, in order, and stderr.
    """
    def run(*lines):
        result = subprocess.run(
            [command("openstack")], input="\n".join(lines) + "\n", capture_output=True,
            text=True, timeout=300,
            env={**os.environ, "OS_AUTH_TYPE": "none", "OS_ENDPOINT": api_server.url})
        documents, decoder, text = [], json.JSONDecoder(), result.stdout.strip()
        while text:
            document, end = decoder.raw_decode(text)
            documents.append(document)
            text = text[end:].strip()
        return documents, result.stderr
    return run


def test_openstack_cli_networks_subnets_ports(cli, cli_batch):
    docs, errors = cli_batch(
        "network create --provider-network-type vlan --provider-physical-network VSW1 "
        "--provider-segment 120 cli-net -f json",
        "network create --provider-network-type flat --provider-physical-network FLATSW "
        "cli-flat -f json",
        "subnet create --network cli-net --subnet-range 10.40.0.0/24 cli-sub -f json",
        "port create --network cli-net --host zhcp1 --binding-profile zvm_userid=LINUX01 "
        "cli-port -f json",
        "port set --name cli-port2 cli-port",
        "port show cli-port2 -f json",
        "network set --name cli-net2 cli-net",
        "network show cli-net2 -f json")
    net, flat, subnet, port, shown, renamed = docs
    assert net["provider:segmentation_id"] == 120 and net["name"] == "cli-net"
    assert flat["provider:network_type"] == "flat"
    assert subnet["cidr"] == "10.40.0.0/24" and subnet["gateway_ip"] == "10.40.0.1"
    assert port["binding_host_id"] == "zhcp1"
    assert port["binding_profile"] == {"zvm_userid": "LINUX01"}
    assert port["binding_vif_type"] == "binding_failed"  # no agent reports from zhcp1
    assert port["status"] == "DOWN"
    assert shown["id"] == port["id"] and shown["name"] == "cli-port2"
    assert shown["fixed_ips"][0]["ip_address"].startswith("10.40.")
    assert renamed["id"] == net["id"]
    names = {n["Name"] for n in json.loads(cli("network", "list", "-f", "json").stdout)}
    assert {"cli-net2", "cli-flat"} <= names
    docs, errors = cli_batch("port delete cli-port2", "subnet delete cli-sub",
                             "network delete cli-net2 cli-flat", "network show cli-net2")
    assert docs == [] and "No Network found for cli-net2" in errors


def test_openstack_cli_error_message(cli):
    result = cli("subnet", "create", "--network", "nonexistent", "--subnet-range",
                 "10.41.0.0/24", "x", check=False)
    assert result.returncode != 0 and "Traceback" not in result.stderr


def test_openstacksdk(api_server):
    conn = openstack.connection.Connection(auth_type="none",
                                           network_endpoint_override=api_server.url)
    net = conn.network.create_network(name="sdk-net", provider_network_type="vlan",
                                      provider_physical_network="VSW2",
                                      provider_segmentation_id=205)
    assert net.provider_segmentation_id == 205
    subnet = conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.50.0.0/24",
                                        name="sdk-sub")
    port = conn.network.create_port(network_id=net.id, name="sdk-port",
                                    binding_host_id="zhcp1",
                                    binding_profile={"zvm_userid": "LINUX02", "vdev": "600"})
    assert port.binding_profile == {"zvm_userid": "LINUX02", "vdev": "0600"}
    assert port.fixed_ips[0]["subnet_id"] == subnet.id
    assert conn.network.find_network("sdk-net", ignore_missing=False).id == net.id
    assert port.id in {p.id for p in conn.network.ports(network_id=net.id)}
    conn.network.update_port(port, name="sdk-port2")
    assert conn.network.get_port(port.id).name == "sdk-port2"
    with pytest.raises(openstack.exceptions.BadRequestException, match="IPv6 is not supported"):
        conn.network.create_subnet(network_id=net.id, ip_version=6, cidr="fd00::/64")
    conn.network.delete_port(port)
    conn.network.delete_subnet(subnet)
    conn.network.update_network(net, name="sdk-net2")
    assert conn.network.get_network(net.id).name == "sdk-net2"
    conn.network.delete_network(net)
    with pytest.raises(openstack.exceptions.NotFoundException):
        conn.network.get_network(net.id)


def test_openstack_cli_standard_attributes_tags_and_port_extensions(cli_batch):
    """Every flag of issue 19 that quantum-zvm refused before: create, set, unset, list, show."""
    docs, errors = cli_batch(
        "network create --description blue-net --mtu 1400 --tag red --tag warm "
        "std-net -f json",
        "network create --tag blue --tag warm std-net2 -f json",
        "network create std-net3 -f json",
        "subnet create --network std-net --subnet-range 10.60.0.0/24 --description sub "
        "--tag s1 std-sub -f json",
        "port create --network std-net --description a-port --vnic-type normal "
        "--no-security-group --tag p1 --tag p2 std-port -f json",
        "port set --description changed --tag p3 std-port",
        "port unset --tag p1 std-port",
        "port show std-port -f json",
        "network list --tags warm -f json",
        "network list --tags warm,red -f json",
        "network list --any-tags red,blue -f json",
        "network list --not-tags warm -f json",
        "network list --not-any-tags red,blue -f json",
        "network set --description renamed --tag hot --no-tag std-net2",
        "network show std-net2 -f json",
        "network unset --tag warm std-net",
        "network show std-net -f json",
        "port list --tags p3 -f json",
        "port list --not-tags p3 --network std-net -f json",
        "subnet list --tags s1 -f json")
    assert "rror" not in errors, errors
    (net, net2, net3, subnet, port, shown, warm, warm_red, red_blue, not_warm,
     not_red_blue, net2_shown, net_shown, p3, not_p3, s1) = docs
    assert (net["description"], net["mtu"], sorted(net["tags"])) == ("blue-net", 1400,
                                                                     ["red", "warm"])
    assert isinstance(net["revision_number"], int) and net["created_at"] and net["updated_at"]
    assert subnet["description"] == "sub" and subnet["tags"] == ["s1"]
    assert subnet["subnetpool_id"] is None
    assert (port["description"], port["binding_vnic_type"], port["security_group_ids"]) == \
        ("a-port", "normal", [])
    assert sorted(port["tags"]) == ["p1", "p2"]
    assert port["binding_vif_type"] == "unbound" and port["binding_host_id"] == ""
    assert (shown["description"], sorted(shown["tags"])) == ("changed", ["p2", "p3"])
    assert shown["revision_number"] > port["revision_number"]

    def names(rows):
        return {row["Name"] for row in rows} & {"std-net", "std-net2", "std-net3"}
    assert names(warm) == {"std-net", "std-net2"}
    assert names(warm_red) == {"std-net"}
    assert names(red_blue) == {"std-net", "std-net2"}
    assert names(not_warm) == {"std-net3"}
    assert names(not_red_blue) == {"std-net3"}
    assert (net2_shown["description"], net2_shown["tags"]) == ("renamed", ["hot"])
    assert net_shown["tags"] == ["red"]
    assert [row["Name"] for row in p3] == ["std-port"]
    assert "std-port" not in {row["Name"] for row in not_p3}
    assert [row["Name"] for row in s1] == ["std-sub"]
    docs, errors = cli_batch("port create --network std-net --vnic-type direct bad -f json",
                             "network create --mtu 9000 too-big -f json")
    assert docs == [] and "binding:vnic_type" in errors and "maximum is 1500" in errors


def test_openstacksdk_if_revision_refuses_a_stale_update(api_server):
    conn = openstack.connection.Connection(auth_type="none",
                                           network_endpoint_override=api_server.url)
    net = conn.network.create_network(name="rev-net", description="d0")
    port = conn.network.create_port(network_id=net.id, name="rev-port")
    for resource, update in ((net, conn.network.update_network),
                             (port, conn.network.update_port)):
        before = resource.revision_number
        assert update(resource.id, description="d1", if_revision=before).revision_number == \
            before + 1
        with pytest.raises(openstack.exceptions.PreconditionFailedException,
                           match="Constrained to"):
            update(resource.id, description="lost", if_revision=before)
    assert conn.network.get_network(net.id).description == "d1"
    conn.network.set_tags(port, ["a", "b"])
    assert sorted(conn.network.get_port(port.id).tags) == ["a", "b"]
    with pytest.raises(openstack.exceptions.PreconditionFailedException, match="Constrained to"):
        conn.network.delete_port(port, if_revision=0)
    conn.network.delete_port(port, if_revision=conn.network.get_port(port.id).revision_number)
    assert conn.network.find_port(port.id) is None
    conn.network.delete_network(net)
