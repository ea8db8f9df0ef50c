#!/usr/bin/env bash
# The test command: own virtual environment, the project with its test extra,
# the services functional tests need, then pytest (extra arguments go to pytest).
set -euo pipefail
cd "$(dirname "$0")"
VENV=${QZVM_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'
scripts/install-test-services.sh
# The real neutron-dhcp-agent (its own venv) and dnsmasq/dhclient for the DHCP e2e test.
scripts/install-neutron-venv.sh
# The lint and type gates (settings in ruff.toml and mypy.ini): a new finding fails the run.
"$VENV/bin/ruff" check --quiet .
"$VENV/bin/mypy"
# Service-backed tests fail (instead of skipping) when a service cannot start.
export QZVM_REQUIRE_SERVICES=${QZVM_REQUIRE_SERVICES:-1}
exec "$VENV/bin/python" -m pytest "$@"
