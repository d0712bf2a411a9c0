"""Members and their badges: adding them one by one or from a CSV, revoking and reissuing badges."""

from __future__ import annotations

import strawberry

from kernel.ids import decode
from permissions import Role, allowed, subjects
from permissions.rules import EVENT_STAFF
from resolvers import files, members
from resolvers.lookup import get_event
from schema.info import Info
from schema.types import Member
from schema.uploads import UploadedFile


@strawberry.input(description="A member to add: role is one of the four event roles.")
class MemberInput:
    email: str
    full_name: str
    role: Role
    company: str | None = ""

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
        description="Add a member with a badge; a new email creates the user (invited to set a password).",
    )
    def add_member(self, info: Info, event_id: strawberry.ID, input: MemberInput) -> Member:
        member = members.add_member(
            info.context, event_id=decode("Event", event_id), values=input.values()
        )
        return Member.from_model(member)

    @allowed(
        *EVENT_STAFF,
        subject=subjects.EVENT_ARG,
        description="CSV with header email,full_name,role[,company]; rows that fail are reported, the others are kept.",
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
