"""The files of the demo's state directory: the plugin configuration and the TLS material.

:func:`plugin_ini` is pure; :func:`make_tls` runs the ``openssl`` command
(argument vectors only, nothing through a shell) to make a private CA and a
certificate for 127.0.0.1 signed by it, so the agent talks to the simulated
xCAT MN over verified HTTPS exactly as it would to a real one.
"""
from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

from quantum_zvm.demo.services import run_command

HOST = "zvmhost1"
ZHCP = "zhcp1"
# The second member of the simulator's SSI cluster (xcat/simulator/ssi_cluster.yaml).
HOST2 = "zvmhost2"
ZHCP2 = "zhcp2"
SYSTEMS = {ZHCP: "ZVMSYS1", ZHCP2: "ZVMSYS2"}
XCAT_USER = "root"
XCAT_PASSWORD = "cluster"
DHCP_USERID = "DHCPAGT"
VLAN_VSWITCH = "VSW1"
VLAN_RANGE = (100, 199)
FLAT_VSWITCH = "FLATSW"
RDEVS = {VLAN_VSWITCH: "6000", FLAT_VSWITCH: "6200"}


@dataclass(frozen=True)
class Tls:
    ca_file: Path
    cert_file: Path
    key_file: Path


def plugin_ini(state_dir: Path, api_port: int, xcat_url: str, ca_file: Path | None) -> str:
    """The one ``zvm_quantum_plugin.ini`` every demo process reads."""
    ca_line = f"zvm_xcat_ca_file = {ca_file}\n" if ca_file else ""
    return textwrap.dedent(f"""\
        # quantum-zvm demo: every process of this demo reads this file.
        [DEFAULT]
        state_path = {state_dir}
        bind_host = 127.0.0.1
        bind_port = {api_port}
        auth_strategy = noauth
        # RPC between server and agent without a broker (a directory under state_path)
        transport_url = embedded://

        [DATABASE]
        sql_connection = sqlite:///{state_dir}/quantum_zvm.sqlite

        [AGENT]
        host = {HOST}
        polling_interval = 1
        report_interval = 1
        system_check_interval = 1
        zvm_xcat_server = {xcat_url}
        zvm_xcat_username = {XCAT_USER}
        zvm_xcat_password = {XCAT_PASSWORD}
        """) + ca_line + textwrap.dedent(f"""\
        xcat_zhcp_nodename = {ZHCP}
        ssi_zhcp_nodes = {ZHCP2}
        # {VLAN_VSWITCH}: VLAN-aware, tenant VLANs {VLAN_RANGE[0]}-{VLAN_RANGE[1]}; \
{FLAT_VSWITCH}: flat
        vswitch_mappings = {VLAN_VSWITCH}:{VLAN_RANGE[0]}:{VLAN_RANGE[1]},{FLAT_VSWITCH}
        dhcp_userid = {DHCP_USERID}

        [{VLAN_VSWITCH}]
        rdev_list = {RDEVS[VLAN_VSWITCH]}

        [{FLAT_VSWITCH}]
        rdev_list = {RDEVS[FLAT_VSWITCH]}
        """)


def second_agent_ini() -> str:
    """What the agent of the second SSI member reads after :func:`plugin_ini` (a later
    ``--config-file`` wins): its zHCP and host, the first member as its peer, and no
    DHCP guest (the DHCP agent's guest runs on the first member)."""
    return textwrap.dedent(f"""\
        # The agent of {SYSTEMS[ZHCP2]}, read after zvm_quantum_plugin.ini.
        [AGENT]
        host = {HOST2}
        xcat_zhcp_nodename = {ZHCP2}
        ssi_zhcp_nodes = {ZHCP}
        dhcp_userid =
        """)


_CA_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
x509_extensions = ca_ext
[dn]
CN = quantum-zvm demo CA
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""

_SERVER_EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""


def make_tls(directory: Path, log_path: Path) -> Tls | None:
    """A CA and a server certificate for 127.0.0.1 in ``directory``; None without ``openssl``."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    directory.mkdir(mode=0o700, exist_ok=True)
    ca_config = directory / "ca.cnf"
    extensions = directory / "server.ext"
    ca_config.write_text(_CA_CONFIG)
    extensions.write_text(_SERVER_EXTENSIONS)
    tls = Tls(directory / "ca.pem", directory / "xcat.pem", directory / "xcat.key")
    ca_key, csr = directory / "ca.key", directory / "xcat.csr"
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run_command([openssl, "req", "-x509", *ec, "-keyout", str(ca_key), "-out", str(tls.ca_file),
                 "-days", "2", "-config", str(ca_config)], log_path)
    run_command([openssl, "req", "-new", *ec, "-keyout", str(tls.key_file), "-out", str(csr),
                 "-subj", "/CN=127.0.0.1", "-config", str(ca_config)], log_path)
    run_command([openssl, "x509", "-req", "-in", str(csr), "-CA", str(tls.ca_file),
                 "-CAkey", str(ca_key), "-set_serial", "2", "-days", "2",
                 "-extfile", str(extensions), "-out", str(tls.cert_file)], log_path)
    return tls
