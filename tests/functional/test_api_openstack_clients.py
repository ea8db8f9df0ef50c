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
    assert port["binding_vif_type"] == "zvm" and port["status"] == "DOWN"
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
