"""What a resolver receives for an `Upload` argument.

Strawberry types its `Upload` scalar as bytes, but a multipart request's file reaches the
resolver as the `UploadFile` that Starlette parsed (its `filename` and its `file` to read). An
argument annotated `UploadedFile` is that `UploadFile` in Python and `Upload` in the schema.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

UploadedFile = Annotated[UploadFile, strawberry.argument(graphql_type=Upload)]
