"""Uploaded documents: the event's programme and guide, exposants' stand plans (PDF only)."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import unicodedata
from pathlib import Path, PurePath
from typing import BinaryIO

from sqlmodel import col, select

import models
from kernel.errors import BadUserInputError, NotFoundError
from kernel.ids import encode
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


# Unicode categories never kept in a file name: controls, format characters (the
# bidirectional overrides and isolates that make "evil\u202efdp.exe" read as "evilexe.pdf",
# zero-width marks), surrogates, private use, unassigned, line and paragraph separators.
_UNSHOWN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
MAX_FILENAME = 255


def clean_filename(name: str | None) -> str:
    """The name a file is stored and offered under: the last part of the client's path, in NFC,
    without invisible or direction-changing characters or quotes, every run of white space
    (tabs, line breaks) one space, at most 255 characters (its end, which holds the extension, kept); "document.pdf"
    when nothing is left."""
    base = PurePath((name or "").replace("\\", "/")).name
    shown = (
        " " if c.isspace() else c
        for c in unicodedata.normalize("NFC", base)
        if c.isspace() or (unicodedata.category(c) not in _UNSHOWN and c != '"')
    )
    cleaned = " ".join("".join(shown).split())
    return cleaned[-MAX_FILENAME:].strip() or "document.pdf"


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


def _replaced(
    ctx: Context, *, event_id: int, kind: FileKind, member_id: int | None
) -> list[models.StoredFile]:
    """The files an upload of `kind` replaces (the event's, or the exposant's stand plan), with
    their owner's row locked until the commit: two uploads at once then replace one after the
    other, and neither leaves the other's file behind, still served."""
    F = models.StoredFile
    if member_id is None:
        owner = select(models.Event.id).where(col(models.Event.id) == event_id)
        same = col(F.event_id) == event_id
    else:
        owner = select(models.Member.id).where(col(models.Member.id) == member_id)
        same = col(F.member_id) == member_id
    ctx.db.exec(owner.with_for_update())
    return list(ctx.db.exec(select(F).where(same, col(F.kind) == kind)))


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
    replaced = _replaced(ctx, event_id=event_id, kind=kind, member_id=member_id)
    key = secrets.token_hex(20) + ".pdf"
    stored = models.StoredFile(
        event_id=event_id,
        kind=kind,
        member_id=member_id,
        filename=clean_filename(filename),
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
        for old in replaced:
            ctx.db.delete(old)
        after = audit.snapshot(stored, FILE_FIELDS)
        if replaced:
            after["replaces"] = [encode("File", old.id or 0) for old in replaced]
        audit.record(
            ctx,
            event_id=event_id,
            action="file.upload",
            subject=("File", stored),
            after=after,
        )
        ctx.commit()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    # Only once the new file is committed: a failed upload leaves the current file served.
    for old in replaced:
        _unlink(ctx, old.storage_key)
    return stored


def _unlink(ctx: Context, key: str) -> None:
    # Its row is gone, so it is served no more: bytes that could not be removed harm no one.
    with contextlib.suppress(NotFoundError, OSError):
        storage_path(ctx, key).unlink(missing_ok=True)


def upload_event_file(
    ctx: Context, *, event_id: int, kind: FileKind, filename: str | None, stream: BinaryIO
) -> models.StoredFile:
    """Store a new programme or guide of the event; the previous one (its row and its bytes)
    is deleted, so its id is NOT_FOUND from then on."""
    if kind == FileKind.PLAN:
        raise BadUserInputError("Stand plans are uploaded for an exposant (uploadExposantPlan).")
    event = visible_event(ctx, event_id)
    assert event.id is not None
    return _store(ctx, event_id=event.id, kind=kind, filename=filename, stream=stream)


def upload_exposant_plan(
    ctx: Context, *, member_id: int, filename: str | None, stream: BinaryIO
) -> models.StoredFile:
    """Store a new stand plan of an exposant; the previous one is deleted, as for the event's
    documents."""
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
