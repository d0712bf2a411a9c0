"""Uploaded documents: the event's programme and guide, exposants' stand plans (PDF only)."""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path, PurePath
from typing import BinaryIO

import models
from kernel.errors import BadUserInputError, NotFoundError
from models import FileKind, Role
from resolvers import audit
from resolvers.context import Context
from resolvers.visibility import visible_event, visible_in_event

PDF_MAGIC = b"%PDF-"
PDF_TYPE = "application/pdf"
FILE_FIELDS = ("kind", "member_id", "filename", "size", "sha256")


def _read_limited(stream: BinaryIO, limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise BadUserInputError(f"The file is too large: at most {_size(limit)} may be uploaded.")
    return data


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"


def _clean_filename(name: str | None) -> str:
    base = PurePath((name or "").replace("\\", "/")).name
    base = re.sub(r"[\x00-\x1f\x7f\"]", "", base).strip() or "document.pdf"
    return base[-255:]


def read_limited(ctx: Context, stream: BinaryIO) -> bytes:
    """The uploaded bytes, when within the size limit."""
    return _read_limited(stream, ctx.settings.max_upload_bytes)


def read_pdf(ctx: Context, stream: BinaryIO) -> bytes:
    """The uploaded bytes, when they are a PDF within the size limit (judged by content, not name)."""
    data = read_limited(ctx, stream)
    if not data.startswith(PDF_MAGIC):
        raise BadUserInputError("Only PDF documents are accepted, and this file is not a PDF.")
    return data


def storage_path(ctx: Context, key: str) -> Path:
    """Where a stored file's bytes live; never outside the storage folder."""
    root = ctx.settings.storage_dir.resolve()
    path = (root / key).resolve()
    if not path.is_relative_to(root) or path == root:
        raise NotFoundError("No such file.")
    return path


def _store(
    ctx: Context,
    *,
    event_id: int,
    kind: FileKind,
    filename: str | None,
    stream: BinaryIO,
    member_id: int | None = None,
) -> models.StoredFile:
    data = read_pdf(ctx, stream)
    key = secrets.token_hex(20) + ".pdf"
    stored = models.StoredFile(
        event_id=event_id,
        kind=kind,
        member_id=member_id,
        filename=_clean_filename(filename),
        content_type=PDF_TYPE,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=key,
        uploaded_by_id=ctx.require_viewer().user_id,
        uploaded_at=ctx.now,
    )
    path = storage_path(ctx, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    try:
        ctx.db.add(stored)
        audit.record(
            ctx,
            event_id=event_id,
            action="file.upload",
            subject=("File", stored),
            after=audit.snapshot(stored, FILE_FIELDS),
        )
        ctx.commit()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return stored


def upload_event_file(
    ctx: Context, *, event_id: int, kind: FileKind, filename: str | None, stream: BinaryIO
) -> models.StoredFile:
    """Store a new programme or guide of the event; it replaces the previous one."""
    if kind == FileKind.PLAN:
        raise BadUserInputError("Stand plans are uploaded for an exposant (uploadExposantPlan).")
    event = visible_event(ctx, event_id)
    assert event.id is not None
    return _store(ctx, event_id=event.id, kind=kind, filename=filename, stream=stream)


def upload_exposant_plan(
    ctx: Context, *, member_id: int, filename: str | None, stream: BinaryIO
) -> models.StoredFile:
    """Store a new stand plan of an exposant; it replaces the previous one."""
    member = visible_in_event(ctx, models.Member, member_id, "member")
    if member.role != Role.EXPOSANT:
        raise BadUserInputError("Only exposants have a stand plan.")
    return _store(
        ctx,
        event_id=member.event_id,
        kind=FileKind.PLAN,
        filename=filename,
        stream=stream,
        member_id=member.id,
    )


def downloadable(ctx: Context, *, file_id: int) -> tuple[models.StoredFile, Path]:
    """A file the viewer may download (any member of its event) and where its bytes are."""
    stored = visible_in_event(ctx, models.StoredFile, file_id, "file")
    path = storage_path(ctx, stored.storage_key)
    if not path.is_file():
        raise NotFoundError("The file's content is missing on this server.")
    return stored, path
