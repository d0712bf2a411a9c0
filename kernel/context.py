"""The request context's protocol: what any layer may ask of the request it serves.

The transport builds the one concrete context (`app.context.AgoraContext`); layers below it
name only this protocol, or `resolvers.context.Context`, which adds the viewer and the loaders,
so nothing imports upward to type a parameter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlmodel import Session

from kernel.moments import Clock
from kernel.settings import Settings


class RequestContext(Protocol):
    db: Session
    settings: Settings
    clock: Clock

    @property
    def now(self) -> datetime:
        """The request's moment (see `Clock.read`)."""
        ...

    def commit(self) -> None:
        """End the use case's transaction; later reads in this request see what it wrote."""
        ...
