"""The policy: does one @allow rule, or any of several, let this viewer at this object?

Pure functions over the Viewer (loaded once per request) and a Subject (what the policy needs
to know of the object). No query runs here beyond the Viewer's own lazy loads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import models
from kernel.moments import Clock
from models import Role
from permissions.roles import CONDITION_NAMES, ROLE_NAMES, Condition
from resolvers.viewer import Viewer


@dataclass(frozen=True)
class Allow:
    role: Role
    when: Condition = Condition.ALWAYS

    def describe(self) -> str:
        return ROLE_NAMES[self.role] + CONDITION_NAMES[self.when]


@dataclass(frozen=True)
class Subject:
    """What the policy needs of the object a field belongs to (or an operation acts on)."""

    event_id: int | None
    room_id: int | None = None
    session: models.EventSession | None = None
    owner_user_id: int | None = None
    owner_member_id: int | None = None
    author_user_id: int | None = None
    author_member_id: int | None = None
    # The member whose data it is, for SCANNED_BY_ME.
    member_id: int | None = None
    # When the object is judged as of another moment than the request (an offline scan synced
    # later is judged as of when it was made).
    at: datetime | None = None
    # The identity of an anonymous asker: only the platform admin and the event's president
    # may know it, whatever else the field's rules grant.
    anonymous: bool = False


# Who sees through anonymity (Subject.anonymous).
ANONYMITY_LIFTED_FOR = frozenset({Role.ADMIN, Role.ORGANIZER})


def holds_role(viewer: Viewer, role: Role, event_id: int | None) -> bool:
    if role == Role.ADMIN:
        return viewer.is_admin
    if role == Role.ORGANIZER:
        return viewer.presides(event_id)
    if event_id is None:
        # Objects outside any event (the viewer's own user, reached through `me`).
        return role == Role.MEMBER
    if role == Role.MEMBER:
        # The president and admins belong to the event too (an organizer edits its own annonces).
        return viewer.belongs_to(event_id)
    return viewer.role_in(event_id) == role


def is_self(viewer: Viewer, subject: Subject) -> bool:
    if subject.owner_user_id is not None and subject.owner_user_id == viewer.user_id:
        return True
    own = viewer.member_in(subject.event_id)
    return (
        own is not None
        and subject.owner_member_id is not None
        and own.id == subject.owner_member_id
    )


def is_assigned_to_room(viewer: Viewer, subject: Subject, at: datetime | Clock) -> bool:
    return subject.room_id is not None and viewer.is_assigned_to(subject.room_id, at)


def has_session_access(viewer: Viewer, subject: Subject) -> bool:
    return subject.session is not None and viewer.may_attend(subject.session)


def is_author(viewer: Viewer, subject: Subject) -> bool:
    if subject.author_user_id is not None:
        return subject.author_user_id == viewer.user_id
    own = viewer.member_in(subject.event_id)
    return (
        own is not None
        and subject.author_member_id is not None
        and own.id == subject.author_member_id
    )


def scanned_by_me(viewer: Viewer, subject: Subject) -> bool:
    if subject.event_id is None or subject.member_id is None:
        return False
    return viewer.has_scanned(subject.event_id, subject.member_id)


def condition_holds(
    viewer: Viewer, when: Condition, subject: Subject, at: datetime | Clock
) -> bool:
    match when:
        case Condition.ALWAYS:
            return True
        case Condition.SELF:
            return is_self(viewer, subject)
        case Condition.ASSIGNED_TO_ROOM:
            return is_assigned_to_room(viewer, subject, at)
        case Condition.HAS_SESSION_ACCESS:
            return has_session_access(viewer, subject)
        case Condition.AUTHOR:
            return is_author(viewer, subject)
        case Condition.SCANNED_BY_ME:
            return scanned_by_me(viewer, subject)


def permits(
    viewer: Viewer, rules: tuple[Allow, ...], subject: Subject, at: datetime | Clock
) -> bool:
    """True when any one rule matches: its role is held and its condition holds, at `at` (a
    moment, or the request's clock: then only a condition that depends on time reads it)."""
    if subject.anonymous:
        rules = tuple(r for r in rules if r.role in ANONYMITY_LIFTED_FOR)
    granted, conditions = plan(viewer, rules, subject.event_id)
    if granted:
        return True
    if subject.at is not None:
        at = subject.at
    return any(condition_holds(viewer, when, subject, at) for when in conditions)


def plan(
    viewer: Viewer, rules: tuple[Allow, ...], event_id: int | None
) -> tuple[bool, tuple[Condition, ...]]:
    """What the rules leave to decide per object, for this viewer in this event: granted
    outright (a role held with no condition), or the conditions of the roles held. Roles do not
    change within a request, so a list of 400 rows asks the roles once, not 400 times."""
    key = (rules, event_id)
    found = viewer.plans.get(key)
    if found is None:
        held = [r.when for r in rules if holds_role(viewer, r.role, event_id)]
        granted = Condition.ALWAYS in held
        found = (granted, () if granted else tuple(held))
        viewer.plans[key] = found
    return found


def describe(rules: Iterable[Allow]) -> str:
    names = [rule.describe() for rule in rules]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
