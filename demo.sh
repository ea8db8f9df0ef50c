#!/usr/bin/env bash
# The demo command: own virtual environment, the project installed into it, then
# quantum-zvm-demo (arguments go to it: --keep-running, --stop STATE_DIR).
set -euo pipefail
cd "$(dirname "$0")"
VENV=${QZVM_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating the virtual environment $VENV"
    python3 -m venv "$VENV"
fi
echo "Installing quantum-zvm into $VENV (pip install -e .)"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e .
exec "$VENV/bin/quantum-zvm-demo" "$@"
