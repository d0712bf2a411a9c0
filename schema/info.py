"""What every field's resolver receives: `info.context` is the request's context."""

from __future__ import annotations

import strawberry

from resolvers.context import Context

Info = strawberry.Info[Context, None]
