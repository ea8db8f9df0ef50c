"""The ``/tags`` sub-resource of networks, subnets and ports (``standard-attr-tag``).

::

    GET     /v2.0/<collection>/<id>/tags            200 {"tags": [...]}
    PUT     /v2.0/<collection>/<id>/tags            200 {"tags": [...]}  body {"tags": [...]}: replace
    POST    /v2.0/<collection>/<id>/tags            201 {"tags": [...]}  body {"tags": [...]}: add
    DELETE  /v2.0/<collection>/<id>/tags            204                  remove all
    GET     /v2.0/<collection>/<id>/tags/<tag>      204, or 404 when the resource lacks it
    PUT     /v2.0/<collection>/<id>/tags/<tag>      201                  add one
    DELETE  /v2.0/<collection>/<id>/tags/<tag>      204, or 404 when the resource lacks it

As neutron/extensions/tagging.py answers (openstack/neutron
2131d26f73262ec89a5d3e3e0d65521df4908e65); the plugin side is
:class:`quantum_zvm.db.tags.TagsMixin`.
"""
from __future__ import annotations

from typing import Any, Callable

import webob

from quantum_zvm.api import faults, validators
from quantum_zvm.common.context import Context
from quantum_zvm.db.tags import MAX_TAG_LEN, check_limit

COLLECTIONS = frozenset({"networks", "subnets", "ports"})
SEGMENT = "tags"


def validate_tag(tag: Any) -> str:
    """One tag: a storable string of 1 to 255 characters (400 otherwise)."""
    if problem := validators.string(MAX_TAG_LEN)(tag):
        raise faults.bad_request(f"Invalid input for tag. Reason: {problem}.")
    if tag == "":
        raise faults.bad_request("Invalid input for tag. Reason: a tag may not be empty.")
    return tag


def validate_tags(body: Any) -> list[str]:
    """The tags of a ``{"tags": [...]}`` body: unique, valid, at most 50 (400 otherwise)."""
    if not isinstance(body, dict) or set(body) != {"tags"} or not isinstance(body["tags"], list):
        raise faults.bad_request('Invalid tags body: expected {"tags": [<string>, ...]}')
    tags = [validate_tag(tag) for tag in body["tags"]]
    if len(set(tags)) != len(tags):
        raise faults.bad_request("Invalid input for tags. Reason: duplicate items in the list.")
    check_limit(tags)
    return tags


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
