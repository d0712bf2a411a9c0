"""The domain's vocabularies. Values are the contract's, stored verbatim in the database."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    ADMIN = "ADMIN"
    ORGANIZER = "ORGANIZER"
    GESTIONNAIRE_DES_SALLES = "GESTIONNAIRE_DES_SALLES"
    CONTROLLEUR_DES_BADGES = "CONTROLLEUR_DES_BADGES"
    PARTICIPANT = "PARTICIPANT"
    EXPOSANT = "EXPOSANT"
    MEMBER = "MEMBER"


# The four roles a member can hold in an event; ADMIN, ORGANIZER and MEMBER are policy words only.
EVENT_ROLES: tuple[Role, ...] = (
    Role.GESTIONNAIRE_DES_SALLES,
    Role.CONTROLLEUR_DES_BADGES,
    Role.PARTICIPANT,
    Role.EXPOSANT,
)
STAFF_ROLES: tuple[Role, ...] = (Role.GESTIONNAIRE_DES_SALLES, Role.CONTROLLEUR_DES_BADGES)


class SessionKind(enum.StrEnum):
    CONFERENCE = "CONFERENCE"
    ATELIER = "ATELIER"


class QuestionModeration(enum.StrEnum):
    HIDE = "HIDE"
    UNHIDE = "UNHIDE"
    PIN = "PIN"
    UNPIN = "UNPIN"


class SessionStatus(enum.StrEnum):
    PAS_ENCORE = "PAS_ENCORE"
    EN_COURS = "EN_COURS"
    TERMINE = "TERMINE"


SESSION_STATUS_ORDER = {
    SessionStatus.PAS_ENCORE: 0,
    SessionStatus.EN_COURS: 1,
    SessionStatus.TERMINE: 2,
}


class AnnonceTarget(enum.StrEnum):
    ALL = "ALL"
    PARTICIPANTS = "PARTICIPANTS"
    EXPOSANTS = "EXPOSANTS"
    CONTROLLEURS = "CONTROLLEURS"
    GESTIONNAIRES = "GESTIONNAIRES"


# Which annonce targets a member of each role reads (besides ALL).
TARGET_OF_ROLE: dict[Role, AnnonceTarget] = {
    Role.PARTICIPANT: AnnonceTarget.PARTICIPANTS,
    Role.EXPOSANT: AnnonceTarget.EXPOSANTS,
    Role.CONTROLLEUR_DES_BADGES: AnnonceTarget.CONTROLLEURS,
    Role.GESTIONNAIRE_DES_SALLES: AnnonceTarget.GESTIONNAIRES,
}


class PaymentStatus(enum.StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    FREE = "FREE"


class ScanStatus(enum.StrEnum):
    GRANTED = "GRANTED"
    DENIED = "DENIED"


class DenyReason(enum.StrEnum):
    UNKNOWN_BADGE = "UNKNOWN_BADGE"
    REVOKED_BADGE = "REVOKED_BADGE"
    WRONG_EVENT = "WRONG_EVENT"
    NO_SESSION = "NO_SESSION"
    NOT_PAID = "NOT_PAID"
    ROOM_FULL = "ROOM_FULL"


class EventFileKind(enum.StrEnum):
    PROGRAMME = "PROGRAMME"
    GUIDE = "GUIDE"


class FileKind(enum.StrEnum):
    """What a stored file is: the event's programme or guide, or an exposant's stand plan."""

    PROGRAMME = "PROGRAMME"
    GUIDE = "GUIDE"
    PLAN = "PLAN"


FILE_KINDS: tuple[FileKind, ...] = tuple(FileKind)
