"""Annonces: publishing one to the event's members of a target role, changing and deleting it
(who reads which: `permissions.rules.ANNONCE_READERS`)."""

from __future__ import annotations

import strawberry

from kernel.ids import decode
from permissions import allowed, subjects
from permissions.rules import EVENT_STAFF, MEMBER_AUTHOR
from resolvers import annonces
from schema.enums import AnnonceTarget
from schema.info import Info
from schema.types import Annonce


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
