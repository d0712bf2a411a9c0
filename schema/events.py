"""Events: creating one and naming its president, changing its details."""

from __future__ import annotations

from datetime import datetime

import strawberry

from kernel.ids import decode
from permissions import allowed, subjects
from permissions.requirements import NAMING_A_PRESIDENT
from permissions.rules import ADMIN, EVENT_STAFF
from resolvers import events
from schema.info import Info
from schema.types import Event


@strawberry.input(
    description="An event's details. presidentEmail names its president (admins only)."
)
class EventInput:
    name: str
    description: str | None = ""
    location: str | None = ""
    starts_at: datetime
    ends_at: datetime
    timezone: str | None = "UTC"
    president_email: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="The president's email; a new email creates the user (invited to set a password).",
    )

    def values(self) -> events.EventValues:
        email = self.president_email if self.president_email is not strawberry.UNSET else None
        return events.EventValues(
            name=self.name,
            description=self.description,
            location=self.location,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            timezone=self.timezone,
            president_email=email or None,
        )


@strawberry.type
class EventMutation:
    @allowed(
        ADMIN, subject=subjects.no_event, description="Create an event and name its president."
    )
    def create_event(self, info: Info, input: EventInput) -> Event:
        return Event.from_model(events.create_event(info.context, values=input.values()))

    @allowed(
        *EVENT_STAFF,
        subject=subjects.EVENT_ID_ARG,
        requires=(NAMING_A_PRESIDENT,),
        description="Change an event. Only admins may name another president.",
    )
    def update_event(self, info: Info, id: strawberry.ID, input: EventInput) -> Event:
        event = events.update_event(
            info.context, event_id=decode("Event", id), values=input.values()
        )
        return Event.from_model(event)
