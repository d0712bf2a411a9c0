"""Files: the event's programme and guide, an exposant's stand plan (uploads; downloads are
`app/files.py`)."""

from __future__ import annotations

from datetime import datetime

import strawberry

import models
from kernel.ids import decode, encode
from permissions import allowed, subjects
from permissions.rules import EVENT_STAFF, EXPOSANT_SELF
from resolvers import files
from schema.enums import EventFileKind
from schema.fields import field
from schema.info import Info
from schema.node import Node
from schema.uploads import UploadedFile


@strawberry.type(name="File", description="An uploaded document (programme, guide, stand plan).")
class File(Node):
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime

    @classmethod
    def from_model(cls, f: models.StoredFile) -> File:
        assert f.id is not None
        return cls(
            id=strawberry.ID(encode("File", f.id)),
            filename=f.filename,
            content_type=f.content_type,
            size=f.size,
            sha256=f.sha256,
            uploaded_at=f.uploaded_at,
        )

    @field(
        description="Absolute path on this server (for example /files/<id>) that serves the bytes to an authorized viewer."
    )
    def url(self) -> str:
        return f"/files/{self.id}"


@strawberry.type
class FileMutation:
    @allowed(
        *EVENT_STAFF,
        subject=subjects.EVENT_ARG,
        description="Upload the event's programme or guide (a PDF); it replaces the previous one.",
    )
    def upload_event_file(
        self, info: Info, event_id: strawberry.ID, kind: EventFileKind, file: UploadedFile
    ) -> File:
        stored = files.upload_event_file(
            info.context,
            event_id=decode("Event", event_id),
            kind=models.FileKind(kind.value),
            filename=file.filename,
            stream=file.file,
        )
        return File.from_model(stored)

    @allowed(
        *EVENT_STAFF,
        EXPOSANT_SELF,
        subject=subjects.MEMBER_ARG,
        description="Upload an exposant's stand plan (a PDF); it replaces the previous one.",
    )
    def upload_exposant_plan(
        self, info: Info, member_id: strawberry.ID, file: UploadedFile
    ) -> File:
        stored = files.upload_exposant_plan(
            info.context,
            member_id=decode("Member", member_id),
            filename=file.filename,
            stream=file.file,
        )
        return File.from_model(stored)
