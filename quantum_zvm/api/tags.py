"""The ``/tags`` sub-resource of networks, subnets and ports (``standard-attr-tag``).

::

    GET     <collection>/<id>/tags          200 {"tags": [...]}
    PUT     <collection>/<id>/tags          200 {"tags": [...]}  body {"tags": [...]}: replace
    POST    <collection>/<id>/tags          201 {"tags": [...]}  body {"tags": [...]}: add
    DELETE  <collection>/<id>/tags          204                  remove all
    GET     <collection>/<id>/tags/<tag>    204, or 404 when the resource lacks it
    PUT     <collection>/<id>/tags/<tag>    201                  add one
    DELETE  <collection>/<id>/tags/<tag>    204, or 404 when the resource lacks it

under ``/v2.0/``.

As neutron/extensions/tagging.py answers (openstack/neutron
2131d26f73262ec89a5d3e3e0d65521df4908e65); the plugin side is
:class:`quantum_zvm.db.tags.TagsMixin`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import webob

from quantum_zvm.api import faults, validators
from quantum_zvm.common.context import Context

COLLECTIONS = frozenset({"networks", "subnets", "ports"})
SEGMENT = "tags"


def validate_tag(tag: Any) -> str:
    """One tag of a path (400 unless :func:`validators.tag` accepts it)."""
    if problem := validators.tag(tag):
        raise faults.bad_request(f"Invalid input for tag. Reason: {problem}.")
    return tag


def validate_tags(body: Any) -> list[str]:
    """The tags of a ``{"tags": [...]}`` body (400 unless :func:`validators.tags` accepts
    them)."""
    if not isinstance(body, dict) or set(body) != {"tags"}:
        raise faults.bad_request('Invalid tags body: expected {"tags": [<string>, ...]}')
    if problem := validators.tags(body["tags"]):
        raise faults.bad_request(f"Invalid input for tags. Reason: {problem}.")
    return body["tags"]


def handle(plugin: Any, request: webob.Request, ctx: Context, collection: str,
           resource_id: str, rest: list[str], body: Callable[[], Any],
           allow: Callable[[str, str], None], to_json: Callable[[int, Any], webob.Response]
           ) -> webob.Response:
    """Serve ``rest`` (``["tags"]`` or ``["tags", <tag>]``) of one resource."""
    method = request.method
    if collection not in COLLECTIONS or rest[0] != SEGMENT or len(rest) > 2:
        raise faults.not_found(f"The resource {request.path_info} does not exist")
    if len(rest) == 1:
        allow(method, "GET, PUT, POST, DELETE")
        if method == "GET":
            return to_json(200, {"tags": plugin.get_tags(ctx, collection, resource_id)})
        if method == "DELETE":
            plugin.delete_tags(ctx, collection, resource_id)
            return webob.Response(status=204)
        tags = validate_tags(body())
        result = plugin.update_tags(ctx, collection, resource_id, tags,
                                    replace=method == "PUT")
        return to_json(200 if method == "PUT" else 201, {"tags": result})
    tag = validate_tag(rest[1])
    allow(method, "GET, PUT, DELETE")
    if method == "GET":
        plugin.has_tag(ctx, collection, resource_id, tag)
        return webob.Response(status=204)
    if method == "PUT":
        plugin.update_tags(ctx, collection, resource_id, [tag], replace=False)
        return webob.Response(status=201)
    plugin.delete_tags(ctx, collection, resource_id, tag)
    return webob.Response(status=204)
