"""Statistics: an exposant's visits, a room's door, the event at a glance (the figures are
computed in SQL by `resolvers/stats.py`).

Each stats object computes its figures on first use and keeps them for the request, so asking
for totalVisits, todayVisits and uniqueVisitors together costs one statement.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

import models
from kernel.ids import encode
from resolvers import stats as stats_resolvers
from schema.enums import DenyReason, ScanStatus
from schema.fields import field
from schema.info import Info
from schema.scans import RoomAccessConnection, VisitConnection
from schema.sessions import Session


@strawberry.type(description="A count of scans or visits in one hour.")
class HourCount:
    hour: datetime = strawberry.field(description="Start of the hour, in the event's time zone.")
    count: int


def _hours(rows: list[stats_resolvers.HourCount]) -> list[HourCount]:
    return [HourCount(hour=r.hour, count=r.count) for r in rows]


@strawberry.type(description="How many of an exposant's visits carry one tag.")
class TagCount:
    tag: str
    count: int


@strawberry.type(description="Denied scans for one reason.")
class ReasonCount:
    reason: DenyReason
    count: int


@strawberry.type(description="An exposant's visits: totals, by hour, the leads and their CSV.")
class ExposantStats:
    member: strawberry.Private[models.Member]
    event: strawberry.Private[models.Event]
    cache: strawberry.Private[dict[str, stats_resolvers.ExposantTotals]]

    @classmethod
    def for_member(cls, member: models.Member, event: models.Event) -> ExposantStats:
        return cls(member=member, event=event, cache={})

    def _totals(self, info: Info) -> stats_resolvers.ExposantTotals:
        if "totals" not in self.cache:
            self.cache["totals"] = stats_resolvers.exposant_totals(
                info.context, self.member, self.event
            )
        return self.cache["totals"]

    @field(description="Every visit recorded by this exposant.")
    def total_visits(self, info: Info) -> int:
        return self._totals(info).total

    @field(description="Visits since midnight in the event's time zone.")
    def today_visits(self, info: Info) -> int:
        return self._totals(info).today

    @field(description="Distinct participants scanned.")
    def unique_visitors(self, info: Info) -> int:
        return self._totals(info).unique

    @field(description="Visits per hour (local to the event), oldest hour first.")
    def by_hour(self, info: Info) -> list[HourCount]:
        return _hours(
            stats_resolvers.exposant_visits_by_hour(info.context, self.member, self.event)
        )

    @field(description="Visits per tag, most used first, then by tag; at most the 100 most used.")
    def by_tag(self, info: Info) -> list[TagCount]:
        return [
            TagCount(tag=r.tag, count=r.count)
            for r in stats_resolvers.exposant_visits_by_tag(info.context, self.member)
        ]

    @field(
        description="Newest first. `first` defaults to 50 and is capped at 100; cursors stay valid as visits arrive."
    )
    def visits(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> VisitConnection:
        # The totals statement counts the same rows (the stats' other fields often ask for it).
        page = stats_resolvers.list_visits(
            info.context,
            self.member,
            first=first,
            after=after,
            total=self._totals(info).total,
        )
        return VisitConnection.from_page(page)

    @field(
        description="Absolute path of a CSV export of the visits (leads): UTF-8, header row; send the same Bearer token."
    )
    def csv_url(self) -> str:
        assert self.member.id is not None
        return f"/exposants/{encode('Member', self.member.id)}/visits.csv"


@strawberry.type(description="Scans at a room's door over a period.")
class RoomStats:
    room: strawberry.Private[models.Room]
    event: strawberry.Private[models.Event]
    since: strawberry.Private[datetime | None]
    until: strawberry.Private[datetime | None]
    cache: strawberry.Private[dict[str, stats_resolvers.RoomTotals]]

    @classmethod
    def for_room(
        cls, room: models.Room, event: models.Event, since: datetime | None, until: datetime | None
    ) -> RoomStats:
        return cls(room=room, event=event, since=since, until=until, cache={})

    def _totals(self, info: Info) -> stats_resolvers.RoomTotals:
        if "totals" not in self.cache:
            self.cache["totals"] = stats_resolvers.room_totals(
                info.context, self.room, since=self.since, until=self.until
            )
        return self.cache["totals"]

    @field(description="Every badge presented, granted or denied.")
    def total_scans(self, info: Info) -> int:
        return self._totals(info).total

    @field(description="Scans that let the member in.")
    def granted(self, info: Info) -> int:
        return self._totals(info).granted

    @field(description="Scans refused ('blocks').")
    def denied(self, info: Info) -> int:
        return self._totals(info).denied

    @field(description="Distinct members granted entry.")
    def unique_members(self, info: Info) -> int:
        return self._totals(info).unique_members

    @field(description="Denied scans per reason, most frequent first.")
    def by_reason(self, info: Info) -> list[ReasonCount]:
        rows = stats_resolvers.room_denials_by_reason(
            info.context, self.room, since=self.since, until=self.until
        )
        return [ReasonCount(reason=reason, count=n) for reason, n in rows]

    @field(description="Scans per hour (local to the event), oldest hour first.")
    def by_hour(self, info: Info) -> list[HourCount]:
        return _hours(
            stats_resolvers.room_scans_by_hour(
                info.context, self.room, self.event, since=self.since, until=self.until
            )
        )

    @field(
        description="Newest first. `first` defaults to 50 and is capped at 100; cursors stay valid as scans arrive."
    )
    def scans(
        self,
        info: Info,
        status: ScanStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> RoomAccessConnection:
        page = stats_resolvers.list_room_scans(
            info.context,
            self.room,
            since=self.since,
            until=self.until,
            status=status,
            first=first,
            after=after,
            total=self._count_of(info, status),
        )
        return RoomAccessConnection.from_page(page)

    def _count_of(self, info: Info, status: ScanStatus | None) -> int:
        """The scans of that status, from the totals statement the other fields share."""
        totals = self._totals(info)
        if status is None:
            return totals.total
        return totals.granted if status == ScanStatus.GRANTED else totals.denied


@strawberry.type(description="A session's attendance against its room's capacity.")
class SessionAttendance:
    session: Session
    attendance: int = strawberry.field(description="Distinct members granted entry.")
    capacity: int = strawberry.field(description="The capacity of the session's room.")
    no_shows: int = strawberry.field(
        description="Paid-atelier members marked PAID who were never granted entry (0 for free sessions)."
    )

    @classmethod
    def from_row(cls, row: stats_resolvers.SessionAttendance) -> SessionAttendance:
        return cls(
            session=Session.from_model(row.session),
            attendance=row.attendance,
            capacity=row.capacity,
            no_shows=row.no_shows,
        )


@strawberry.type(
    description="The event at a glance: members, entries, scans, the programme's attendance."
)
class EventStats:
    event: strawberry.Private[models.Event]
    cache: strawberry.Private[dict[str, stats_resolvers.EventTotals]]

    @classmethod
    def for_event(cls, event: models.Event) -> EventStats:
        return cls(event=event, cache={})

    def _totals(self, info: Info) -> stats_resolvers.EventTotals:
        if "totals" not in self.cache:
            self.cache["totals"] = stats_resolvers.event_totals(info.context, self.event)
        return self.cache["totals"]

    @field(description="Members of the event, every role.")
    def members(self, info: Info) -> int:
        return self._totals(info).members

    @field(description="Members granted entry at least once.")
    def checked_in(self, info: Info) -> int:
        return self._totals(info).checked_in

    @field(description="Every badge presented at any door.")
    def total_scans(self, info: Info) -> int:
        return self._totals(info).total_scans

    @field(description="Scans refused at any door.")
    def denied(self, info: Info) -> int:
        return self._totals(info).denied

    @field(description="Scans per hour (local to the event), oldest hour first.")
    def scans_by_hour(self, info: Info) -> list[HourCount]:
        return _hours(stats_resolvers.event_scans_by_hour(info.context, self.event))

    @field(description="Every session of the programme, by start time.")
    def sessions(self, info: Info) -> list[SessionAttendance]:
        rows = stats_resolvers.event_session_attendance(info.context, self.event)
        return [SessionAttendance.from_row(r) for r in rows]

    @field(
        description="Absolute path of a CSV export of the event's scan log, newest first (organizers, gestionnaires, admins); send the same Bearer token."
    )
    def scans_csv_url(self) -> str:
        assert self.event.id is not None
        return f"/events/{encode('Event', self.event.id)}/scans.csv"
