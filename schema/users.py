"""Users: the people who log in, and a user met through an event (its president, an author,
whoever made a change), whom the policy reads through that event."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from kernel.ids import encode
from permissions import Subject, allowed
from permissions.rules import ADMIN, EXPOSANT_SCANNED, MEMBER_SELF, ORGANIZER
from resolvers import members as member_resolvers
from schema.info import Info
from schema.lazy import LazyClass
from schema.loading import maybe, one
from schema.node import Node

if TYPE_CHECKING:
    from schema.members import Member

_member: LazyClass[Member] = LazyClass("Member", strawberry.lazy("schema.members"))


@strawberry.type(description="A person who can log in. The same user may belong to many events.")
class User(Node):
    full_name: str = strawberry.field(
        description="The account's own name; reached through a member (Member.user), the name that member's event shows for it."
    )
    is_admin: bool
    model: strawberry.Private[models.User]
    # The event (and membership) through which this user was reached, for the policy.
    via_event_id: strawberry.Private[int | None]
    via_member_id: strawberry.Private[int | None]

    @classmethod
    def from_model(
        cls,
        user: models.User,
        via: models.Member | None = None,
        event_id: int | None = None,
        name: str | None = None,
    ) -> User:
        """`name`: the event's name for the user (a member's display name), when it has one."""
        assert user.id is not None
        if via is not None:
            name = via.display_name
        return cls(
            id=strawberry.ID(encode("User", user.id)),
            # In an event, the event's name for the person: the account's is not the event's.
            full_name=name if name is not None else user.full_name,
            is_admin=user.is_admin,
            model=user,
            via_event_id=via.event_id if via is not None else event_id,
            via_member_id=via.id if via is not None else None,
        )

    def subject(self) -> Subject:
        return Subject(
            event_id=self.via_event_id, owner_user_id=self.model.id, member_id=self.via_member_id
        )

    @allowed(ADMIN, ORGANIZER, MEMBER_SELF, EXPOSANT_SCANNED)
    def email(self) -> str | None:
        return self.model.email

    @allowed(
        ADMIN,
        MEMBER_SELF,
        description="The viewer's memberships, one per event (only on the viewer's own user, or for ADMIN).",
    )
    def memberships(
        self, info: Info
    ) -> list[Annotated[Member, strawberry.lazy("schema.members")]] | None:
        return [
            _member().from_model(m)
            for m in member_resolvers.memberships_of(info.context, self.model)
        ]


def _in_event(info: Info, user: models.User, event_id: int | None) -> User:
    names = info.context.loaders.member_name_by_event_user
    name = None if event_id is None or user.id is None else names.load((event_id, user.id))
    return User.from_model(user, event_id=event_id, name=name)


def event_user(info: Info, user_id: int | None, event_id: int | None) -> User | None:
    """A user met through an event (a president, an author, an actor), for the policy's `via`,
    under the name the event gives them when they are among its members."""
    in_event = partial(_in_event, info, event_id=event_id)
    return maybe(info.context.loaders.user_by_id, user_id, in_event)


def required_event_user(info: Info, user_id: int, event_id: int) -> User:
    """`event_user` of a reference that cannot be empty (an annonce's author)."""
    return one(
        info.context.loaders.user_by_id, user_id, partial(_in_event, info, event_id=event_id)
    )
