#!/usr/bin/env bash
# Installs the Debian packages the functional tests start private instances of:
# PostgreSQL (initdb/pg_ctl), MariaDB (mariadb-install-db/mariadbd) and RabbitMQ
# (rabbitmq-server). Tests start and stop their own servers on free loopback
# ports; nothing here starts a system service.
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || [ -x /usr/sbin/mysqld ] \
    || missing+=(mariadb-server)
command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] \
    || missing+=(rabbitmq-server)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-services: missing ${missing[*]}; run as root or install them" >&2
    exit 0
fi
echo "install-test-services: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts the system services on install; the tests use private instances.
for svc in rabbitmq-server postgresql mariadb; do
    (service "$svc" stop >/dev/null 2>&1 || true)
done
