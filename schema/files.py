"""Files: the event's programme and guide, an exposant's stand plan (uploads; downloads are
`app/files.py`)."""

from __future__ import annotations

import strawberry

import models
from kernel.ids import decode
from permissions import allowed, subjects
from permissions.rules import EVENT_STAFF, EXPOSANT_SELF
from resolvers import files
from schema.enums import EventFileKind
from schema.info import Info
from schema.types import File
from schema.uploads import UploadedFile


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
