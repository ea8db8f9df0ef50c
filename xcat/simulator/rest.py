"""The old-generation xCAT REST API (``/xcatws``) as a WSGI app (reference
xcat-rest-api.md §1.2-§1.4, §3).

Conventions reproduced:
- credentials from the ``userName``/``password`` query parameters, else the
  request headers of the same names; wrong → 401 ``<p>Authentication
  failure</p>``, none → 401 ``<p>Permission denied for request</p>`` (not
  JSON, still labelled application/json);
- ``format=json`` gives ``{"data": [msg, ...]}`` where every msg value is a
  list of strings; no ``format`` gives an HTML table; another → 400;
- 200 for every method but POST (201), even when the command failed; an
  unknown node in the URL → 403 ``<p>Invalid nodes and/or groups in
  noderange: n</p>``;
- PUT/POST bodies are a JSON array of strings (``Content-Type`` ignored); a
  malformed body gives Apache's 500 page.  For tables and vms PUT the strings
  are split on single blanks and all words form ONE argument list
  (``zvmxcatws.cgi``), so one tables PUT runs one ``tabch`` (one row).

Resources: ``tables[/<t>]`` (tabdump, gettab with ``col``/``value``/
``attribute``, PUT tabch),
``nodes/<n>/dsh`` (PUT, ``command=``), ``nodes/<n>`` (GET lsdef, POST mkdef,
PUT nodech, DELETE rmdef), ``nodes/<n>/power`` (GET, PUT on/off/reset),
``nodes/<n>/migrate`` (PUT ``["destination=<system>", "action=MOVE|TEST", ...]``:
rmigrate, live guest relocation within an SSI cluster),
``vms/<n>`` (GET lsvm [``checknics``], PUT ``--smcli``),
``networks/makehosts|makedns`` (PUT), ``version`` (GET).
"""
from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from xcat.simulator import dshcore, events
from xcat.simulator.core import XDSH_E2BIG, Simulator, exec_accepts, first_command, xdsh_argument
from xcat.simulator.tables import Message, error

PREFIX = "/xcatws"


class HttpError(Exception):
    def __init__(self, status: int, body: str, content_type: str = "text/plain"):
        super().__init__(body)
        self.status = status
        self.body = body
        self.content_type = content_type


@dataclass
class Request:
    method: str
    parts: list[str]
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    info: dict[str, str | None] = field(default_factory=dict)   # for counters and faults

    def param(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None

    def params(self, name: str) -> list[str]:
        return [v for k, v in self.query if k == name]


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"


_REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized",
            403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            408: "Request Timeout", 500: "Internal Server Error", 503: "Service Unavailable",
            504: "Gateway Timeout"}


def status_line(status: int) -> str:
    return f"{status} {_REASONS.get(status, 'Error')}"


def envelope(messages: list[Message]) -> bytes:
    return json.dumps({"data": messages}, separators=(",", ":")).encode("utf-8")


def html_page(messages: list[Message]) -> bytes:
    rows = []
    for message in messages:
        for key, values in message.items():
            for value in values:
                rows.append(f"<tr><td>{html.escape(key)}</td><td>{html.escape(str(value))}</td></tr>")
    return ("<html><head><title>xCAT REST API</title></head><body><table>"
            + "".join(rows) + "</table></body></html>").encode("utf-8")


def parse_body(body: bytes) -> list[str]:
    """A JSON array of strings, as both drivers send; anything else dies like the CGI."""
    if not body:
        return []
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise HttpError(500, APACHE_500, "text/html") from None
    if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
        raise HttpError(500, APACHE_500, "text/html")
    return data


APACHE_500 = ("<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n"
              "<title>500 Internal Server Error</title>\n</head><body>\n"
              "<h1>Internal Server Error</h1>\n<p>The server encountered an internal error or\n"
              "misconfiguration and was unable to complete\nyour request.</p>\n</body></html>\n")


# Apache's own page for a CGI that printed no header within ``Timeout``: mod_cgi's read
# times out, util_script.c answers HTTP_GATEWAY_TIME_OUT ("Script timed out before
# returning headers"), http_protocol.c renders it (httpd tag 2.4.6, 7650f0ca8; 2.2.15
# cad4926fd does the same); ServerSignature is off by default.
APACHE_504 = ("<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n"
              "<title>504 Gateway Timeout</title>\n</head><body>\n<h1>Gateway Timeout</h1>\n"
              "<p>The gateway did not receive a timely response\nfrom the upstream server or "
              "application.</p>\n</body></html>\n")


def perl_words(strings: list[str]) -> list[str]:
    """``push @args, split(/ /, $_)`` for every body string: blanks separate
    words, empty words between blanks stay, trailing empty ones go."""
    words: list[str] = []
    for item in strings:
        parts = item.split(" ")
        while parts and parts[-1] == "":
            parts.pop()
        words += parts
    return words


def _key_values(strings: list[str]) -> dict[str, str]:
    """Body strings as ``key=value`` (split at the first ``=``), later keys win."""
    result = {}
    for item in strings:
        key, _sep, value = item.partition("=")
        result[key] = value
    return result


def _migrate_command(userid: str, operands: list[str]) -> tuple[str, str, str]:
    """zvm.pm migrateVM's smcli command ``VMRELOCATE -T <USERID> -k <operand>...`` (every
    non-empty operand verbatim, max_total/max_quiesce without leading zeros), its
    destination (quotes removed) and its action."""
    command = f"VMRELOCATE -T {userid.upper()}"
    destination = action = ""
    for operand in operands:
        if not operand or operand == "0":   # Perl: false operands are skipped
            continue
        if re.search("destination=", operand, re.IGNORECASE):
            destination = re.sub("destination=", "", operand).replace('"', "").replace("'", "")
        elif re.search("action=", operand, re.IGNORECASE):
            action = operand.replace("action=", "")
        else:
            match = re.search(r"(max_total|max_quiesce)=", operand, re.IGNORECASE)
            if match:   # m//i finds it, s/max_total=//g (case-sensitive) takes it off
                key = match.group(1).lower()
                value = operand.replace(f"{key}=", "")
                if not re.search(r"[^0-9.]", value):
                    operand = f"{key}={value.lstrip('0')}"
        command += f" -k {operand}"
    return command, destination, action


class XcatRest:
    """Dispatches ``/xcatws/...`` requests against a :class:`Simulator`."""

    RESOURCES = ("tables", "nodes", "vms", "networks", "version")

    def __init__(self, sim: Simulator):
        self.sim = sim
        # tabdump bodies by (table object, version): a 10,000-row dump is ~1 MB of JSON.
        self._dumps: dict[str, tuple[Any, int, bytes]] = {}

    def handle(self, request: Request) -> Reply:
        parts = request.parts
        if not parts:
            raise HttpError(404, "Resource '' does not exist")
        resource = parts[0]
        if resource not in self.RESOURCES:
            raise HttpError(404, f"Resource '{resource}' does not exist")
        fmt = request.param("format")
        if fmt not in (None, "json"):
            raise HttpError(400, f"The format '{fmt}' is not supported.")
        self._authenticate(request)
        if (fmt == "json" and request.method == "GET" and resource == "tables"
                and len(parts) == 2 and request.param("col") is None):
            cached = self._cached_dump(parts[1])
            if cached is not None:
                return Reply(200, cached)
        handler: Callable[[Request], list[Message]] = getattr(self, f"_{resource}")
        messages = handler(request)
        if messages and "info" in messages[0] and messages[0]["info"] and re.search(
                "Could not find an object", messages[0]["info"][0]):
            status = 404
        else:
            status = 201 if request.method == "POST" else 200
        if fmt == "json":
            return Reply(status, envelope(messages))
        return Reply(status, html_page(messages), "text/html")

    def _cached_dump(self, name: str) -> bytes | None:
        with self.sim.lock:
            table = self.sim.tables.get(name)
            if table is None:
                return None
            hit = self._dumps.get(name)
            if hit is not None and hit[0] is table and hit[1] == table.version:
                return hit[2]
            body = envelope([{"data": list(table.tabdump())}])
            self._dumps[name] = (table, table.version, body)
            return body

    def _authenticate(self, request: Request) -> None:
        user = request.param("userName")
        password = request.param("password")
        if user is None and password is None:
            user = request.headers.get("username")
            password = request.headers.get("password")
        if user is None and password is None:
            raise HttpError(401, "<p>Permission denied for request</p>", "application/json")
        if not self.sim.credentials_ok(user, password):
            raise HttpError(401, "<p>Authentication failure</p>", "application/json")

    @staticmethod
    def _method_not_allowed(request: Request) -> HttpError:
        return HttpError(405, f"Method {request.method} is not supported on "
                              f"/{'/'.join(request.parts)}.")

    def _require_node(self, request: Request) -> str:
        if len(request.parts) < 2 or not request.parts[1]:
            raise HttpError(400, "Invalid nodes and/or groups in noderange")
        node = request.parts[1]
        request.info["node"] = node
        if not self.sim.node_exists(node):
            raise HttpError(403, f"<p>Invalid nodes and/or groups in noderange: {node}</p>",
                            "application/json")
        return node

    # ------------------------------------------------------------------ tables
    def _tables(self, request: Request) -> list[Message]:
        sim = self.sim
        if len(request.parts) == 1:
            if request.method != "GET":
                raise self._method_not_allowed(request)
            with sim.lock:
                return [{"data": sorted(sim.tables.tables)}]
        name = request.parts[1]
        request.info["table"] = name
        if request.method == "GET":
            col = request.param("col")
            if col is None:
                with sim.lock:
                    return sim.tables.tabdump(name)
            value = request.param("value")
            if value is None and "=" in col:
                col, _, value = col.partition("=")
            attributes = request.params("attribute")
            if not attributes:
                raise HttpError(400, "No attribute was supplied.")
            with sim.lock:
                return sim.tables.gettab(name, col, value or "", attributes)
        if request.method == "PUT":
            strings = parse_body(request.body)
            if not strings:
                raise HttpError(400, "No set attribute was supplied.")
            with sim.lock:
                return sim.tables.tabch(perl_words(strings))
        raise self._method_not_allowed(request)

    # ------------------------------------------------------------------- nodes
    def _nodes(self, request: Request) -> list[Message]:
        sub = request.parts[2] if len(request.parts) > 2 else None
        if sub is None and request.method == "POST":
            return self._mkdef(request)
        node = self._require_node(request)
        if sub == "dsh":
            if request.method != "PUT":
                raise self._method_not_allowed(request)
            return self._dsh(request, node)
        if sub == "power":
            return self._power(request, node)
        if sub == "migrate":
            if request.method != "PUT":
                raise self._method_not_allowed(request)
            return self._migrate(request, node)
        if sub is not None:
            raise HttpError(404, f"Resource 'nodes/{sub}' does not exist")
        if request.method == "GET":
            return self._lsdef(node)
        if request.method == "DELETE":
            with self.sim.lock:
                for table in ("nodelist", "zvm", "hosts", "mac", "switch"):
                    self.sim.tables[table].delete({"node": node})
            return [{"info": ["1 object definitions have been removed."]}]
        if request.method == "PUT":
            strings = parse_body(request.body)
            if not strings:
                raise HttpError(400, "No set attribute was supplied.")
            with self.sim.lock:
                return self.sim.tables.tabch([f"node={node}", *strings])
        raise self._method_not_allowed(request)

    def _mkdef(self, request: Request) -> list[Message]:
        if len(request.parts) < 2 or not request.parts[1]:
            raise HttpError(400, "Invalid nodes and/or groups in noderange")
        node = request.parts[1]
        request.info["node"] = node
        attrs = _key_values(parse_body(request.body))
        tables = self.sim.tables
        with self.sim.lock:
            tables["nodelist"].delete({"node": node})
            tables["nodelist"].insert({"node": node, "groups": attrs.get("groups", "all")})
            if "userid" in attrs or "hcp" in attrs:
                tables["zvm"].delete({"node": node})
                tables["zvm"].insert({"node": node, "hcp": attrs.get("hcp"),
                                      "userid": attrs.get("userid")})
        return [{"info": ["1 object definitions have been created or modified."]}]

    def _lsdef(self, node: str) -> list[Message]:
        with self.sim.lock:
            zvm = self.sim.tables["zvm"].first_enabled("node", node) or {}
            listing = self.sim.tables["nodelist"].first_enabled("node", node) or {}
        lines = [f"Object name: {node}", f"    groups={listing.get('groups') or 'all'}"]
        if zvm.get("hcp"):
            lines.append(f"    hcp={zvm['hcp']}")
        lines.append("    mgt=zvm")
        if zvm.get("userid"):
            lines.append(f"    userid={zvm['userid']}")
        return [{"info": lines}]

    def _power(self, request: Request, node: str) -> list[Message]:
        sim = self.sim
        with sim.lock:
            found = sim.guest_of(node)
            if found is None:
                return [{"error": [f"{node}: (Error) no z/VM userid for this node"],
                         "errorcode": ["1"]}]
            model, guest = found
            if request.method == "PUT":
                action = (parse_body(request.body) or [""])[0]
                if action not in ("on", "off", "reset", "reboot"):
                    return [{"error": [f"{node}: (Error) unsupported power action {action!r}"],
                             "errorcode": ["1"]}]
                if action in ("off", "reset", "reboot") and guest.logged_on:
                    events.fire(model, "logoff", guest.userid)
                if action in ("on", "reset", "reboot") and not guest.logged_on:
                    events.fire(model, "logon", guest.userid)
            elif request.method != "GET":
                raise self._method_not_allowed(request)
            state = "on" if guest.logged_on else "off"
        return [{"info": [f"{node}: {state}\n"]}]

    def _migrate(self, request: Request, node: str) -> list[Message]:
        """``rmigrate <node> <operand>...`` as xcat-core 7733d16f8
        xCAT-server/lib/xcat/plugins/zvm.pm ``migrateVM`` runs it (zvmxcatws.cgi maps
        sub-resource ``migrate`` to ``rmigrate``, each body string one operand): smcli
        VMRELOCATE on the node's zHCP, then, after a MOVE without "Failed"/"Error" in
        its output, VMRELOCATE_Status until "No active relocations found" (up to 4
        tries; zvm.pm sleeps 10 s between them, here none) and ``nodech <node>
        zvm.hcp=<destination's zHCP> zvm.parent=<destination>``."""
        strings = parse_body(request.body)
        if not strings:
            raise HttpError(400, "No set attribute was supplied.")
        sim = self.sim
        userid, hcp = sim.node_userid(node), sim.node_hcp(node)
        if not hcp:
            return [error(f"{node}: (Error) Missing node HCP")]
        if not userid:
            return [error(f"{node}: (Error) Missing user ID")]
        command, destination, action = _migrate_command(userid, strings)
        request.info["function"] = "VMRELOCATE"
        if not action or not destination:
            return [error(f"{node}: (Error) One or more required operands was not specified: "
                          f"'action' or 'destination'.")]
        dest_hcp = None
        if re.search("MOVE", action, re.IGNORECASE):
            dest_hcp = sim.node_hcp(destination.lower()) or sim.node_hcp(destination.upper())
            if not dest_hcp:
                return [error(f"{node}: (Error) Failed to find zHCP of {destination}"),
                        {"info": [f"{node}: (Solution) Set the hcp appropriately in the zvm "
                                  f"table"]}]
        out = sim.dsh(hcp, "smcli " + command).stdout   # ssh's stdout, as backticks take it
        text = f"{node}: {out}"
        messages: list[Message] = [error(text) if re.search(r"\(error\)|failed", text, re.I)
                                   else {"info": [text]}]
        if dest_hcp is None or re.search("failed|error", out, re.IGNORECASE):
            return messages
        model = sim.system_of(hcp)
        status = (f"smcli VMRELOCATE_Status -T {model.zhcp_userid if model else 'ZHCP'} "
                  f"-k status_target={userid}")
        if any(re.search("No active relocations found", sim.dsh(hcp, status).stdout, re.I)
               for _try in range(4)):
            with sim.lock:
                table = sim.tables["zvm"]
                for pos in table.matching({"node": node}):
                    table.set_value(pos, "hcp", dest_hcp)
                    table.set_value(pos, "parent", destination)
        else:
            messages.append(error(f"{node}: (Error) Could not determine progress of relocation"))
        return messages

    def _dsh(self, request: Request, node: str) -> list[Message]:
        attrs = _key_values(parse_body(request.body))
        command = attrs.get("command")
        if not command:
            raise HttpError(400, "No command was supplied.")
        request.info["function"] = first_command(command)
        if not exec_accepts(xdsh_argument(node, command)):
            # ssh is never started (exec fails with E2BIG), whatever the node's state
            return [{"error": [XDSH_E2BIG], "errorcode": ["1"]}, {"errorcode": ["1"]}]
        with self.sim.counters.busy("dsh"):
            result = self.sim.dsh(node, command)
        messages: list[Message] = []
        if result.stdout:
            messages.append({"data": dshcore.stdout_chunks(node, result.stdout, result.status)})
        if result.stderr:
            messages.append({"error": dshcore.stderr_chunks(node, result.stderr),
                             "NoErrorPrefix": ["1"], "errorcode": ["0"]})
        messages.append({"errorcode": ["1" if result.status else "0"]})
        return messages

    # --------------------------------------------------------------------- vms
    def _vms(self, request: Request) -> list[Message]:
        node = self._require_node(request)
        sim = self.sim
        userid = sim.node_userid(node)
        hcp = sim.node_hcp(node)
        if not userid or not hcp:
            return [error(f"{node}: (Error) Missing node HCP or userid")]
        # The node's SMAPI calls run on the zHCP its zvm.hcp names (xcat-core 7733d16f8,
        # xCAT-server/lib/xcat/plugins/zvm.pm changeVM/powerVM: $propVals->{'hcp'}).
        if request.method == "GET":
            out = sim.dsh(hcp, f"smcli Image_Query_DM -T {userid}")
            if out.status:
                return [{"error": ["\n".join(f"{node}: {line}" for line in
                                             (out.stdout + out.stderr).splitlines())],
                         "errorcode": ["1"]}]
            lines = [ln for ln in out.stdout.splitlines() if not ln.startswith("*DVHOPT")]
            checknics = request.param("checknics")
            if checknics is not None:
                request.info["function"] = "checknics"
                pattern = re.compile(rf"NICDEF 0*{re.escape(checknics)} TYPE QDIO LAN SYSTEM ",
                                     re.IGNORECASE)
                found = [ln for ln in lines if pattern.search(ln)]
                if not found:
                    return [error(f"{node}: (Error) not able to find {checknics} in user "
                                  f"direct")]
                lines = found
            return [{"info": ["\n".join(f"{node}: {line}" for line in lines)]}]
        if request.method == "PUT":
            words = perl_words(parse_body(request.body))
            if not words or words[0] != "--smcli" or len(words) < 2:
                option = words[0] if words else ""
                return [error(f"{node}: (Error) Option not supported: {option}")]
            command = " ".join(words[1:]).replace("%userid%", userid)
            request.info["function"] = first_command("smcli " + command)
            out = sim.dsh(hcp, "smcli " + command)
            text = "\n".join(f"{node}: {line}" for line in (out.stdout + out.stderr).splitlines())
            if out.status:
                return [error(text)]
            return [{"info": [text]}]
        raise self._method_not_allowed(request)

    # ---------------------------------------------------------------- misc
    def _networks(self, request: Request) -> list[Message]:
        sub = request.parts[1] if len(request.parts) > 1 else ""
        if sub not in ("makehosts", "makedns"):
            raise HttpError(404, f"Resource 'networks/{sub}' does not exist")
        if request.method != "PUT":
            raise self._method_not_allowed(request)
        return []

    def _version(self, request: Request) -> list[Message]:
        if request.method != "GET":
            raise self._method_not_allowed(request)
        return [{"data": [self.sim.settings["version"]]}]


def parse_query(query_string: str) -> list[tuple[str, str]]:
    """The CGI's own parsing: split on ``&``, first ``=``, ``+`` is a space, %XX decoded."""
    return parse_qsl(query_string, keep_blank_values=True)


def header_map(environ: dict[str, Any]) -> dict[str, str]:
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = value
    return headers


def request_from_environ(environ: dict[str, Any], body: bytes) -> Request:
    path = environ.get("PATH_INFO", "")
    rest = path[len(PREFIX):].strip("/")
    parts = [p for p in rest.split("/")] if rest else []
    return Request(method=environ["REQUEST_METHOD"], parts=parts,
                   query=parse_query(environ.get("QUERY_STRING", "")),
                   headers=header_map(environ), body=body)
