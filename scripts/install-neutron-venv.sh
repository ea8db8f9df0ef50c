#!/usr/bin/env bash
# Installs what the DHCP end-to-end test runs for real:
# - the PyPI package neutron (its neutron-dhcp-agent) in a virtual environment of
#   its own, outside the repository, so its pins never touch the project's venv:
#   $QZVM_NEUTRON_VENV, default /opt/quantum-zvm/neutron-$QZVM_NEUTRON_VERSION;
# - the Debian packages the agent drives and the test's client uses: dnsmasq-base
#   (dnsmasq without a system service), dnsmasq-utils (dhcp_release),
#   isc-dhcp-client (dhclient), iproute2, iptables.
# - PyMySQL in that venv: the ML2 end-to-end test runs neutron-server on MariaDB.
# Idempotent (a marker file records a finished install) and bounded in time.
# Without root it only reports what is missing (the e2e test then skips).
set -euo pipefail
VERSION=${QZVM_NEUTRON_VERSION:-29.0.0}
VENV=${QZVM_NEUTRON_VENV:-/opt/quantum-zvm/neutron-$VERSION}
PYTHON=${QZVM_NEUTRON_PYTHON:-python3}
MARKER="$VENV/.quantum-zvm-installed-neutron-$VERSION"

missing=()
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
# dhcp_release: the agent releases a deleted port's lease with it.
command -v dhcp_release >/dev/null 2>&1 || [ -x /usr/bin/dhcp_release ] || missing+=(dnsmasq-utils)
command -v dhclient >/dev/null 2>&1 || [ -x /usr/sbin/dhclient ] || missing+=(isc-dhcp-client)
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || missing+=(iproute2)
# The agent fills DHCP reply checksums with an iptables rule in its namespace.
command -v iptables >/dev/null 2>&1 || [ -x /usr/sbin/iptables ] || missing+=(iptables)

if [ "$(id -u)" -ne 0 ]; then
    [ ${#missing[@]} -eq 0 ] || echo "install-neutron-venv: missing ${missing[*]} (not root)" >&2
    [ -f "$MARKER" ] || echo "install-neutron-venv: no neutron venv at $VENV (not root)" >&2
    exit 0
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-neutron-venv: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get update -q >/dev/null
    timeout 900 apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ -f "$MARKER" ]; then
    # venvs made before the ML2 end-to-end test lack its database driver
    "$VENV/bin/python" -c 'import pymysql' 2>/dev/null || \
        timeout 600 "$VENV/bin/python" -m pip install -q --disable-pip-version-check PyMySQL
    exit 0
fi

echo "install-neutron-venv: installing neutron==$VERSION into $VENV" >&2
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV"
timeout 600 "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
timeout 1800 "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
    "neutron==$VERSION" PyMySQL
"$VENV/bin/neutron-dhcp-agent" --version >/dev/null
touch "$MARKER"
