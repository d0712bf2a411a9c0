"""GraphQL types of what scanning records: exposant visits and the room scan log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import strawberry

import models
from kernel.ids import encode
from permissions import Subject, subjects
from resolvers.pagination import Page
from schema.enums import DenyReason, ScanStatus
from schema.fields import field
from schema.info import Info
from schema.loading import maybe, one
from schema.node import Node, PageInfo
from schema.types import Member, Room, Session


@strawberry.type(description="An exposant's scan of a participant's badge at its stand.")
class Visit(Node):
    scanned_at: datetime
    note: str
    rating: int | None = strawberry.field(
        description="The exposant's grade of the lead, 1 (cold) to 5 (hot); null when not graded."
    )
    model: strawberry.Private[models.Visit]

    @classmethod
    def from_model(cls, v: models.Visit) -> Visit:
        assert v.id is not None
        return cls(
            id=strawberry.ID(encode("Visit", v.id)),
            scanned_at=v.scanned_at,
            note=v.note,
            rating=v.rating,
            model=v,
        )

    @field(
        description="The exposant's labels on the lead: trimmed, lowercase, each once, in alphabetical order."
    )
    def tags(self, info: Info) -> list[str]:
        assert self.model.id is not None
        return info.context.loaders.tags_by_visit_id.load(self.model.id)

    def subject(self) -> Subject:
        return subjects.visit_subject(self.model)

    @field(description="The participant whose badge was scanned.")
    def participant(self, info: Info) -> Member:
        return one(info.context.loaders.member_by_id, self.model.participant_id, Member.from_model)


@strawberry.type(
    description="One badge presented at a room door, granted or denied: every attempt is kept."
)
class RoomAccess(Node):
    status: ScanStatus
    reason: DenyReason | None
    scanned_at: datetime = strawberry.field(description="When the server recorded it.")
    client_scanned_at: datetime | None = strawberry.field(
        description="When the scanning device saw the badge (differs for offline scans synced later)."
    )
    model: strawberry.Private[models.RoomAccess]

    @classmethod
    def from_model(cls, a: models.RoomAccess) -> RoomAccess:
        assert a.id is not None
        return cls(
            id=strawberry.ID(encode("RoomAccess", a.id)),
            status=models.ScanStatus(a.status),
            reason=models.DenyReason(a.reason) if a.reason is not None else None,
            scanned_at=a.scanned_at,
            client_scanned_at=a.client_scanned_at,
            model=a,
        )

    def subject(self) -> Subject:
        return subjects.room_access_subject(self.model)

    @strawberry.field
    def room(self, info: Info) -> Room:
        return one(info.context.loaders.room_by_id, self.model.room_id, Room.from_model)

    @field(description="The session the scan was for, if one was running or about to.")
    def session(self, info: Info) -> Session | None:
        return maybe(info.context.loaders.session_by_id, self.model.session_id, Session.from_model)

    @field(
        description="The member whose badge was presented; null when the code matched no member of this event."
    )
    def member(self, info: Info) -> Member | None:
        return maybe(info.context.loaders.member_by_id, self.model.member_id, Member.from_model)

    @field(description="The controller who scanned.")
    def controller(self, info: Info) -> Member:
        assert self.model.controller_id is not None, "scan recorded without a controller"
        return one(info.context.loaders.member_by_id, self.model.controller_id, Member.from_model)


@strawberry.type(
    description="A badge granted at two different rooms too close in time for one person: a shared or copied badge."
)
class BadgeAnomaly:
    member: Member = strawberry.field(description="The member whose badge it is.")
    first: RoomAccess = strawberry.field(description="The earlier of the two grants.")
    second: RoomAccess = strawberry.field(
        description="The grant at another room that followed it too soon."
    )


@strawberry.type
class VisitEdge:
    cursor: str
    node: Visit


@strawberry.type
class VisitConnection:
    page_info: PageInfo
    edges: list[VisitEdge]
    total_count: int


@strawberry.type
class RoomAccessEdge:
    cursor: str
    node: RoomAccess


@strawberry.type
class RoomAccessConnection:
    page_info: PageInfo
    edges: list[RoomAccessEdge]
    total_count: int


T = TypeVar("T")


def page_info(page: Page[Any]) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next,
        has_previous_page=page.has_previous,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None,
    )


def _edges(page: Page[Any], edge: Callable[..., T], node: Callable[[Any], Any]) -> list[T]:
    return [edge(cursor=c, node=node(row)) for c, row in zip(page.cursors, page.items, strict=True)]


def visit_connection(page: Page[models.Visit]) -> VisitConnection:
    return VisitConnection(
        page_info=page_info(page),
        edges=_edges(page, VisitEdge, Visit.from_model),
        total_count=page.total_count,
    )


def room_access_connection(page: Page[models.RoomAccess]) -> RoomAccessConnection:
    return RoomAccessConnection(
        page_info=page_info(page),
        edges=_edges(page, RoomAccessEdge, RoomAccess.from_model),
        total_count=page.total_count,
    )


__all__ = [
    "RoomAccess",
    "RoomAccessConnection",
    "RoomAccessEdge",
    "Visit",
    "VisitConnection",
    "VisitEdge",
    "room_access_connection",
    "visit_connection",
]
