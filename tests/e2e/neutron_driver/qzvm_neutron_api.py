"""Serves neutron's API WSGI application for the ML2 end-to-end test.

neutron 29 ships the API only as a WSGI application (``neutron.wsgi.api:application``,
meant for uWSGI or mod_wsgi; ``neutron-rpc-server`` serves RPC on its own).  This
runs it under the standard library's threading WSGI server, which the test machine
has without another package: ``python qzvm_neutron_api.py PORT --config-file F ...``
(run with the neutron venv's python; the arguments after PORT are neutron's own, read
by ``neutron.server.boot_server``).  Listens on 127.0.0.1 only.
"""
import socketserver
import sys
from wsgiref import simple_server


class _Server(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True


class _QuietHandler(simple_server.WSGIRequestHandler):
    def log_request(self, code="-", size="-"):  # neutron logs every request itself
        pass


def main() -> None:
    port = int(sys.argv[1])
    sys.argv[1:] = sys.argv[2:]  # what is left is neutron's command line
    from neutron.wsgi import api  # boots neutron from sys.argv (config files)

    server = simple_server.make_server("127.0.0.1", port, api.application,
                                       server_class=_Server, handler_class=_QuietHandler)
    print(f"neutron API listening on 127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
