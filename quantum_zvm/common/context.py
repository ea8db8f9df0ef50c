"""Request context: who is calling (from identity headers or RPC ``_context_*`` keys)."""
from __future__ import annotations

import dataclasses
import datetime
from typing import Any


@dataclasses.dataclass
class Context:
    user_id: str | None = None
    tenant_id: str | None = None
    roles: list[str] = dataclasses.field(default_factory=list)
    is_admin: bool = False
    read_deleted: str = "no"
    request_id: str | None = None
    timestamp: datetime.datetime = dataclasses.field(
        default_factory=lambda: datetime.datetime.now(datetime.UTC))

    def __post_init__(self) -> None:
        if "admin" in (r.lower() for r in self.roles):
            self.is_admin = True

    @property
    def project_id(self) -> str | None:
        return self.tenant_id

    def to_dict(self) -> dict[str, Any]:
        """The fields as packed into RPC messages (``_context_<key>``)."""
        return {
            "user_id": self.user_id, "user": self.user_id,
            "tenant_id": self.tenant_id, "project_id": self.tenant_id,
            "tenant": self.tenant_id,
            "roles": list(self.roles), "is_admin": self.is_admin,
            "read_deleted": self.read_deleted, "request_id": self.request_id,
            "timestamp": self.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f"),
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Context:
        roles = values.get("roles") or []
        return cls(user_id=values.get("user_id") or values.get("user"),
                   tenant_id=values.get("tenant_id") or values.get("project_id")
                   or values.get("tenant"),
                   roles=[str(r) for r in roles] if isinstance(roles, list) else [],
                   is_admin=bool(values.get("is_admin")),
                   read_deleted=str(values.get("read_deleted") or "no"),
                   request_id=values.get("request_id"))


def get_admin_context() -> Context:
    return Context(is_admin=True, roles=["admin"])
