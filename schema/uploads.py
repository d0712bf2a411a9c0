"""What a resolver receives for an `Upload` argument.

Strawberry types its `Upload` scalar as bytes, but a multipart request's file reaches the
resolver as the `UploadFile` that Starlette parsed (its `filename` and its `file` to read). An
argument annotated `UploadedFile` is that `UploadFile` in Python and `Upload` in the schema.

Strawberry's own `Upload` takes any value; ours (`UPLOAD_SCALAR`, the schema's definition of
`Upload`) takes only a file part of the request: a string in the JSON variables, or a form field
without a file name that the map points at, is refused as bad input before any resolver runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload
from strawberry.types.scalar import ScalarDefinition


def _a_file(value: object) -> UploadFile:
    if not isinstance(value, UploadFile):
        raise ValueError(
            "An Upload is a file part of a multipart request (with a filename), named in its "
            "`map`; send null in its place in the variables."
        )
    return value


UPLOAD_SCALAR: Mapping[object, ScalarDefinition] = {
    Upload: strawberry.scalar(
        name="Upload",
        description="Represents a file upload.",
        serialize=lambda v: v,
        parse_value=_a_file,
    )
}

UploadedFile = Annotated[UploadFile, strawberry.argument(graphql_type=Upload)]
