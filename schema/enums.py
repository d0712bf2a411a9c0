"""The domain's enums as GraphQL enums (the same values the database stores)."""

from __future__ import annotations

import strawberry

import models
from permissions.roles import Condition, Role

# Each model enum is made a GraphQL enum (strawberry.enum marks the class itself and returns
# it), then named here: the same class, which the type checker reads as a type.
strawberry.enum(models.SessionKind)
strawberry.enum(models.SessionStatus)
strawberry.enum(models.AnnonceTarget)
strawberry.enum(models.PaymentStatus)
strawberry.enum(models.ScanStatus)
strawberry.enum(models.DenyReason, description="Why a badge was refused at a door.")
strawberry.enum(models.EventFileKind)
strawberry.enum(
    models.QuestionModeration,
    description="What a moderator does to a question: HIDE it from participants (UNHIDE to show it again), PIN it first in lists (UNPIN to stop).",
)

SessionKind = models.SessionKind
SessionStatus = models.SessionStatus
AnnonceTarget = models.AnnonceTarget
PaymentStatus = models.PaymentStatus
ScanStatus = models.ScanStatus
DenyReason = models.DenyReason
EventFileKind = models.EventFileKind
QuestionModeration = models.QuestionModeration

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
