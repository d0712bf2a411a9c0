"""Who may call the HTTP routes that serve an event's data outside GraphQL.

Each route names its rule set here, from permissions/rules.py, and checks it through `authorize`
with the same `permits` as every @allow field; docs/permissions.md lists them beside the fields
(schema/permission_matrix.py), and a test finds any served route left out of `ROUTES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kernel.errors import ForbiddenError
from kernel.moments import Clock
from permissions.policy import Allow, Subject, describe, permits
from permissions.rules import EVENT_STATS_RULES, EXPOSANT_STATS_RULES, MEMBER
from resolvers.viewer import Viewer


@dataclass(frozen=True)
class RouteRules:
    method: str
    path: str
    rules: tuple[Allow, ...]
    # What it serves, as a refusal names it.
    what: str


VISITS_CSV = RouteRules(
    "GET", "/exposants/{member_id}/visits.csv", EXPOSANT_STATS_RULES, "these leads"
)
SCANS_CSV = RouteRules("GET", "/events/{event_id}/scans.csv", EVENT_STATS_RULES, "the scan log")
FILE_DOWNLOAD = RouteRules("GET", "/files/{file_id}", (MEMBER,), "this file")
PROGRAMME_ICS = RouteRules("GET", "/events/{event_id}/programme.ics", (MEMBER,), "the programme")
ROUTES = (VISITS_CSV, SCANS_CSV, FILE_DOWNLOAD, PROGRAMME_ICS)


def authorize(viewer: Viewer, route: RouteRules, subject: Subject, at: datetime | Clock) -> None:
    """FORBIDDEN unless one of the route's rules grants it to the viewer for this object."""
    if not permits(viewer, route.rules, subject, at):
        raise ForbiddenError(f"Only {describe(route.rules)} may download {route.what}.")
