"""Fault injection: latencies, SMAPI worker limits and failure rules.

Configured through ``POST /_sim/faults`` (JSON) or :meth:`Faults.configure`:

```
{"profile": "realistic",                           # the figures below at once ("zero")
 "rest_latency": {"fixed": 0.2, "jitter": 0.05},   # seconds per /xcatws request
 "smcli_latency": 0.05,                            # per smcli (SMAPI) call
 "dirmaint_latency": 1.0,                          # more per *_DM call, one at a time
 "smapi_workers": 2,                               # concurrent SMAPI calls; more queue
 "cgi_timeout": 60,                                # Apache Timeout; null: none
 "rules": [
   {"kind": "http_error", "status": 503, "count": 2, "match": {"resource": "nodes/dsh"}},
   {"kind": "truncate", "match": {"table": "switch"}},     # half the body, then close
   {"kind": "non_json"},                                   # 200 with an HTML error page
   {"kind": "reset", "probability": 0.1},                  # TCP RST, no response
   {"kind": "timeout", "seconds": 30},                     # hold, then close silently
   {"kind": "outage", "duration": 10, "start_in": 0, "mode": "503"},   # or "reset"
   {"kind": "smapi", "function": "Virtual_Network_Vswitch_Set_Extended",
    "userid": "LINUX01", "zhcp": "zhcp1", "rc": 396, "rs": 2838, "count": 1},
   {"kind": "dsh_unreachable", "node": "zhcp1", "count": 1}]}   # ssh exit 255
```

``match`` keys (all optional): ``method``, ``resource`` (``tables``,
``nodes/dsh``, ``vms``, ...), ``table``, ``node``, ``function`` (first smcli
function of a dsh command).  ``count`` (default unlimited) is decremented on
every hit and the rule disappears at 0; ``probability`` (default 1) uses the
simulator's seeded random generator, as does latency jitter, so the same seed
gives the same sequence.

``cgi_timeout`` is Apache's ``Timeout`` in front of the CGI: 60 s unless set
(:data:`DEFAULT_CGI_TIMEOUT`), also after :meth:`Faults.clear`; see ``app.py``.

A ``*_DM`` function goes through DirMaint, one virtual machine that handles
one request at a time: its ``dirmaint_latency`` is spent holding one lock,
whatever the worker count.  Each z/VM system has its own SMAPI servers and
DirMaint: ``smapi_workers`` and the DirMaint lock count per zHCP (a smapi
rule's ``zhcp`` limits it to one system).  ``profile`` sets every latency and the worker
count from :data:`PROFILES` (keys given beside it win).
"""
from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import EllipsisType
from typing import Any, NamedTuple

from xcat import smcli

KINDS = ("http_error", "truncate", "non_json", "reset", "timeout", "outage", "smapi",
         "dsh_unreachable")
MATCH_KEYS = ("method", "resource", "table", "node", "function")
# Apache httpd 2.4 DEFAULT_TIMEOUT (include/httpd.h, tag 2.4.6, 7650f0ca8); RHEL 6's
# httpd 2.2 ships "Timeout 60" in httpd.conf (2.2's compiled-in default is 300).
DEFAULT_CGI_TIMEOUT = 60.0


# The "realistic" profile, per figure (README "Latency profiles"):
# - rest_latency: no measured figure was found; zvmxcatws.cgi is a Perl CGI
#   (a process per request) talking to xcatd over SSL, and xdsh opens an ssh
#   session to the zHCP for every dsh request: 0.5 s +- 0.2 is an estimate.
#   (networking-zvm config.py 1c3163b waits up to zvm_xcat_timeout = 300 s.)
# - smcli_latency: a SMAPI call through the request and worker servers that
#   issues a CP command or query: 0.3 s +- 0.1, an estimate (feilong
#   issue #901 measured 1-2 s for *directory* queries, counted below).
# - dirmaint_latency: DirMaint waits DVHWAIT_BATCH_INTERVAL (1 s by default)
#   between requests (IBM "Tuning DirMaint Performance", vm.ibm.com/related/
#   dirmaint/dirmperf.html); feilong #901: "SMAPI guest directory queries is
#   1-2 seconds per request": 1.0 s +- 0.3 more per *_DM call, serialized.
# - smapi_workers: 3, the worker servers VSMWORK1..3 of a standard SMAPI
#   (vm.ibm.com/service/news/smaprob.html; xcat-core zvm.pm --resetsmapi).
PROFILES: dict[str, dict[str, Any]] = {
    "zero": {"rest_latency": 0.0, "smcli_latency": 0.0, "dirmaint_latency": 0.0,
             "smapi_workers": None},
    "realistic": {"rest_latency": {"fixed": 0.5, "jitter": 0.2},
                  "smcli_latency": {"fixed": 0.3, "jitter": 0.1},
                  "dirmaint_latency": {"fixed": 1.0, "jitter": 0.3},
                  "smapi_workers": 3},
}


class FaultError(ValueError):
    """A fault specification that cannot be applied (bad kind, value...)."""


@dataclass
class Latency:
    fixed: float = 0.0
    jitter: float = 0.0

    def to_dict(self) -> dict[str, float]:
        return {"fixed": self.fixed, "jitter": self.jitter}


@dataclass
class Rule:
    id: int
    kind: str
    match: dict[str, str] = field(default_factory=dict)
    count: int | None = None
    probability: float = 1.0
    params: dict[str, Any] = field(default_factory=dict)
    hits: int = 0
    ends_at: float | None = None        # outage window (monotonic clock)
    starts_at: float | None = None

    def outage_window(self) -> tuple[float, float]:
        """An outage's (start, end) on the monotonic clock."""
        assert self.starts_at is not None and self.ends_at is not None, \
            "Faults sets the window of an outage rule when it adds the rule"
        return self.starts_at, self.ends_at

    def to_dict(self) -> dict[str, Any]:
        data = {"id": self.id, "kind": self.kind, "match": self.match, "count": self.count,
                "probability": self.probability, "hits": self.hits, **self.params}
        if self.kind == "outage":
            starts_at, ends_at = self.outage_window()
            now = time.monotonic()
            data["active"] = starts_at <= now < ends_at
            data["remaining"] = max(0.0, round(ends_at - now, 3))
        return data


def _number(value: Any, where: str, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise FaultError(f"{where}: expected a number >= {minimum}")
    return float(value)


def _latency(value: Any, where: str) -> Latency:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Latency(fixed=_number(value, where))
    if isinstance(value, dict):
        unknown = set(value) - {"fixed", "jitter"}
        if unknown:
            raise FaultError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        return Latency(fixed=_number(value.get("fixed", 0), f"{where}.fixed"),
                       jitter=_number(value.get("jitter", 0), f"{where}.jitter"))
    raise FaultError(f"{where}: expected seconds or {{fixed, jitter}}")


SETTINGS = ("profile", "rest_latency", "smcli_latency", "dirmaint_latency", "smapi_workers",
            "cgi_timeout", "rules")
# The latency settings, named as the Faults attributes they set.
LATENCIES = ("rest_latency", "smcli_latency", "dirmaint_latency")


def _with_profile(spec: Any) -> dict[str, Any]:
    """The specification, its keys checked, over the figures of its profile."""
    if not isinstance(spec, dict):
        raise FaultError("faults: expected a JSON object")
    unknown = set(spec) - set(SETTINGS)
    if unknown:
        raise FaultError(f"faults: unknown key {sorted(unknown)[0]!r}")
    if "profile" in spec:
        if spec["profile"] not in PROFILES:
            raise FaultError(f"profile: expected one of {', '.join(PROFILES)}")
        spec = {**PROFILES[spec["profile"]], **spec}
    return spec


def _smapi_workers_value(spec: dict[str, Any]) -> int | None | EllipsisType:
    """``smapi_workers``: a positive count, None (no limit) or ``...`` (not given)."""
    workers = spec.get("smapi_workers", ...)
    if workers is ... or workers is None:
        return workers
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise FaultError("smapi_workers: expected a positive integer or null")
    return workers


def _cgi_timeout_value(spec: dict[str, Any]) -> float | None | EllipsisType:
    """``cgi_timeout``: seconds, None (no timeout) or ``...`` (not given)."""
    cgi_timeout = spec.get("cgi_timeout", ...)
    if cgi_timeout is ... or cgi_timeout is None:
        return cgi_timeout
    return _number(cgi_timeout, "cgi_timeout", minimum=0.001)


def _count(value: Any, where: str) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or value < 1):
        raise FaultError(f"{where}.count: expected a positive integer")
    return value


def _http_error_params(spec: dict[str, Any], where: str) -> dict[str, Any]:
    status = spec.get("status", 500)
    if not isinstance(status, int) or not 400 <= status <= 599:
        raise FaultError(f"{where}.status: expected an HTTP error status 400-599")
    return {"status": status}


def _timeout_params(spec: dict[str, Any], where: str) -> dict[str, Any]:
    return {"seconds": _number(spec.get("seconds", 30), f"{where}.seconds")}


def _outage_params(spec: dict[str, Any], where: str) -> dict[str, Any]:
    params = {"duration": _number(spec.get("duration", 10), f"{where}.duration"),
              "start_in": _number(spec.get("start_in", 0), f"{where}.start_in")}
    mode = spec.get("mode", "503")
    if mode not in ("503", "reset"):
        raise FaultError(f"{where}.mode: expected 503 or reset")
    return {**params, "mode": mode}


def _smapi_params(spec: dict[str, Any], where: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key in ("rc", "rs"):
        value = spec.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise FaultError(f"{where}.{key}: expected an integer")
        params[key] = value
    if spec.get("function") is not None:
        params["function"] = str(spec["function"])
    if spec.get("userid") is not None:
        params["userid"] = str(spec["userid"]).upper()
    if spec.get("zhcp") is not None:
        params["zhcp"] = str(spec["zhcp"])
    return params


def _dsh_unreachable_params(spec: dict[str, Any], _where: str) -> dict[str, Any]:
    return {"node": str(spec["node"])} if spec.get("node") is not None else {}


class _KindParams(NamedTuple):
    parse: Callable[[dict[str, Any], str], dict[str, Any]]
    keys: frozenset[str]            # the keys a rule of the kind may have beside RULE_KEYS


RULE_KEYS = frozenset({"kind", "match", "count", "probability"})
# The kinds with parameters of their own (truncate, non_json and reset have none).
KIND_PARAMS: dict[str, _KindParams] = {
    "http_error": _KindParams(_http_error_params, frozenset({"status"})),
    "timeout": _KindParams(_timeout_params, frozenset({"seconds"})),
    "outage": _KindParams(_outage_params, frozenset({"duration", "start_in", "mode"})),
    "smapi": _KindParams(_smapi_params, frozenset({"rc", "rs", "function", "userid", "zhcp"})),
    "dsh_unreachable": _KindParams(_dsh_unreachable_params, frozenset({"node"})),
}


def _rule(spec: Any, where: str) -> Rule:
    """One entry of ``rules`` as a Rule (its id is given when it is added)."""
    if not isinstance(spec, dict):
        raise FaultError(f"{where}: expected an object")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise FaultError(f"{where}.kind: expected one of {', '.join(KINDS)}")
    match = spec.get("match", {}) or {}
    if not isinstance(match, dict) or set(match) - set(MATCH_KEYS):
        raise FaultError(f"{where}.match: keys are {', '.join(MATCH_KEYS)}")
    count = _count(spec.get("count"), where)
    probability = _number(spec.get("probability", 1.0), f"{where}.probability")
    if probability > 1:
        raise FaultError(f"{where}.probability: expected 0..1")
    own = KIND_PARAMS.get(kind)
    params = own.parse(spec, where) if own else {}
    unknown = set(spec) - RULE_KEYS - (own.keys if own else frozenset())
    if unknown:
        raise FaultError(f"{where}: unknown key {sorted(unknown)[0]!r} for {kind}")
    return Rule(id=0, kind=kind, match={k: str(v) for k, v in match.items()}, count=count,
                probability=probability, params=params)


_Busy = Callable[[], contextlib.AbstractContextManager[None]]


class Faults:
    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.rest_latency = Latency()
        self.smcli_latency = Latency()
        self.dirmaint_latency = Latency()
        self.smapi_workers: int | None = None
        # Per z/VM system (zHCP node): its DirMaint, its worker servers.
        self._dirmaint: dict[str, threading.Lock] = {}
        self._workers: dict[str, threading.BoundedSemaphore] = {}
        self.cgi_timeout: float | None = DEFAULT_CGI_TIMEOUT
        self.rules: list[Rule] = []
        self._next_id = 1

    # --------------------------------------------------------------- settings
    def configure(self, spec: Any) -> dict[str, Any]:
        """Apply a JSON fault specification (validated entirely before anything changes)."""
        spec = _with_profile(spec)
        latencies = {name: _latency(spec[name], name) for name in LATENCIES if name in spec}
        workers = _smapi_workers_value(spec)
        cgi_timeout = _cgi_timeout_value(spec)
        rules_spec = spec.get("rules", [])
        if not isinstance(rules_spec, list):
            raise FaultError("rules: expected a list")
        new_rules = [_rule(r, f"rules[{n}]") for n, r in enumerate(rules_spec)]
        with self.lock:
            for name, latency in latencies.items():
                setattr(self, name, latency)
            if cgi_timeout is not ...:
                self.cgi_timeout = cgi_timeout
            if workers is not ...:
                self.smapi_workers = workers
                self._workers = {}
            for rule in new_rules:
                self._add(rule)
        return self.to_dict()

    def _add(self, rule: Rule) -> None:
        """Number a new rule and start an outage's window (under ``lock``)."""
        rule.id = self._next_id
        self._next_id += 1
        if rule.kind == "outage":
            now = time.monotonic()
            rule.starts_at = now + rule.params["start_in"]
            rule.ends_at = rule.starts_at + rule.params["duration"]
        self.rules.append(rule)

    def clear(self) -> None:
        with self.lock:
            self.rest_latency = Latency()
            self.smcli_latency = Latency()
            self.dirmaint_latency = Latency()
            self.smapi_workers = None
            self._workers = {}
            self.cgi_timeout = DEFAULT_CGI_TIMEOUT
            self.rules = []

    def to_dict(self) -> dict[str, Any]:
        with self.lock:
            self._expire()
            return {"rest_latency": self.rest_latency.to_dict(),
                    "smcli_latency": self.smcli_latency.to_dict(),
                    "dirmaint_latency": self.dirmaint_latency.to_dict(),
                    "smapi_workers": self.smapi_workers,
                    "cgi_timeout": self.cgi_timeout,
                    "rules": [r.to_dict() for r in self.rules]}

    # ------------------------------------------------------------------ use
    def _work(self, function: str, system: str) -> None:
        delay = self._delay(self.smcli_latency)
        if delay:
            time.sleep(delay)
        if smcli.goes_through_dirmaint(function):
            directory = self._delay(self.dirmaint_latency)
            if directory:
                with self.lock:
                    dirmaint = self._dirmaint.setdefault(system, threading.Lock())
                with dirmaint:
                    time.sleep(directory)

    def _worker_servers(self, system: str) -> threading.BoundedSemaphore | None:
        """The SMAPI worker servers of ``system`` (None: no limit)."""
        with self.lock:
            if self.smapi_workers is None:
                return None
            if system not in self._workers:
                self._workers[system] = threading.BoundedSemaphore(self.smapi_workers)
            return self._workers[system]

    def _expire(self) -> None:
        now = time.monotonic()
        self.rules = [r for r in self.rules
                      if (r.count is None or r.count > 0)
                      and (r.ends_at is None or now < r.ends_at)]

    def _delay(self, latency: Latency) -> float:
        if not latency.fixed and not latency.jitter:
            return 0.0
        with self.lock:
            jitter = self.rng.uniform(-latency.jitter, latency.jitter) if latency.jitter else 0.0
        return max(0.0, latency.fixed + jitter)

    def rest_delay(self) -> float:
        return self._delay(self.rest_latency)

    def take(self, kinds: tuple[str, ...], **context: str) -> Rule | None:
        """The first rule of one of ``kinds`` matching ``context``; counts the hit."""
        if not self.rules:
            return None
        with self.lock:
            self._expire()
            now = time.monotonic()
            for rule in self.rules:
                if rule.kind not in kinds:
                    continue
                if rule.kind == "outage" and now < rule.outage_window()[0]:
                    continue
                if any(context.get(k) != v for k, v in rule.match.items()):
                    continue
                if rule.kind == "smapi" and not self._smapi_matches(rule, context):
                    continue
                if rule.kind == "dsh_unreachable" and rule.params.get("node") not in (
                        None, context.get("node")):
                    continue
                if rule.probability < 1 and self.rng.random() >= rule.probability:
                    continue
                rule.hits += 1
                if rule.count is not None:
                    rule.count -= 1
                return rule
        return None

    @staticmethod
    def _smapi_matches(rule: Rule, context: dict[str, str]) -> bool:
        return all(rule.params.get(key) in (None, context.get(name)) for key, name in
                   (("function", "smapi_function"), ("userid", "userid"), ("zhcp", "zhcp")))

    def smapi_call(self, function: str, userid: str, system: str,
                   busy: _Busy = contextlib.nullcontext) -> tuple[int, int] | None:
        """Wait for a worker of ``system``'s SMAPI (a zHCP node), the call's latency and,
        for a directory function, DirMaint's (``busy`` is entered while a worker holds
        the call); an injected (rc, rs) or None."""
        workers = self._worker_servers(system)
        with workers or contextlib.nullcontext(), busy():
            self._work(function, system)
        rule = self.take(("smapi",), smapi_function=function, userid=userid, zhcp=system)
        return (rule.params["rc"], rule.params["rs"]) if rule else None
