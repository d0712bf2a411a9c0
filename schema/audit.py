"""The audit log: one entry per privileged change in an event, and its pages (read through
`Event.auditLog`)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

import models
from kernel.ids import encode
from resolvers.pagination import Page
from schema.fields import field
from schema.info import Info
from schema.node import PageInfo, page_edges
from schema.users import User, event_user


@strawberry.type(
    description="One privileged change in an event: who made it, when, and the fields it changed."
)
class AuditEntry:
    id: strawberry.ID
    at: datetime
    action: str = strawberry.field(
        description="What was done, as `domain.verb` (session.update, staff.reassign, badge.revoke, ...; listed in docs/organizers.md)."
    )
    subject_id: strawberry.ID | None = strawberry.field(
        description="Global id of the object changed (null when the change is of the whole event's data, as a retention run)."
    )
    before: JSON | None = strawberry.field(
        description="The changed fields as they were (null for a creation)."
    )
    after: JSON | None = strawberry.field(
        description="The changed fields as they became (null for a deletion)."
    )
    model: strawberry.Private[models.AuditEntry]

    @classmethod
    def from_model(cls, e: models.AuditEntry) -> AuditEntry:
        assert e.id is not None
        return cls(
            id=strawberry.ID(encode("AuditEntry", e.id)),
            at=e.at,
            action=e.action,
            subject_id=strawberry.ID(e.subject_id) if e.subject_id is not None else None,
            # JSON is Strawberry's name for any JSON value (the stored mapping itself).
            before=JSON(e.before) if e.before is not None else None,
            after=JSON(e.after) if e.after is not None else None,
            model=e,
        )

    @field(description="Who made the change (null for the operators' retention command).")
    def actor(self, info: Info) -> User | None:
        return event_user(info, self.model.actor_id, self.model.event_id)


@strawberry.type
class AuditEntryEdge:
    cursor: str
    node: AuditEntry


@strawberry.type(description="A page of audit entries, newest first.")
class AuditEntryConnection:
    page_info: PageInfo
    edges: list[AuditEntryEdge]
    total_count: int

    @classmethod
    def from_page(cls, page: Page[models.AuditEntry]) -> AuditEntryConnection:
        return cls(
            page_info=PageInfo.of(page),
            edges=page_edges(page, AuditEntryEdge, AuditEntry.from_model),
            total_count=page.total_count,
        )
