"""Options of the REST API ([DEFAULT] section of zvm_quantum_plugin.ini)."""
from __future__ import annotations

from oslo_config import cfg

API_OPTS = [
    cfg.BoolOpt("allow_bulk", default=True,
                help="Accept bulk creates ({\"networks\": [...]}) in one transaction."),
    cfg.BoolOpt("allow_pagination", default=True,
                help="Honour limit/marker/page_reverse on list requests."),
    cfg.BoolOpt("allow_sorting", default=True,
                help="Honour sort_key/sort_dir on list requests."),
    cfg.IntOpt("pagination_max_limit", default=-1, min=-1,
               help="Largest page a list request returns (-1: no limit)."),
    cfg.StrOpt("noauth_default_project", default="admin",
               help="With auth_strategy = noauth, a request without X-Project-Id / "
                    "X-Tenant-Id / X-Roles headers acts as an admin of this project "
                    "(what clients such as 'openstack --os-auth-type none' send)."),
]


def register(conf: cfg.ConfigOpts) -> None:
    """Register the API options on ``conf`` (idempotent)."""
    conf.register_opts(API_OPTS)


def list_opts() -> list[tuple[str | None, list[cfg.Opt]]]:
    """Entry point for oslo-config-generator (``oslo.config.opts``)."""
    return [(None, API_OPTS)]
