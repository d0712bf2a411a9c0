"""The context as the use cases, the policy and the schema see it: the request's (see
`kernel.context`), with who is asking, the batch loaders and, for a subscription, what wakes it.
`app.context.AgoraContext` is the one implementation."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol, TypeVar

import models
from kernel.context import RequestContext
from resolvers.loaders import Loaders
from resolvers.plain import PlainSelect
from resolvers.viewer import Viewer

T = TypeVar("T")

# A shared read: `read(cursor, began)` calls `began()` on the event loop just before it reads.
SharedReader = Callable[[int, Callable[[], None]], Awaitable[T]]


class LoginAttempts(Protocol):
    """Counts failed logins of an account from an address, of the account and of the address
    (`app.throttle.LoginThrottle`)."""

    def attempt(self, account: str, address: str | None) -> None: ...

    def succeeded(self, account: str, address: str | None) -> None: ...


class LiveFeed(Protocol):
    """What wakes one subscription (`app.live.Feed`): news on the topics it follows."""

    def follow(self, topics: Iterable[str]) -> None: ...

    def follow_rights(self, topics: Iterable[str]) -> None: ...

    def ring(self, rights: bool = False) -> None: ...

    async def shared(self, topic: str, cursor: int, read: SharedReader[T]) -> T: ...

    async def rows(
        self, statement: PlainSelect, began: Callable[[], None] | None, **params: Any
    ) -> list[tuple[Any, ...]] | None: ...

    def take_rights_news(self) -> bool: ...

    async def wait(self, seconds: float) -> bool: ...


class Context(RequestContext, Protocol):
    # A write checked, in its own statement, that a reused viewer still held (it did).
    standing_checked: bool
    # Subscriptions only: one thread at a time in `db`; the threads its reads may take (None:
    # anyio's default).
    db_lock: threading.Lock
    thread_limiter: Any

    # Read-only here: the transport sets them, with its own classes.
    @property
    def login_throttle(self) -> LoginAttempts | None:
        """Counts failed logins; None where no login can happen (file downloads, exports)."""
        ...

    @property
    def feed(self) -> LiveFeed | None:
        """Subscriptions only: what wakes this one."""
        ...

    @property
    def loaders(self) -> Loaders: ...

    @property
    def viewer(self) -> Viewer | None:
        """The authenticated viewer, None when anonymous. A bad token is refused, not ignored."""
        ...

    @property
    def client_address(self) -> str | None: ...

    def viewer_if_loaded(self) -> Viewer | None: ...

    def require_viewer(self) -> Viewer:
        """The viewer; UNAUTHENTICATED when anonymous."""
        ...

    def act_as(self, user: models.User) -> None:
        """From now on in this request, the viewer is `user` (who just logged in)."""
        ...

    def forget_viewer(self) -> None: ...

    def renew(self) -> None: ...

    def reader(self) -> Context: ...
