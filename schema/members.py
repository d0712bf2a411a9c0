"""Members: a user's membership in an event (the `Member` type and its pages), adding members
one by one or from a CSV, revoking and reissuing their badges (the `Badge` type is in
`schema/badges.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from kernel.ids import decode, encode
from permissions import Role, Subject, allowed, subjects
from permissions.rules import EVENT_STAFF, EXPOSANT_SCANNED, EXPOSANT_STATS_RULES, MEMBER_SELF
from resolvers import files, members
from resolvers.lookup import get_event
from resolvers.pagination import Page
from schema.badges import Badge
from schema.fields import field
from schema.files import File
from schema.info import Info
from schema.lazy import LazyClass
from schema.loading import maybe, one, required
from schema.node import Node, PageInfo, page_edges
from schema.uploads import UploadedFile
from schema.users import User

if TYPE_CHECKING:
    from schema.events import Event
    from schema.staff import RoomAssignment
    from schema.stats import ExposantStats

_event: LazyClass[Event] = LazyClass("Event", strawberry.lazy("schema.events"))
_assignment: LazyClass[RoomAssignment] = LazyClass(
    "RoomAssignment", strawberry.lazy("schema.staff")
)
_exposant_stats: LazyClass[ExposantStats] = LazyClass(
    "ExposantStats", strawberry.lazy("schema.stats")
)


@strawberry.type(description="A user's membership in one event, with its one role.")
class Member(Node):
    role: Role = strawberry.field(
        description="One of GESTIONNAIRE_DES_SALLES, CONTROLLEUR_DES_BADGES, PARTICIPANT, EXPOSANT."
    )
    full_name: str = strawberry.field(
        description="The name this event shows for the member, given by its staff (addMember, importMembers); the account's own name (me.fullName) may differ and is not shown here."
    )
    company: str
    checked_in_at: datetime | None
    shares_contact: bool = strawberry.field(
        description="Whether exposants who scanned this participant may read its email (true unless the participant said no with setContactSharing)."
    )
    model: strawberry.Private[models.Member]

    @classmethod
    def from_model(cls, m: models.Member) -> Member:
        assert m.id is not None
        return cls(
            id=strawberry.ID(encode("Member", m.id)),
            role=models.Role(m.role),
            full_name=m.display_name,
            company=m.company,
            checked_in_at=m.checked_in_at,
            shares_contact=m.shares_contact,
            model=m,
        )

    def subject(self) -> Subject:
        return Subject(
            event_id=self.model.event_id, owner_member_id=self.model.id, member_id=self.model.id
        )

    def _user(self, info: Info) -> models.User:
        return required(info.context.loaders.user_by_id, self.model.user_id)

    @strawberry.field
    def event(self, info: Info) -> Annotated[Event, strawberry.lazy("schema.events")]:
        return one(info.context.loaders.event_by_id, self.model.event_id, _event().from_model)

    @field(description="The member's user, as this event knows it: its fullName is the member's.")
    def user(self, info: Info) -> User:
        return User.from_model(self._user(info), via=self.model)

    @allowed(*EVENT_STAFF, MEMBER_SELF, EXPOSANT_SCANNED)
    def email(self, info: Info) -> str | None:
        return self._user(info).email

    @allowed(*EVENT_STAFF, MEMBER_SELF)
    def badge(self, info: Info) -> Badge | None:
        assert self.model.id is not None
        return maybe(info.context.loaders.badge_by_member_id, self.model.id, Badge.from_model)

    @field(description="An exposant's stand plan (PDF).")
    def plan(self, info: Info) -> File | None:
        assert self.model.id is not None
        return maybe(info.context.loaders.plan_by_member_id, self.model.id, File.from_model)

    @allowed(
        *EVENT_STAFF,
        MEMBER_SELF,
        description="The room this staff member is assigned to right now, if any.",
    )
    def current_assignment(
        self, info: Info
    ) -> Annotated[RoomAssignment, strawberry.lazy("schema.staff")] | None:
        assert self.model.id is not None
        if self.model.role not in models.STAFF_ROLES:
            return None
        assignments = info.context.loaders.assignments_by_member_id_at(info.context.now).load(
            self.model.id
        )
        return _assignment().from_model(assignments[0]) if assignments else None

    @allowed(
        *EXPOSANT_STATS_RULES, description="Visit statistics of an exposant; null for other roles."
    )
    def exposant_stats(
        self, info: Info
    ) -> Annotated[ExposantStats, strawberry.lazy("schema.stats")] | None:
        if self.model.role != Role.EXPOSANT:
            return None
        event = required(info.context.loaders.event_by_id, self.model.event_id)
        return _exposant_stats().for_member(self.model, event)


@strawberry.type
class MemberEdge:
    cursor: str
    node: Member


@strawberry.type
class MemberConnection:
    page_info: PageInfo
    edges: list[MemberEdge]
    total_count: int

    @classmethod
    def from_page(cls, page: Page[models.Member]) -> MemberConnection:
        return cls(
            page_info=PageInfo.of(page),
            edges=page_edges(page, MemberEdge, Member.from_model),
            total_count=page.total_count,
        )


@strawberry.input(description="A member to add: role is one of the four event roles.")
class MemberInput:
    email: str = strawberry.field(
        description="Normalised (NFKC, lowercase); at most 254 characters; refused when it holds an invisible character or mixes scripts in one part. An existing account with it is linked as it is."
    )
    full_name: str = strawberry.field(
        description="The name this event shows for the member (at most 200 characters); an existing account's own name is not changed."
    )
    role: Role
    company: str | None = strawberry.field(default="", description="At most 200 characters.")

    def values(self) -> members.MemberValues:
        return members.MemberValues(
            email=self.email, full_name=self.full_name, role=self.role, company=self.company
        )


@strawberry.type(description="A CSV line that was not imported, and why.")
class ImportRowError:
    line: int
    message: str


@strawberry.type(description="What an import did: members created, members changed, lines refused.")
class ImportReport:
    created: int
    updated: int
    errors: list[ImportRowError]

    @classmethod
    def from_report(cls, report: members.ImportReport) -> ImportReport:
        return cls(
            created=report.created,
            updated=report.updated,
            errors=[ImportRowError(line=line, message=msg) for line, msg in report.errors],
        )


@strawberry.type
class MemberMutation:
    @allowed(
        *EVENT_STAFF,
        subject=subjects.EVENT_ARG,
        description="Add a member with a badge, under the name given; a new email creates the user (invited to set a password), a known one links that account unchanged.",
    )
    def add_member(self, info: Info, event_id: strawberry.ID, input: MemberInput) -> Member:
        member = members.add_member(
            info.context, event_id=decode("Event", event_id), values=input.values()
        )
        return Member.from_model(member)

    @allowed(
        *EVENT_STAFF,
        subject=subjects.EVENT_ARG,
        description="CSV with header email,full_name,role[,company]; rows that fail are reported, the others are kept. A row's name is the member's in this event; a known email's account is linked unchanged.",
    )
    def import_members(
        self, info: Info, event_id: strawberry.ID, file: UploadedFile
    ) -> ImportReport:
        event = get_event(info.context, event_id=decode("Event", event_id))
        data = files.read_limited(info.context, file.file)
        report = members.import_members(info.context, event=event, data=data)
        return ImportReport.from_report(report)

    @allowed(
        *EVENT_STAFF,
        subject=subjects.MEMBER_ARG,
        description="Revoke the member's badge: doors refuse its code from now on.",
    )
    def revoke_badge(self, info: Info, member_id: strawberry.ID) -> Member:
        member = members.revoke_badge(info.context, member_id=decode("Member", member_id))
        return Member.from_model(member)

    @allowed(
        *EVENT_STAFF,
        subject=subjects.MEMBER_ARG,
        description="Issue the member a new badge code; the old code is refused from now on.",
    )
    def reissue_badge(self, info: Info, member_id: strawberry.ID) -> Member:
        member = members.reissue_badge(info.context, member_id=decode("Member", member_id))
        return Member.from_model(member)
