"""The Role and Condition vocabularies of the @allow directive, as GraphQL enums."""

from __future__ import annotations

import enum

import strawberry

import models

# The model's enum is made a GraphQL enum (strawberry.enum marks the class itself and returns
# it), then named here: the same class, which the type checker reads as a type.
strawberry.enum(
    models.Role,
    description=(
        "Roles. A member holds exactly one of the four event roles in each event it belongs to. "
        "ADMIN (platform administrator), ORGANIZER (the event's president) and MEMBER are used in "
        "@allow only."
    ),
)
Role = models.Role


@strawberry.enum(description="Extra condition on an @allow.")
class Condition(enum.Enum):
    ALWAYS = "ALWAYS"
    SELF = strawberry.enum_value(
        "SELF",
        description="The object is the viewer's own (their user, membership, badge, visit list).",
    )
    ASSIGNED_TO_ROOM = strawberry.enum_value(
        "ASSIGNED_TO_ROOM",
        description="The viewer is assigned, right now, to the room that the object belongs to.",
    )
    HAS_SESSION_ACCESS = strawberry.enum_value(
        "HAS_SESSION_ACCESS",
        description="The viewer may attend the session: conferences and free ateliers always, paid ateliers once marked paid.",
    )
    AUTHOR = strawberry.enum_value("AUTHOR", description="The viewer created the object.")
    SCANNED_BY_ME = strawberry.enum_value(
        "SCANNED_BY_ME",
        description="The viewer is an exposant who has scanned this member's badge, and the member shares its contact with exposants (Member.sharesContact).",
    )


ROLE_NAMES: dict[models.Role, str] = {
    models.Role.ADMIN: "admins",
    models.Role.ORGANIZER: "the event's organizer",
    models.Role.GESTIONNAIRE_DES_SALLES: "gestionnaires des salles",
    models.Role.CONTROLLEUR_DES_BADGES: "badge controllers",
    models.Role.PARTICIPANT: "participants",
    models.Role.EXPOSANT: "exposants",
    models.Role.MEMBER: "members of the event",
}

CONDITION_NAMES: dict[Condition, str] = {
    Condition.ALWAYS: "",
    Condition.SELF: " (their own)",
    Condition.ASSIGNED_TO_ROOM: " assigned to this room now",
    Condition.HAS_SESSION_ACCESS: " with access to this session",
    Condition.AUTHOR: " who wrote it",
    Condition.SCANNED_BY_ME: " who scanned this member (if it shares its contact)",
}
