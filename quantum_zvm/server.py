"""``quantum-zvm-server --config-file F``: the Quantum v2.0 REST API, plugin and RPC server.

Start-up: load and validate the configuration (exit 2 on problems), set up
logging, connect to the database (retrying per ``[DATABASE]``), refuse to
start unless the schema is at the head revision (the message names the
``quantum-zvm-db-manage`` command to run), build the plugin, the WSGI
pipeline and the RPC side (:func:`start_rpc`), then serve with eventlet on
``bind_host:bind_port``.  SIGTERM and SIGINT stop accepting connections,
let requests in flight finish, stop the RPC side and exit 0.

eventlet's ``monkey_patch()`` happens here, in the entry point only.
"""
from __future__ import annotations

import contextlib
import gc
import ipaddress
import signal
import socket
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

PROG = "quantum-zvm-server"
DESCRIPTION = "The Quantum v2.0 REST API, database and RPC server for z/VM agents."
EXIT_FAILURE = 1


def main(argv: Sequence[str] | None = None) -> int:
    # eventlet is a design decision here; its import-time deprecation notice is noise.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet
    eventlet.monkey_patch()
    return run(sys.argv[1:] if argv is None else list(argv))


def run(argv: Sequence[str]) -> int:
    from quantum_zvm.common import config, log

    conf = config.load_or_exit(argv, PROG, role="server", description=DESCRIPTION)
    logger = log.setup(conf, PROG)
    if conf.auth_strategy == "noauth" and not ipaddress.ip_address(
            socket.gethostbyname(conf.bind_host)).is_loopback:
        logger.warning("auth_strategy = noauth on %s: anyone who reaches this address can act "
                       "as any tenant or admin; use auth_strategy = keystone", conf.bind_host)
    try:
        plugin, app, api = build(conf)
    except StartupError as exc:
        log.fatal(conf, logger, PROG, str(exc))
        return exc.exit_code
    try:
        sock = listen(conf.bind_host, conf.bind_port)
    except OSError as exc:
        log.fatal(conf, logger, PROG,
                  f"cannot listen on {conf.bind_host}:{conf.bind_port}: {exc.strerror}")
        return EXIT_FAILURE
    try:
        stop_rpc = start_rpc(conf, plugin, api)
    except StartupError as exc:
        log.fatal(conf, logger, PROG, str(exc))
        sock.close()
        plugin.db.dispose()
        return exc.exit_code
    # Start-up objects (modules, tables, compiled statements) live as long as the
    # process: kept out of the cyclic garbage collector, whose full passes over
    # them otherwise cost about a third of a 10,000-port list.
    gc.collect()
    gc.freeze()
    try:
        serve(sock, app, logger)
    finally:
        stop_rpc()
        plugin.db.dispose()
    logger.info("stopped")
    return 0


class StartupError(Exception):
    """The server cannot start; the message says why and what to do."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE):
        super().__init__(message)
        self.exit_code = exit_code


def build(conf: Any) -> tuple[Any, Callable, Any]:
    """The plugin, the WSGI pipeline and the bare API app; raises :class:`StartupError`."""
    from quantum_zvm.api import auth, router
    from quantum_zvm.common import config, exceptions
    from quantum_zvm.db import migration
    from quantum_zvm.db.api import Database

    try:
        db = Database.from_conf(conf)
    except exceptions.DatabaseUnavailable as exc:
        raise StartupError(f"cannot connect to the database: {exc}") from None
    try:
        migration.check_current(db, conf.config_file)
    except migration.SchemaError as exc:
        db.dispose()
        raise StartupError(f"database schema is not current: {exc}") from None
    from quantum_zvm.plugin import ZvmPlugin  # after the schema check: it syncs VLAN rows

    plugin = ZvmPlugin(conf, db=db)
    try:
        app, api = router.build_app(plugin, conf)
    except auth.KeystoneUnavailable as exc:
        db.dispose()
        raise StartupError(str(exc), config.EXIT_CONFIG_ERROR) from None
    return plugin, app, api


def start_rpc(conf: Any, plugin: Any, app: Any) -> Callable[[], None]:
    """Start the RPC side of the server and wire the notifiers.

    This is where the RPC server consuming ``q-plugin`` starts, where
    ``plugin.notifier`` (port_update / network_delete fanout casts) and
    ``app.dhcp_notifier`` (``notify(ctx, payload, event)`` casts to DHCP
    agents; ``app`` is the :class:`quantum_zvm.api.router.ApiApp`) are set.
    Returns a function that stops what was started.  A transport setting
    that cannot be used raises :class:`StartupError` (configuration error).
    """
    import logging

    from quantum_zvm import agent_notify_api, rpc_callbacks
    from quantum_zvm.common import config, constants
    from quantum_zvm.rpc.client import RpcClient
    from quantum_zvm.rpc.server import RpcServer
    from quantum_zvm.rpc.transport import Transport, TransportConfigError

    try:
        transport = Transport.from_conf(conf)
    except TransportConfigError as exc:
        raise StartupError(str(exc), config.EXIT_CONFIG_ERROR) from None
    client = RpcClient(transport, timeout=conf.rpc_response_timeout)
    plugin.notifier = agent_notify_api.AgentNotifierApi(client)
    if conf.dhcp_agent_notification:
        app.dhcp_notifier = agent_notify_api.DhcpAgentNotifyAPI(client, plugin)
    server = RpcServer(transport, rpc_callbacks.TOPICS, rpc_callbacks.endpoints(plugin),
                       name=constants.TOPIC_PLUGIN).start()
    logging.getLogger(PROG).info("RPC: serving %s on %s, exchange %s",
                                 ", ".join(rpc_callbacks.TOPICS), transport.describe(),
                                 transport.exchange)

    def stop() -> None:
        server.stop()
        client.close()
    return stop


def listen(host: str, port: int) -> socket.socket:
    import eventlet

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return eventlet.listen((host, port), family=family, backlog=128, reuse_port=False)


def serve(sock: socket.socket, app: Callable, logger: Any) -> None:
    """Serve ``app`` on ``sock`` until SIGTERM/SIGINT; requests in flight finish first."""
    import logging

    import eventlet.wsgi
    import greenlet

    from quantum_zvm.api.protocol import HttpProtocol

    main_greenlet = greenlet.getcurrent()
    hub = eventlet.hubs.get_hub()

    stopping: list[int] = []

    def stop(signum: int, _frame: Any) -> None:
        if stopping:  # a second signal must not interrupt the wait for requests in flight
            return
        stopping.append(signum)
        logger.info("%s received, stopping", signal.Signals(signum).name)
        # Raise in the serving greenlet (not in whatever runs the handler):
        # eventlet.wsgi.server stops accepting and waits for requests in flight.
        hub.schedule_call_global(0, main_greenlet.throw, SystemExit(0))

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = sock.getsockname()[:2]
    logger.info("REST API listening on http://%s:%s/v2.0", host, port)
    with contextlib.suppress(SystemExit):  # stop() ends the server with SystemExit
        eventlet.wsgi.server(sock, app, log=logging.getLogger("quantum_zvm.api.access"),
                             debug=False, max_size=1000, socket_timeout=900,
                             capitalize_response_headers=False, protocol=HttpProtocol)


if __name__ == "__main__":
    sys.exit(main())
