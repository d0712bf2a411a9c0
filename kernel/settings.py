"""Settings, read once from the environment. Nothing else in Agora reads os.environ."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from limits import parse as parse_limit
from strawberry.http.websocket_origin import normalize_allowed_origins, normalize_origin

DEVELOPMENT = "development"
PRODUCTION = "production"
MIN_SECRET_LENGTH = 32
# Room in a request for the operation and the multipart framing around an upload.
REQUEST_MARGIN_BYTES = 1024 * 1024


class SettingsError(RuntimeError):
    """The environment does not describe a server that may start."""


@dataclass(frozen=True)
class Settings:
    env: str
    data_dir: Path
    database_url: str
    secret_key: str
    access_token_minutes: int
    refresh_token_days: int
    jwt_issuer: str
    jwt_audience: str
    max_upload_bytes: int
    # How long before a session starts its doors open.
    entry_window_minutes: int
    # The most scans one syncScans call may carry.
    max_sync_batch: int
    # Live subscriptions are woken by notifications; this is only how often each one also looks
    # for news (and re-checks its rights) when nothing woke it.
    live_poll_seconds: float
    # How long a WebSocket may stay open before its `connection_init`.
    live_init_timeout_seconds: float
    # The most subscriptions one WebSocket may carry at once.
    live_max_subscriptions: int
    # The most WebSockets one user may hold open on one server process.
    live_max_connections: int
    # A server process without subscribers stops listening for news after this long.
    live_listen_idle_seconds: float
    # Query answers each server process keeps to serve again while the database and the
    # clock leave them true (`app.response_cache`); 0 keeps none.
    response_cache_size: int
    # Threads each server process runs operations in (they wait on the database there). A few
    # keep the processor busy; many only contend for Python's interpreter lock: 4 served a
    # fifth more scans than anyio's default of 40 (bench/README.md).
    worker_threads: int
    # Browser origins other than the API's own that may call it (CORS) and open WebSockets;
    # "*" for any. Empty: same-origin pages and non-browser clients only.
    cors_origins: tuple[str, ...]
    # The largest request body read at all: the upload limit plus room for the operation.
    max_request_bytes: int
    # Failed logins heard (`limits` notation): of an account from one client address; of an
    # account from everywhere (the ceiling against guessing from many addresses); of a client
    # address across accounts.
    login_limit_per_client: str
    login_limit_per_account: str
    login_limit_per_address: str

    @property
    def is_production(self) -> bool:
        return self.env == PRODUCTION

    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "files"


def _secret_key(env: str, data_dir: Path, given: str | None) -> str:
    if given:
        if env == PRODUCTION and len(given) < MIN_SECRET_LENGTH:
            raise SettingsError(
                f"AGORA_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters in production."
            )
        return given
    if env == PRODUCTION:
        raise SettingsError("AGORA_SECRET_KEY is required in production (AGORA_ENV=production).")
    # Development: a random key kept beside the data, so tokens survive restarts.
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    env = environ.get("AGORA_ENV", DEVELOPMENT)
    if env not in (DEVELOPMENT, PRODUCTION):
        raise SettingsError(f"AGORA_ENV must be '{DEVELOPMENT}' or '{PRODUCTION}', not {env!r}.")
    data_dir = Path(environ.get("AGORA_DATA_DIR", "data")).resolve()
    database_url = environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'agora.db'}"
    if database_url.startswith(("postgres://", "postgresql://")):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    max_upload_bytes = _positive(environ, "AGORA_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024), int)
    login_per_client = environ.get("AGORA_LOGIN_LIMIT_PER_CLIENT", "10 per 15 minutes")
    login_per_account = environ.get("AGORA_LOGIN_LIMIT_PER_ACCOUNT", "50 per 15 minutes")
    login_per_address = environ.get("AGORA_LOGIN_LIMIT_PER_ADDRESS", "100 per 15 minutes")
    for name, value in (
        ("AGORA_LOGIN_LIMIT_PER_CLIENT", login_per_client),
        ("AGORA_LOGIN_LIMIT_PER_ACCOUNT", login_per_account),
        ("AGORA_LOGIN_LIMIT_PER_ADDRESS", login_per_address),
    ):
        try:
            parse_limit(value)
        except ValueError as exc:
            raise SettingsError(
                f"{name} must read like '10 per 15 minutes', not {value!r}."
            ) from exc
    return Settings(
        env=env,
        data_dir=data_dir,
        database_url=database_url,
        secret_key=_secret_key(env, data_dir, environ.get("AGORA_SECRET_KEY")),
        access_token_minutes=_positive(environ, "AGORA_ACCESS_TOKEN_MINUTES", "15", int),
        refresh_token_days=_positive(environ, "AGORA_REFRESH_TOKEN_DAYS", "30", int),
        jwt_issuer=environ.get("AGORA_JWT_ISSUER", "agora"),
        jwt_audience=environ.get("AGORA_JWT_AUDIENCE", "agora-api"),
        max_upload_bytes=max_upload_bytes,
        entry_window_minutes=_at_least_zero(environ, "AGORA_ENTRY_WINDOW_MINUTES", "15"),
        max_sync_batch=_positive(environ, "AGORA_MAX_SYNC_BATCH", "500", int),
        live_poll_seconds=_positive(environ, "AGORA_LIVE_POLL_SECONDS", "60", float),
        live_init_timeout_seconds=_positive(
            environ, "AGORA_LIVE_INIT_TIMEOUT_SECONDS", "10", float
        ),
        live_max_subscriptions=_positive(environ, "AGORA_LIVE_MAX_SUBSCRIPTIONS", "20", int),
        live_max_connections=_positive(environ, "AGORA_LIVE_MAX_CONNECTIONS", "10", int),
        live_listen_idle_seconds=_positive(environ, "AGORA_LIVE_LISTEN_IDLE_SECONDS", "30", float),
        response_cache_size=_at_least_zero(environ, "AGORA_RESPONSE_CACHE_SIZE", "2000"),
        worker_threads=_positive(environ, "AGORA_WORKER_THREADS", "4", int),
        cors_origins=_origins(environ.get("AGORA_CORS_ORIGINS", "")),
        max_request_bytes=_positive(
            environ, "AGORA_MAX_REQUEST_BYTES", str(max_upload_bytes + REQUEST_MARGIN_BYTES), int
        ),
        login_limit_per_client=login_per_client,
        login_limit_per_account=login_per_account,
        login_limit_per_address=login_per_address,
    )


N = TypeVar("N", int, float)


def _positive(environ: Mapping[str, str], name: str, default: str, kind: Callable[[str], N]) -> N:
    raw = environ.get(name, default)
    try:
        value = kind(raw)
    except ValueError:
        value = kind("0")
    if not value > 0:
        number = "a whole number" if kind is int else "a number"
        raise SettingsError(f"{name} must be {number} above 0, not {raw!r}.")
    return value


def _at_least_zero(environ: Mapping[str, str], name: str, default: str) -> int:
    raw = environ.get(name, default)
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise SettingsError(f"{name} must be a whole number, 0 or more, not {raw!r}.")
    return value


def _origins(raw: str) -> tuple[str, ...]:
    """Origins as browsers send them (scheme://host[:port]); SettingsError for anything else."""
    origins = tuple(o.strip() for o in raw.split(",") if o.strip())
    try:
        normalize_allowed_origins(origins)
    except ValueError as exc:
        raise SettingsError(f"AGORA_CORS_ORIGINS: {exc}") from exc
    return tuple("*" if o == "*" else normalize_origin(o) or o for o in origins)
