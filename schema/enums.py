"""The domain's enums as GraphQL enums (the same values the database stores)."""

from __future__ import annotations

import strawberry

import models
from permissions.roles import Condition, Role

SessionKind = strawberry.enum(models.SessionKind)
SessionStatus = strawberry.enum(models.SessionStatus)
AnnonceTarget = strawberry.enum(models.AnnonceTarget)
PaymentStatus = strawberry.enum(models.PaymentStatus)
ScanStatus = strawberry.enum(models.ScanStatus)
DenyReason = strawberry.enum(models.DenyReason, description="Why a badge was refused at a door.")
EventFileKind = strawberry.enum(models.EventFileKind)
QuestionModeration = strawberry.enum(
    models.QuestionModeration,
    description="What a moderator does to a question: HIDE it from participants (UNHIDE to show it again), PIN it first in lists (UNPIN to stop).",
)

__all__ = [
    "AnnonceTarget",
    "Condition",
    "DenyReason",
    "EventFileKind",
    "PaymentStatus",
    "QuestionModeration",
    "Role",
    "ScanStatus",
    "SessionKind",
    "SessionStatus",
]
