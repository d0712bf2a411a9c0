"""Annonces (the `Annonce` type): publishing one to the event's members of a target role,
changing and deleting it (who reads which: `permissions.rules.ANNONCE_READERS`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from kernel.ids import decode, encode
from permissions import Subject, allowed, subjects
from permissions.rules import EVENT_STAFF, MEMBER_AUTHOR
from resolvers import annonces
from schema.enums import AnnonceTarget
from schema.fields import field
from schema.info import Info
from schema.lazy import LazyClass
from schema.loading import one
from schema.node import Node
from schema.users import User, required_event_user

if TYPE_CHECKING:
    from schema.events import Event

_event: LazyClass[Event] = LazyClass("Event", strawberry.lazy("schema.events"))


@strawberry.type(description="An announcement to the members of an event, by target role.")
class Annonce(Node):
    title: str
    description: str
    target: AnnonceTarget
    created_at: datetime
    updated_at: datetime
    model: strawberry.Private[models.Annonce]

    @classmethod
    def from_model(cls, a: models.Annonce) -> Annonce:
        assert a.id is not None
        return cls(
            id=strawberry.ID(encode("Annonce", a.id)),
            title=a.title,
            description=a.description,
            target=models.AnnonceTarget(a.target),
            created_at=a.created_at,
            updated_at=a.updated_at,
            model=a,
        )

    def subject(self) -> Subject:
        return subjects.annonce_subject(self.model)

    @strawberry.field
    def event(self, info: Info) -> Annotated[Event, strawberry.lazy("schema.events")]:
        return one(info.context.loaders.event_by_id, self.model.event_id, _event().from_model)

    @strawberry.field
    def created_by(self, info: Info) -> User:
        return required_event_user(info, self.model.created_by_id, self.model.event_id)

    @field(description="True when the viewer may edit or delete it (only its author may).")
    def can_edit(self, info: Info) -> bool:
        return self.model.created_by_id == info.context.require_viewer().user_id


@strawberry.type
class AnnonceMutation:
    @allowed(
        *EVENT_STAFF,
        subject=subjects.EVENT_ARG,
        description="Publish an annonce to the event's members of the target role.",
    )
    def create_annonce(
        self,
        info: Info,
        event_id: strawberry.ID,
        title: str,
        description: str,
        target: AnnonceTarget,
    ) -> Annonce:
        annonce = annonces.create_annonce(
            info.context,
            event_id=decode("Event", event_id),
            title=title,
            description=description,
            target=target,
        )
        return Annonce.from_model(annonce)

    @allowed(
        MEMBER_AUTHOR,
        subject=subjects.ANNONCE_ARG,
        description="Change an annonce (its author only); arguments left out stay as they are.",
    )
    def update_annonce(
        self,
        info: Info,
        id: strawberry.ID,
        title: str | None = None,
        description: str | None = None,
        target: AnnonceTarget | None = None,
    ) -> Annonce:
        annonce = annonces.update_annonce(
            info.context,
            annonce_id=decode("Annonce", id),
            title=title,
            description=description,
            target=target,
        )
        return Annonce.from_model(annonce)

    @allowed(
        MEMBER_AUTHOR,
        subject=subjects.ANNONCE_ARG,
        description="Delete an annonce (its author only).",
    )
    def delete_annonce(self, info: Info, id: strawberry.ID) -> bool:
        return annonces.delete_annonce(info.context, annonce_id=decode("Annonce", id))
