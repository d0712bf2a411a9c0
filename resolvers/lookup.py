"""Reading one object by id, within the viewer's events (NOT_FOUND otherwise)."""

from __future__ import annotations

import models
from resolvers.context import Context
from resolvers.visibility import visible_event, visible_in_event


def get_event(ctx: Context, *, event_id: int) -> models.Event:
    return visible_event(ctx, event_id)


def get_room(ctx: Context, *, room_id: int) -> models.Room:
    return visible_in_event(ctx, models.Room, room_id, "room")


def get_session(ctx: Context, *, session_id: int) -> models.EventSession:
    return visible_in_event(ctx, models.EventSession, session_id, "session")


def get_member(ctx: Context, *, member_id: int) -> models.Member:
    return visible_in_event(ctx, models.Member, member_id, "member")


def get_annonce(ctx: Context, *, annonce_id: int) -> models.Annonce:
    return visible_in_event(ctx, models.Annonce, annonce_id, "annonce")


def get_file(ctx: Context, *, file_id: int) -> models.StoredFile:
    return visible_in_event(ctx, models.StoredFile, file_id, "file")


def get_question(ctx: Context, *, question_id: int) -> models.Question:
    return visible_in_event(ctx, models.Question, question_id, "question")


def get_assignment(ctx: Context, *, assignment_id: int) -> models.RoomAssignment:
    return visible_in_event(ctx, models.RoomAssignment, assignment_id, "staff assignment")


def get_visit(ctx: Context, *, visit_id: int) -> models.Visit:
    return visible_in_event(ctx, models.Visit, visit_id, "visit")


def get_room_access(ctx: Context, *, access_id: int) -> models.RoomAccess:
    return visible_in_event(ctx, models.RoomAccess, access_id, "scan")
