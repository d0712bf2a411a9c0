"""Every table of Agora. Importing this package completes SQLModel.metadata (migrations rely on it)."""

from models.annonce import Annonce
from models.audit import AuditEntry
from models.badge import Badge
from models.base import UTCDateTime, utcnow
from models.calendar_feed import CalendarFeed
from models.enums import (
    EVENT_ROLES,
    STAFF_ROLES,
    AnnonceTarget,
    DenyReason,
    EventFileKind,
    FileKind,
    PaymentStatus,
    QuestionModeration,
    Role,
    ScanStatus,
    SessionKind,
    SessionStatus,
)
from models.event import Event
from models.member import Member
from models.question import Question, QuestionUpvote
from models.room import Room
from models.room_access import RoomAccess
from models.room_assignment import RoomAssignment
from models.session import EventSession, SessionAccess
from models.stored_file import StoredFile
from models.tally import (
    EventEntrant,
    ExposantVisitor,
    RoomEntrant,
    ScanCount,
    SessionEntrant,
    VisitCount,
)
from models.throttle import RateLimitCounter
from models.user import RefreshToken, User, ViewerStanding
from models.visit import Visit, VisitTag

__all__ = [
    "EVENT_ROLES",
    "STAFF_ROLES",
    "Annonce",
    "AnnonceTarget",
    "AuditEntry",
    "Badge",
    "CalendarFeed",
    "DenyReason",
    "Event",
    "EventFileKind",
    "EventEntrant",
    "EventSession",
    "ExposantVisitor",
    "FileKind",
    "Member",
    "PaymentStatus",
    "RateLimitCounter",
    "Question",
    "QuestionModeration",
    "QuestionUpvote",
    "RefreshToken",
    "Role",
    "Room",
    "RoomAccess",
    "RoomAssignment",
    "RoomEntrant",
    "ScanCount",
    "ScanStatus",
    "SessionAccess",
    "SessionEntrant",
    "SessionKind",
    "SessionStatus",
    "StoredFile",
    "UTCDateTime",
    "User",
    "Visit",
    "VisitCount",
    "ViewerStanding",
    "VisitTag",
    "utcnow",
]
