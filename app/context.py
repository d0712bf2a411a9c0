"""The one context a request is served with: built by each transport (GraphQL over HTTP, the
WebSocket, the routes, the command line) and seen below `app` through its protocol,
`resolvers.context.Context`."""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

import models
from app.live import Feed
from app.throttle import LoginThrottle
from kernel import security
from kernel.errors import UnauthenticatedError
from kernel.moments import Clock
from kernel.settings import Settings
from resolvers.loaders import Loaders
from resolvers.viewer import KeptViewers, Viewer

ENDED = (
    "This access token was ended by a logout (or by the reuse of a spent refresh token): "
    "refresh it with a valid refresh token, or log in again."
)


# An access token is a JWT: three base64url parts, the first a JSON object (`{"` is `eyJ`).
# Searched for, not matched whole: `?token=Bearer eyJ...` or a bare `?eyJ...` leaks it as well.
JWT = re.compile(r"(?<![\w-])eyJ[\w-]*\.[\w-]+\.[\w-]*")
TOKEN_IN_QUERY = (
    "An access token is never accepted in an address, where logs and proxies keep it: send it "
    "as the header `Authorization: Bearer <token>`. Calendar apps use the event's icalUrl, "
    "whose token opens its feed alone."
)


def access_token_in_query(query_string: bytes) -> bool:
    """Whether a request's query string holds an access token, in any parameter's name or
    value, on any route: it is refused (UNAUTHENTICATED, `TOKEN_IN_QUERY`), never used, since
    an address leaks."""
    if not query_string:
        return False
    query = urllib.parse.parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return any(JWT.search(name) or JWT.search(value) for name, value in query)


def bearer(value: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` value; None for any other scheme."""
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def bearer_token(headers: Any) -> str | None:
    return bearer(headers.get("authorization") or "")


@dataclass
class AgoraContext:
    db: Session
    settings: Settings
    clock: Clock
    token: str | None = None
    request: Any = None
    # Set by the WebSocket transport from `connection_init` (browsers cannot send headers there).
    connection_params: dict[str, Any] | None = None
    # Counts failed logins; None where no login can happen (file downloads, exports).
    login_throttle: LoginThrottle | None = None
    # Subscriptions: what wakes this one, and fresh sessions for each push (see `renew`).
    feed: Feed | None = None
    open_session: Callable[[], Session] | None = None
    # The worker threads a subscription's reads may take (None: anyio's default, shared with
    # HTTP). Subscriptions get their own few, so hundreds of door displays waking at once
    # queue among themselves instead of in front of the scans that wake them.
    thread_limiter: Any = None
    # Viewers read by earlier requests, for an operation whose one write checks that its
    # viewer still holds (see `KeptViewers`); None: read the viewer afresh.
    kept_viewers: KeptViewers | None = None
    # A write checked, in its own statement, that a reused viewer still held (it did).
    standing_checked: bool = False
    # A subscription's reads run in worker threads: one thread at a time in `db`.
    db_lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _loaders: Loaders | None = field(default=None, init=False)
    _viewer: Viewer | None = field(default=None, init=False)
    _viewer_loaded: bool = field(default=False, init=False)

    @classmethod
    def open(
        cls, sessions: Callable[[], Session], settings: Settings, **fields: Any
    ) -> AgoraContext:
        """A request's context on a session of its own, its clock read now: how every way in
        (GraphQL over HTTP, the WebSocket, the HTTP routes, the command line) starts one.
        `close()` ends it; what its use case did not commit is rolled back."""
        return cls(db=sessions(), settings=settings, clock=Clock(models.utcnow()), **fields)

    def close(self) -> None:
        self.db.close()

    @property
    def loaders(self) -> Loaders:
        # Made on first use: many operations (a scan, `{ __typename }`) never batch a read.
        if self._loaders is None:
            self._loaders = Loaders(self.db, self.clock)
        return self._loaders

    @property
    def now(self) -> datetime:
        """The request's moment. Reading it keeps this response from being served again (see
        `Clock`): readers that know how long their answer holds use `clock.peek()`."""
        return self.clock.read()

    @property
    def viewer(self) -> Viewer | None:
        """The authenticated viewer, None when anonymous. A bad token is refused, not ignored."""
        if not self._viewer_loaded:
            self._viewer = self._load_viewer()
            self._viewer_loaded = True
        return self._viewer

    def viewer_if_loaded(self) -> Viewer | None:
        """The viewer if this request has read it (no read, no error otherwise)."""
        return self._viewer if self._viewer_loaded else None

    def require_viewer(self) -> Viewer:
        viewer = self.viewer
        if viewer is None:
            raise UnauthenticatedError("Log in first: this needs an access token.")
        return viewer

    def act_as(self, user: models.User) -> None:
        """From now on in this request, the viewer is `user` (who just logged in)."""
        self._viewer = Viewer(user=user, db=self.db)
        self._viewer_loaded = True

    @property
    def client_address(self) -> str | None:
        client = getattr(self.request, "client", None)
        return client.host if client else None

    def renew(self) -> None:
        """Start a subscription's next push afresh: a new session, clock and loaders, so it reads
        the database as it is now (not as at subscribe). The viewer stays as the last check of
        its rights read it (`forget_viewer`): rights change with news, which checks them again."""
        assert self.open_session is not None
        self.db.close()
        self.db = self.open_session()
        self.clock = Clock(models.utcnow())
        self._loaders = None

    def forget_viewer(self) -> None:
        """The viewer is read again when next needed: its rights as they are now."""
        self._viewer = None
        self._viewer_loaded = False

    def reader(self) -> AgoraContext:
        """A context of its own for a read that several subscriptions share: its session,
        clock and loaders are nobody's, and no viewer (the read judges nothing)."""
        assert self.open_session is not None
        return AgoraContext.open(self.open_session, self.settings, open_session=self.open_session)

    def access_token(self) -> str | None:
        """The bearer token of the request, or of the WebSocket's `connection_init`."""
        return self._bearer()

    def _bearer(self) -> str | None:
        if self.token is not None:
            return self.token
        params = self.connection_params or {}
        return bearer(str(params.get("Authorization") or params.get("authorization") or ""))

    def _load_viewer(self) -> Viewer | None:
        token = self._bearer()
        if token is None:
            return None
        try:
            access = security.decode_access_token(self.settings, token)
        except security.InvalidToken as exc:
            raise UnauthenticatedError(str(exc)) from exc
        viewer = Viewer.load(self.db, access.user_id, self.kept_viewers)
        if viewer is None:
            raise UnauthenticatedError("The access token's user no longer exists.")
        if viewer.user.token_version != access.version:
            raise UnauthenticatedError(ENDED)
        return viewer

    def commit(self) -> None:
        """End the use case's transaction; later reads in this request see what it wrote."""
        self.db.commit()
        if self._loaders is not None:
            self._loaders.clear()
        if self._viewer is not None:
            self._viewer.forget()


class _OneTransaction(AgoraContext):
    """A context on a session others share, in one transaction: a use case's commit only
    flushes, so the caller's single commit keeps all of what they did or none of it."""

    def commit(self) -> None:
        self.db.flush()
        if self._loaders is not None:
            self._loaders.clear()


def acting_in(db: Session, settings: Settings) -> Callable[[models.User], AgoraContext]:
    """Contexts acting as one user after another in `db`'s one transaction: how the demo data
    runs the API's use cases as the president, the controller, the exposant, ... The session is
    the caller's to commit and close, not theirs."""

    def acting_as(user: models.User) -> AgoraContext:
        ctx = _OneTransaction.open(lambda: db, settings)
        ctx.act_as(user)
        return ctx

    return acting_as
