#!/usr/bin/env bash
# Installs the Debian packages the functional tests start private instances of:
# PostgreSQL (initdb/pg_ctl), MariaDB (mariadb-install-db/mariadbd) and RabbitMQ
# (rabbitmq-server), and what building mysqlclient needs (libmariadb-dev,
# pkg-config, a C compiler: tests/e2e/test_installed_databases.py installs it
# beside PyMySQL). Tests start and stop their own servers on free loopback
# ports; nothing here starts a system service.
#
# Debian starts a server's system service when it installs the package. This
# script stops only such a service: one whose package it installed in this run
# and that was not running before; every stop is limited to STOP_SECONDS.
# A service the machine already had (a developer's own database) is never
# touched, and nothing is stopped when nothing was missing.
# Check: `scripts/install-test-services.sh; echo $?` on a machine with the
# packages prints nothing and exits 0 at once.
set -euo pipefail
STOP_SECONDS=${QZVM_STOP_SECONDS:-60}
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || [ -x /usr/sbin/mysqld ] \
    || missing+=(mariadb-server)
command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] \
    || missing+=(rabbitmq-server)
[ -f /usr/include/mariadb/mysql.h ] || missing+=(libmariadb-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-services: missing ${missing[*]}; run as root or install them" >&2
    exit 0
fi

# The system service each server package brings.
service_of() {
    case "$1" in
        postgresql) echo postgresql ;;
        mariadb-server) echo mariadb ;;
        rabbitmq-server) echo rabbitmq-server ;;
    esac
}

running() {
    timeout "$STOP_SECONDS" service "$1" status >/dev/null 2>&1
}

was_running=()
for pkg in "${missing[@]}"; do
    svc=$(service_of "$pkg")
    if [ -n "$svc" ] && command -v service >/dev/null 2>&1 && running "$svc"; then
        was_running+=("$svc")
    fi
done

echo "install-test-services: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null

command -v service >/dev/null 2>&1 || exit 0
for pkg in "${missing[@]}"; do
    svc=$(service_of "$pkg")
    [ -n "$svc" ] || continue
    [[ " ${was_running[*]} " == *" $svc "* ]] && continue
    if running "$svc"; then
        echo "install-test-services: stopping $svc, which the install started" >&2
        timeout "$STOP_SECONDS" service "$svc" stop >/dev/null 2>&1 \
            || echo "install-test-services: could not stop $svc within ${STOP_SECONDS} s" >&2
    fi
done
