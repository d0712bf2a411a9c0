"""Door scans (the scan log: `RoomAccess`, and the door's verdicts), badges seen at two doors
too soon (`BadgeAnomaly`), offline sync, and exposant visits (`Visit`)."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

import strawberry

import models
from kernel.ids import decode, encode
from permissions import Subject, allowed, judge, subjects
from permissions.rules import (
    DOOR_SCANNERS,
    EXPOSANT,
    EXPOSANT_SELF,
    PARTICIPANT,
)
from resolvers import scanning, transactions, visits
from resolvers.pagination import Page
from schema.enums import DenyReason, ScanStatus
from schema.fields import field
from schema.info import Info
from schema.loading import maybe, one
from schema.members import Member
from schema.node import Node, PageInfo, page_edges
from schema.rooms import Room
from schema.sessions import Session

T = TypeVar("T")


def _room(info: Info, room_id: int) -> Room:
    return one(info.context.loaders.room_by_id, room_id, Room.from_model)


def _session(info: Info, session_id: int | None) -> Session | None:
    return maybe(info.context.loaders.session_by_id, session_id, Session.from_model)


def _member(info: Info, member_id: int | None) -> Member | None:
    return maybe(info.context.loaders.member_by_id, member_id, Member.from_model)


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
        return _room(info, self.model.room_id)

    @field(description="The session the scan was for, if one was running or about to.")
    def session(self, info: Info) -> Session | None:
        return _session(info, self.model.session_id)

    @field(
        description="The member whose badge was presented; null when the code matched no member of this event."
    )
    def member(self, info: Info) -> Member | None:
        return _member(info, self.model.member_id)

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

    @classmethod
    def from_page(cls, page: Page[models.Visit]) -> VisitConnection:
        return cls(
            page_info=PageInfo.of(page),
            edges=page_edges(page, VisitEdge, Visit.from_model),
            total_count=page.total_count,
        )


@strawberry.type
class RoomAccessEdge:
    cursor: str
    node: RoomAccess


@strawberry.type
class RoomAccessConnection:
    page_info: PageInfo
    edges: list[RoomAccessEdge]
    total_count: int

    @classmethod
    def from_page(cls, page: Page[models.RoomAccess]) -> RoomAccessConnection:
        return cls(
            page_info=PageInfo.of(page),
            edges=page_edges(page, RoomAccessEdge, RoomAccess.from_model),
            total_count=page.total_count,
        )


@strawberry.type(description="The door's verdict on one scan, and the scan-log entry behind it.")
class ScanResult:
    status: ScanStatus
    reason: DenyReason | None = strawberry.field(
        description="Why it was denied (the first failing rule); null when granted."
    )
    duplicate: bool = strawberry.field(
        description="True when this clientScanId was already recorded: nothing new was written."
    )
    model: strawberry.Private[models.RoomAccess]

    @classmethod
    def from_outcome(cls, outcome: scanning.ScanOutcome) -> ScanResult:
        a = outcome.access
        return cls(
            status=models.ScanStatus(a.status),
            reason=models.DenyReason(a.reason) if a.reason is not None else None,
            duplicate=outcome.duplicate,
            model=a,
        )

    @field(description="The member whose badge it is, when of this event.")
    def member(self, info: Info) -> Member | None:
        return _member(info, self.model.member_id)

    @field(description="The session the door admits to at the scan's moment, if any.")
    def session(self, info: Info) -> Session | None:
        return _session(info, self.model.session_id)

    @strawberry.field
    def room(self, info: Info) -> Room:
        return _room(info, self.model.room_id)

    @field(description="The scan-log entry (the first one, for a duplicate).")
    def access(self) -> RoomAccess:
        return RoomAccess.from_model(self.model)


@strawberry.type(
    description="A synced scan that was not judged (nothing recorded for it), and why."
)
class SyncRejection:
    index: int = strawberry.field(description="Position of the scan in the uploaded list, from 0.")
    client_scan_id: str | None
    code: str = strawberry.field(
        description="The error code it would have had alone: BAD_USER_INPUT, FORBIDDEN, NOT_FOUND."
    )
    message: str


@strawberry.type(description="What a syncScans call did with each uploaded scan.")
class SyncReport:
    accepted: int = strawberry.field(description="Scans judged and recorded by this call.")
    duplicates: int = strawberry.field(
        description="Scans whose clientScanId was already recorded: reported, not written again."
    )
    results: list[ScanResult] = strawberry.field(
        description="One verdict per judged scan (accepted or duplicate), in upload order."
    )
    rejected: list[SyncRejection] = strawberry.field(
        description="Scans that could not be judged (unknown room, not assigned at that moment, clock far ahead): nothing recorded, the others kept."
    )


@strawberry.input(description="One badge presented at a door.")
class ScanInput:
    room_id: strawberry.ID
    code: str = strawberry.field(description="The code read from the badge's QR image.")
    client_scan_id: str | None = strawberry.field(
        default=None,
        description="Unique per scanning device and scan: a retried or re-synced scan with the same id is recorded once.",
    )
    scanned_at: datetime | None = strawberry.field(
        default=None,
        description="When the device saw the badge; defaults to the server's clock.",
    )

    def to_request(self) -> scanning.ScanRequest:
        return scanning.ScanRequest(
            room_id=str(self.room_id),
            code=self.code,
            client_scan_id=self.client_scan_id,
            scanned_at=self.scanned_at,
        )


@strawberry.input(
    description="What an exposant says of a lead. A field left out keeps its value; null clears it."
)
class VisitInput:
    note: str | None = strawberry.field(
        default=strawberry.UNSET, description="At most 2,000 characters; null empties it."
    )
    rating: int | None = strawberry.field(
        default=strawberry.UNSET, description="1 (cold) to 5 (hot); null removes the grade."
    )
    tags: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Replaces the tags: at most 10, each 1 to 40 characters once trimmed; stored lowercase, each once. Null removes them all.",
    )


def _given(value: T | None) -> T | None | visits.Keep:
    return visits.UNCHANGED if value is strawberry.UNSET else value


@strawberry.type
class ScanningMutation:
    @allowed(
        *DOOR_SCANNERS,
        subject=subjects.SCAN_INPUT_ROOM,
        description="A controller scans a badge at the door of the room it is assigned to now.",
        metadata=transactions.ONE_STATEMENT_METADATA,
    )
    def scan_badge(self, info: Info, input: ScanInput) -> ScanResult:
        return ScanResult.from_outcome(
            scanning.scan_badge(info.context, request=input.to_request())
        )

    @allowed(
        *DOOR_SCANNERS,
        subject=subjects.scan_batch(DOOR_SCANNERS),
        description="Upload scans recorded while offline, in order; each is judged as of its scannedAt.",
    )
    def sync_scans(self, info: Info, scans: list[ScanInput]) -> SyncReport:
        outcome = scanning.sync_scans(
            info.context,
            requests=[s.to_request() for s in scans],
            may_scan=judge(info.context, DOOR_SCANNERS, subjects.room_subject),
        )
        return SyncReport(
            accepted=outcome.accepted,
            duplicates=outcome.duplicates,
            results=[ScanResult.from_outcome(r) for r in outcome.results],
            rejected=[
                SyncRejection(
                    index=r.index, client_scan_id=r.client_scan_id, code=r.code, message=r.message
                )
                for r in outcome.rejected
            ],
        )

    @allowed(
        EXPOSANT,
        subject=subjects.EVENT_ARG,
        description="An exposant scans a participant's badge at its stand.",
    )
    def scan_visitor(
        self, info: Info, event_id: strawberry.ID, code: str, note: str | None = ""
    ) -> Visit:
        visit = visits.scan_visitor(
            info.context, event_id=decode("Event", event_id), code=code, note=note or ""
        )
        return Visit.from_model(visit)

    @allowed(
        PARTICIPANT,
        subject=subjects.EVENT_ARG,
        description="The participant (on its own membership of the event) says whether exposants who scan its badge may read its email; name and company stay visible, visits still count.",
    )
    def set_contact_sharing(
        self, info: Info, event_id: strawberry.ID, share: bool
    ) -> Member | None:
        return Member.from_model(
            visits.set_contact_sharing(
                info.context, event_id=decode("Event", event_id), share=share
            )
        )

    @allowed(
        EXPOSANT_SELF,
        subject=subjects.VISIT_ID_ARG,
        description="Qualify one of the exposant's own visits: note, rating, tags (each optional).",
    )
    def update_visit(self, info: Info, id: strawberry.ID, input: VisitInput) -> Visit | None:
        return Visit.from_model(
            visits.update_visit(
                info.context,
                visit_id=decode("Visit", id),
                note=_given(input.note),
                rating=_given(input.rating),
                tags=_given(input.tags),
            )
        )

    @allowed(
        EXPOSANT_SELF,
        subject=subjects.VISIT_ARG,
        description="Replace the note of one of the exposant's own visits.",
    )
    def update_visit_note(self, info: Info, visit_id: strawberry.ID, note: str) -> Visit:
        return Visit.from_model(
            visits.update_visit_note(info.context, visit_id=decode("Visit", visit_id), note=note)
        )
