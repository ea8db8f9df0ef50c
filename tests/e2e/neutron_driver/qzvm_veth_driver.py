"""An interface driver for the real neutron-dhcp-agent in the DHCP end-to-end test.

Loaded by the agent (``interface_driver = qzvm_veth_driver.VethBridgeDriver``, this
directory on its PYTHONPATH), never by the project's tests: it imports neutron,
which lives in a virtual environment of its own.  It stands in for Open vSwitch,
which the test machine lacks: the DHCP port is one end of a veth pair in the
agent's namespace, the other end joins the Linux bridge named by
``QZVM_E2E_BRIDGE`` (the test's network segment; on z/VM, the guest's NIC on the
vswitch).  Written against neutron 29.0.0 (neutron/agent/linux/interface.py).
"""
import os
import subprocess

from neutron.agent.linux import interface, ip_lib


class VethBridgeDriver(interface.LinuxInterfaceDriver):
    DEV_NAME_PREFIX = "tap"

    @staticmethod
    def _peer(device_name: str) -> str:
        return ("qzb" + device_name[len("tap"):])[:14]

    def plug_new(self, network_id, port_id, device_name, mac_address,
                 bridge=None, namespace=None, prefix=None, mtu=None):
        peer = self._peer(device_name)
        root_dev, ns_dev = ip_lib.IPWrapper().add_veth(peer, device_name,
                                                       namespace2=namespace)
        ns_dev.link.set_address(mac_address)
        if mtu:
            root_dev.link.set_mtu(mtu)
            ns_dev.link.set_mtu(mtu)
        subprocess.run(["ip", "link", "set", peer, "master", os.environ["QZVM_E2E_BRIDGE"]],
                       check=True, timeout=30)
        root_dev.link.set_up()
        ns_dev.link.set_up()

    def unplug(self, device_name, bridge=None, namespace=None, prefix=None):
        device = ip_lib.IPDevice(device_name, namespace=namespace)
        if device.exists():
            device.link.delete()  # removes the peer too

    def set_mtu(self, device_name, mtu, namespace=None, prefix=None):
        ip_lib.IPDevice(device_name, namespace=namespace).link.set_mtu(mtu)
        peer = ip_lib.IPDevice(self._peer(device_name))
        if peer.exists():
            peer.link.set_mtu(mtu)
