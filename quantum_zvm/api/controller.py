"""The generic resource controller: list, show, create (single and bulk), update, delete.

One :class:`Controller` serves one collection (networks, subnets, ports,
agents) by calling the plugin's Quantum v2 methods (``get_<collection>``,
``get_<resource>``, ``create_<resource>[_bulk]``, ``update_<resource>``,
``delete_<resource>``).  It turns request bodies into validated, converted
attribute dicts (attributes the client did not give stay
``ATTR_NOT_SPECIFIED`` unless the attribute map has a default), applies the
policy (:mod:`quantum_zvm.api.policy`), and turns plugin dicts into what the
caller may see, restricted to ``fields``.

Lists take filters (any attribute that is a plain column; repeated values OR
together; ``fixed_ips=ip_address=X`` / ``fixed_ips=subnet_id=Y`` on ports;
``tags``, ``tags-any``, ``not-tags``, ``not-tags-any`` on networks, subnets
and ports),
``fields``, ``sort_key``/``sort_dir`` and ``limit``/``marker``/``page_reverse``
with ``<collection>_links`` (``next`` when more items follow, ``previous``
when items precede).

After a successful single create/update/delete, the DHCP notifier (when the
application has one) gets ``notify(ctx, payload, "<resource>_<op>_end")``
with payload ``{"<resource>": <view>}`` for create/update and
``{"<resource>_id": id, "network_id": <network id>}`` for delete.  Bulk
creates are not notified (as in Quantum).

An update with ``If-Match: revision_number=N`` is applied only when the
resource is at revision N (412 otherwise; :mod:`quantum_zvm.db.standard_attrs`).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import webob

from quantum_zvm.api import attributes, faults, policy
from quantum_zvm.api.attributes import TENANT_ALIAS, TENANT_KEY, Attribute
from quantum_zvm.api.validators import INT_MAX, UUID_RE, ConversionError, to_boolean, to_int
from quantum_zvm.common import exceptions
from quantum_zvm.common.context import Context, get_admin_context
from quantum_zvm.db import standard_attrs, tags

LOG = logging.getLogger(__name__)

LIST_PARAMS = frozenset({"fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse"})
NOT_FOUND = {"network": exceptions.NetworkNotFound, "subnet": exceptions.SubnetNotFound,
             "port": exceptions.PortNotFound}


class Paging:
    """Validated ``limit``/``marker``/``page_reverse`` of a list request."""

    def __init__(self, limit: int | None, marker: str | None, page_reverse: bool):
        self.limit = limit
        self.marker = marker
        self.page_reverse = page_reverse


class Controller:
    """Serves one collection; see the module docstring."""

    def __init__(self, plugin: Any, collection: str, conf: Any,
                 notifier: Callable[[], Any] = lambda: None):
        self.plugin = plugin
        self.collection = collection
        self.resource, self.attr_map = attributes.RESOURCES[collection]
        self.conf = conf
        self._notifier = notifier
        # Agents are few; the plugin lists them whole and we sort/page here.
        self.native_paging = collection in attributes.TENANT_RESOURCES

    # ------------------------------------------------------------------ plugin calls

    def _call(self, verb: str, *args: Any, plural: bool = False, **kwargs: Any) -> Any:
        name = f"{verb}_{self.collection if plural else self.resource}"
        return getattr(self.plugin, name)(*args, **kwargs)

    # ------------------------------------------------------------------ views

    def _plugin_fields(self, fields: list[str]) -> list[str] | None:
        """What to ask the plugin for: the requested fields plus those the API needs."""
        if not fields:
            return None
        wanted = {TENANT_KEY if f == TENANT_ALIAS else f for f in fields}
        wanted &= set(self.attr_map)
        wanted.add("id")
        if TENANT_KEY in self.attr_map:
            wanted.add(TENANT_KEY)
        return sorted(wanted)

    def _viewer(self, ctx: Context, fields: list[str]) -> Callable[[dict], dict]:
        keys = policy.visible_keys(self.attr_map, ctx, fields)
        ordered = tuple(name for name in self.attr_map if name in keys)
        alias = TENANT_ALIAS in keys

        # Lists can hold tens of thousands of items: an item whose keys may all be
        # shown is shown as it is (the plugin builds a new dict for every call),
        # else the visible keys are picked.
        def view(item: dict) -> dict:
            shown = item if item.keys() <= keys else {k: item[k] for k in ordered if k in item}
            if alias and TENANT_KEY in item:
                shown[TENANT_ALIAS] = item[TENANT_KEY]
            return shown
        return view

    # ------------------------------------------------------------------ list / show

    def index(self, request: webob.Request, ctx: Context) -> dict:
        params = request.GET
        fields = _fields(params)
        if not policy.may_access_collection(ctx, self.collection):
            return {self.collection: []}
        filters = self._filters(ctx, params)
        sorts = self._sorts(ctx, params)
        paging = self._paging(params)
        if paging.limit is not None and not sorts:
            sorts = [("id", True)]
        plugin_fields = self._plugin_fields(fields)
        if self.native_paging:
            kwargs: dict[str, Any] = {"filters": filters, "fields": plugin_fields}
            if sorts:
                kwargs["sorts"] = sorts
            if paging.limit is not None:
                kwargs.update(limit=paging.limit + 1, marker=paging.marker,
                              page_reverse=paging.page_reverse)
            items = self._call("get", ctx, plural=True, **kwargs)
        else:
            items = self._call("get", ctx, filters=filters, fields=plugin_fields, plural=True)
            items = emulate_paging(items, sorts, paging)
        view = self._viewer(ctx, fields)
        result: dict[str, Any] = {}
        if paging.limit is not None:
            items, links = page_links(request, list(items), paging)
            result[f"{self.collection}_links"] = links
        result[self.collection] = [view(item) for item in items]
        return result

    def show(self, request: webob.Request, ctx: Context, id: str) -> dict:
        fields = _fields(request.GET)
        self._check_collection_access(ctx, id)
        item = self._call("get", ctx, id, fields=self._plugin_fields(fields))
        return {self.resource: self._viewer(ctx, fields)(item)}

    def _check_collection_access(self, ctx: Context, id: str) -> None:
        if not policy.may_access_collection(ctx, self.collection):
            raise exceptions.AgentNotFound(id=id)

    # ------------------------------------------------------------------ create

    def create(self, request: webob.Request, ctx: Context, body: Any) -> dict:
        if not isinstance(body, dict) or not body:
            raise faults.bad_request("Resource body required")
        if self.collection in body and self.resource not in body:
            return self._create_bulk(ctx, body)
        if self.resource not in body or len(body) != 1:
            raise faults.bad_request(f"Unable to find '{self.resource}' in request body")
        attrs = self._prepare_create(ctx, body[self.resource])
        self._check_create(ctx, attrs)
        obj = self._call("create", ctx, {self.resource: attrs})
        result = {self.resource: self._viewer(ctx, [])(obj)}
        self._notify(ctx, "create", result)
        return result

    def _create_bulk(self, ctx: Context, body: dict) -> dict:
        if not self.conf.allow_bulk:
            raise faults.bad_request("Bulk operation not supported")
        if len(body) != 1:
            raise faults.bad_request(f"Unable to find '{self.collection}' in request body")
        items = body[self.collection]
        if not isinstance(items, list) or not items:
            raise faults.bad_request(f"'{self.collection}' must be a non-empty list of "
                                     f"{self.resource} objects")
        prepared = []
        for item in items:
            if not isinstance(item, dict):
                raise faults.bad_request(f"every entry of '{self.collection}' must be an object")
            # Accept both [{...}] and [{"network": {...}}] entries.
            if set(item) == {self.resource} and isinstance(item[self.resource], dict):
                item = item[self.resource]
            attrs = self._prepare_create(ctx, item)
            self._check_create(ctx, attrs)
            prepared.append({self.resource: attrs})
        objs = getattr(self.plugin, f"create_{self.resource}_bulk")(
            ctx, {self.collection: prepared})
        view = self._viewer(ctx, [])
        return {self.collection: [view(obj) for obj in objs]}

    def _prepare_create(self, ctx: Context, item: Any) -> dict:
        """Validated, converted and defaulted attributes of one resource to create."""
        if not isinstance(item, dict):
            raise faults.bad_request(f"'{self.resource}' must be an object")
        item = self._resolve_tenant_alias(item)
        self._reject_unknown(item)
        attrs: dict[str, Any] = {}
        for name, attr in self.attr_map.items():
            if name in item:
                if not attr.allow_post:
                    raise faults.bad_request(f"Attribute '{name}' not allowed in POST")
                attrs[name] = _convert_and_validate(name, attr, item[name])
            elif attr.required:
                if name != TENANT_KEY:
                    raise faults.bad_request(
                        f"Failed to parse request. Required attribute '{name}' not specified")
                if ctx.tenant_id is None:
                    raise faults.bad_request(
                        "Running without keystone AuthN requires that tenant_id is specified")
                attrs[name] = ctx.tenant_id
            elif attr.allow_post:
                attrs[name] = attr.default
        return attrs

    def _check_create(self, ctx: Context, attrs: dict) -> None:
        policy.check_create(ctx, self.resource, self.attr_map, attrs)
        if self.resource == "port" and policy.needs_network_owner(ctx, attrs):
            policy.check_port_network_owner(ctx, "create", attrs,
                                            self._network_owner(attrs["network_id"]))

    def _network_owner(self, network_id: str) -> dict:
        return self.plugin.get_network(get_admin_context(), network_id,
                                       fields=["id", TENANT_KEY])

    # ------------------------------------------------------------------ update / delete

    def update(self, request: webob.Request, ctx: Context, id: str, body: Any) -> dict:
        if not isinstance(body, dict) or set(body) != {self.resource}:
            raise faults.bad_request(f"Unable to find '{self.resource}' in request body")
        attrs = self._prepare_update(body[self.resource])
        self._check_collection_access(ctx, id)
        orig = self._call("get", ctx, id)
        policy.check_update(ctx, self.resource, self.attr_map, orig, attrs)
        if self.resource == "port" and policy.needs_network_owner(ctx, attrs):
            policy.check_port_network_owner(ctx, "update", attrs,
                                            self._network_owner(orig["network_id"]))
        obj = self._call("update", ctx, id, {self.resource: attrs},
                         **self._revision_constraint(request))
        result = {self.resource: self._viewer(ctx, [])(obj)}
        self._notify(ctx, "update", result)
        return result

    def _prepare_update(self, item: Any) -> dict:
        if not isinstance(item, dict):
            raise faults.bad_request(f"'{self.resource}' must be an object")
        self._reject_unknown(item)
        attrs = {}
        for name, value in item.items():
            if name == TENANT_ALIAS:
                name = TENANT_KEY
            attr = self.attr_map[name]
            if not attr.allow_put:
                raise faults.bad_request(f"Cannot update read-only attribute {name}")
            attrs[name] = _convert_and_validate(name, attr, value)
        return attrs

    def delete(self, request: webob.Request, ctx: Context, id: str) -> None:
        self._check_collection_access(ctx, id)
        constraint = self._revision_constraint(request)
        if self.resource == "port":
            # The plugin deletes only the caller's own ports and returns the port it read.
            network_id = self._call("delete", ctx, id, **constraint)["network_id"]
        else:
            orig = self._call("get", ctx, id)
            policy.check_modify(ctx, self.resource, orig)
            self._call("delete", ctx, id, **constraint)
            network_id = id if self.resource == "network" else orig.get("network_id")
        self._notify(ctx, "delete", {f"{self.resource}_id": id, "network_id": network_id})

    # ------------------------------------------------------------------ helpers

    def _revision_constraint(self, request: webob.Request) -> dict[str, Any]:
        """``{"if_revision": N}`` for ``If-Match: revision_number=N`` on a resource with
        standard attributes: an update or delete of another revision is a 412, as in
        neutron (its pecan hook sets the constraint whatever the method)."""
        if self.collection not in attributes.TENANT_RESOURCES:
            return {}
        revision = standard_attrs.parse_if_match(request.if_match.etags
                                                 if request.if_match else ())
        return {} if revision is None else {"if_revision": revision}

    def _notify(self, ctx: Context, op: str, payload: dict) -> None:
        notifier = self._notifier()
        if notifier is None or self.collection not in attributes.TENANT_RESOURCES \
                or not self.conf.dhcp_agent_notification:
            return
        event = f"{self.resource}_{op}_end"
        try:
            notifier.notify(ctx, payload, event)
        except Exception:  # noqa: BLE001 - the change is committed; agents resync
            LOG.exception("DHCP agent notification %s failed", event)

    def _resolve_tenant_alias(self, item: dict) -> dict:
        if TENANT_ALIAS not in item or TENANT_KEY not in self.attr_map:
            return item
        item = dict(item)
        project = item.pop(TENANT_ALIAS)
        if TENANT_KEY in item and item[TENANT_KEY] != project:
            raise faults.bad_request("'project_id' and 'tenant_id' do not match")
        item[TENANT_KEY] = project
        return item

    def _reject_unknown(self, item: dict) -> None:
        known = set(self.attr_map)
        if TENANT_KEY in known:
            known.add(TENANT_ALIAS)
        unknown = [k for k in item if k not in known]
        if unknown:
            raise faults.bad_request(f"Unrecognized attribute(s) '{', '.join(unknown)}'")

    def _filters(self, ctx: Context, params: webob.multidict.MultiDict) -> dict:
        filters: dict[str, Any] = {}
        for key in dict.fromkeys(params.keys()):
            if key in LIST_PARAMS:
                continue
            values = [v for v in params.getall(key) if v != ""]
            if key in tags.FILTERS and self.collection in attributes.TENANT_RESOURCES:
                if tag_values := tags.filter_values(values):
                    filters[key] = tag_values
                continue
            name = TENANT_KEY if key == TENANT_ALIAS else key
            attr = self.attr_map.get(name)
            if not values or attr is None or not attr.is_visible or (
                    attr.admin_view and not ctx.is_admin):
                continue
            if name == "fixed_ips" and self.resource == "port":
                filters[name] = _fixed_ips_filter(values)
            elif attr.column:
                filters[name] = [_convert_filter(name, attr, value) for value in values]
        return filters

    def _sorts(self, ctx: Context, params: webob.multidict.MultiDict) -> list[tuple[str, bool]]:
        keys = params.getall("sort_key")
        dirs = params.getall("sort_dir")
        if not self.conf.allow_sorting or not keys:
            return []
        if dirs and len(dirs) != len(keys):
            raise faults.bad_request("The number of sort_keys and sort_dirs must be the same")
        sorts = []
        for position, key in enumerate(keys):
            name = TENANT_KEY if key == TENANT_ALIAS else key
            attr = self.attr_map.get(name)
            if attr is None or not attr.column or not attr.is_visible or (
                    attr.admin_view and not ctx.is_admin):
                raise faults.bad_request(f"'{key}' is an invalid attribute for sort_key")
            direction = dirs[position] if dirs else "asc"
            if direction not in ("asc", "desc"):
                raise faults.bad_request(f"'{direction}' is an invalid value for sort_dir "
                                         "(asc or desc)")
            sorts.append((name, direction == "asc"))
        if "id" not in (name for name, _ in sorts):
            sorts.append(("id", True))
        return sorts

    def _paging(self, params: webob.multidict.MultiDict) -> Paging:
        if not self.conf.allow_pagination:
            return Paging(None, None, False)
        max_limit = self.conf.pagination_max_limit
        limit = _limit(params.get("limit"))
        if max_limit > 0 and (limit is None or limit > max_limit):
            limit = max_limit
        marker = params.get("marker") or None
        if marker is not None and not UUID_RE.match(marker):
            raise faults.bad_request(f"Invalid input for marker. Reason: '{marker}' is not a "
                                     "valid UUID.")
        try:
            page_reverse = to_boolean(params.get("page_reverse", "false"))
        except ConversionError as exc:
            raise faults.bad_request(
                f"Invalid input for page_reverse. Reason: {exc}.") from None
        if limit is None:
            return Paging(None, None, False)
        return Paging(limit, marker, page_reverse)


# --------------------------------------------------------------------------- pure helpers

def _limit(raw: str | None) -> int | None:
    """The ``limit`` parameter; None when absent, empty or 0 (no limit)."""
    if raw in (None, ""):
        return None
    try:
        limit = to_int(raw)
    except ConversionError:
        limit = -1
    if limit < 0:
        raise faults.bad_request(f"Bad limit request: Limit must be an integer from 0 to "
                                 f"{INT_MAX} and not '{raw}'")
    return limit or None


def _fields(params: webob.multidict.MultiDict) -> list[str]:
    return [f for f in params.getall("fields") if f]


def _convert_and_validate(name: str, attr: Attribute, value: Any) -> Any:
    if attr.convert is not None:
        try:
            value = attr.convert(value)
        except ConversionError as exc:
            raise faults.bad_request(f"Invalid input for {name}. Reason: {exc}.") from None
    if attr.validate is not None:
        reason = attr.validate(value)
        if reason:
            raise faults.bad_request(f"Invalid input for {name}. Reason: {reason}.")
    return value


def _convert_filter(name: str, attr: Attribute, value: str) -> Any:
    if attr.convert is None:
        return value
    try:
        return attr.convert(value)
    except ConversionError as exc:
        raise faults.bad_request(f"Invalid filter {name}={value}: {exc}") from None


def _fixed_ips_filter(values: list[str]) -> dict[str, list[str]]:
    """``fixed_ips=ip_address=X`` / ``fixed_ips=subnet_id=Y`` into ``{key: [values]}``."""
    result: dict[str, list[str]] = {}
    for value in values:
        key, sep, wanted = value.partition("=")
        if not sep or key not in ("ip_address", "subnet_id") or not wanted:
            raise faults.bad_request(f"Invalid filter fixed_ips={value}: expected "
                                     "fixed_ips=ip_address=<ip> or fixed_ips=subnet_id=<id>")
        result.setdefault(key, []).append(wanted)
    return result


def _sort_value(value: Any) -> tuple:
    """Sort key that orders None first and never compares unlike types."""
    return (value is not None, str(type(value)), value if value is not None else 0)


def emulate_paging(items: list[dict], sorts: list[tuple[str, bool]], paging: Paging) -> list:
    """Sort and page a whole list the way the plugin does it natively (limit + 1 items)."""
    items = list(items)
    for key, ascending in reversed(sorts):
        items.sort(key=lambda item: _sort_value(item.get(key)), reverse=not ascending)
    if paging.limit is None:
        return items
    if paging.marker is not None:
        ids = [item.get("id") for item in items]
        if paging.marker in ids:
            at = ids.index(paging.marker)
            items = items[:at] if paging.page_reverse else items[at + 1:]
    if paging.page_reverse:
        return items[-(paging.limit + 1):]
    return items[:paging.limit + 1]


def page_links(request: webob.Request, items: list[dict],
               paging: Paging) -> tuple[list[dict], list[dict]]:
    """Trim the extra item the plugin was asked for and build ``next``/``previous`` links.

    Items are in display order.  Forward pages have a ``next`` link when more
    items follow and a ``previous`` link when a marker was given; reverse
    pages mirror that.
    """
    limit = paging.limit
    if limit is None:
        return items, []
    more = len(items) > limit
    if more:
        items = items[1:] if paging.page_reverse else items[:limit]
    links = []
    has_next = more if not paging.page_reverse else paging.marker is not None
    has_previous = more if paging.page_reverse else paging.marker is not None
    if items and has_next:
        links.append({"rel": "next", "href": _page_href(request, limit, items[-1]["id"],
                                                        False)})
    if items and has_previous:
        links.append({"rel": "previous", "href": _page_href(request, limit, items[0]["id"],
                                                            True)})
    return items, links


def _page_href(request: webob.Request, limit: int, marker: str, reverse: bool) -> str:
    params = [(k, v) for k, v in request.GET.items()
              if k not in ("limit", "marker", "page_reverse")]
    params += [("limit", str(limit)), ("marker", marker)]
    if reverse:
        params.append(("page_reverse", "True"))
    return f"{request.path_url}?{urlencode(params)}"
