"""The `agora` command: serve, migrate, seed, manage users, export the schema."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from tqdm import tqdm

import models
import seed
from app.context import AgoraContext, acting_in
from app.db import make_engine, make_session_factory
from app.migrate import current_revision, head_revision, steps_between, upgrade
from kernel.errors import AgoraError, NotFoundError
from kernel.ids import decode
from kernel.settings import Settings, SettingsError, load_settings
from resolvers import retention, tallies
from resolvers.members import import_members
from resolvers.users import INVITATION_DAYS, create_user, issue_invitation, set_password
from schema import schema
from schema.permission_matrix import render

DEFAULT_SCHEMA_PATH = Path("schema.graphql")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise SystemExit(f"agora: {exc}") from exc


def shown_url(url: str) -> str:
    """`url` as it may be printed: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "DATABASE_URL (unreadable)"


@contextmanager
def database_reached(settings: Settings) -> Iterator[None]:
    """A database that cannot be reached, or a URL that names none, is one line, not a trace."""
    try:
        yield
    except (ArgumentError, NoSuchModuleError) as exc:
        raise SystemExit(f"agora: DATABASE_URL is not a database URL: {exc}") from None
    except DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise SystemExit(
            f"agora: cannot reach the database {shown_url(settings.database_url)}: {reason}"
        ) from None


def cmd_migrate(_args: argparse.Namespace) -> int:
    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with database_reached(settings):
        engine = make_engine(settings.database_url)
        try:
            before = current_revision(engine)
            upgrade(engine)
            after = current_revision(engine)
        finally:
            engine.dispose()
    assert after is not None
    if before == after:
        print(f"The database is at {after}, the latest revision: nothing to apply.")
    else:
        steps = steps_between(before, after)
        print(
            f"Migrated the database from {before or 'empty'} to {after} "
            f"({steps} revision{'s' if steps != 1 else ''} applied)."
        )
    return 0


def _refuse_production(settings: Settings, what: str) -> None:
    if settings.is_production:
        raise SystemExit(
            f"agora: {what} loads the demo event, whose logins and password are printed for "
            "anyone to read; it does not run with AGORA_ENV=production."
        )


def cmd_seed(_args: argparse.Namespace) -> int:
    settings = _settings()
    _refuse_production(settings, "`agora seed`")
    with database_reached(settings):
        engine = make_engine(settings.database_url)
        with make_session_factory(engine)() as db:
            seed.seed(db, acting_in(db, settings))
        engine.dispose()
    seed.print_logins()
    return 0


def _check_migrated(settings: Settings) -> None:
    """`serve` on a database the code cannot use refuses to start, saying what to run."""
    with database_reached(settings):
        engine = make_engine(settings.database_url)
        try:
            current = current_revision(engine)
        finally:
            engine.dispose()
    head = head_revision()
    if current != head:
        at = f"at revision {current}" if current else "empty (never migrated)"
        raise SystemExit(
            f"agora: the database {shown_url(settings.database_url)} is {at}, not at the "
            f"latest revision {head}: run `agora migrate` first."
        )


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings()
    if args.demo:
        _refuse_production(settings, "`agora serve --demo`")
        cmd_migrate(args)
        cmd_seed(args)
    else:
        _check_migrated(settings)
    host = "localhost" if args.host in ("127.0.0.1", "0.0.0.0") else args.host
    print(
        f"GraphiQL: http://{host}:{args.port}/graphiql  "
        f"(database: {shown_url(settings.database_url)})",
        flush=True,
    )
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning" if args.quiet else "info",
        ws_per_message_deflate=False,
        # No banner naming the server and its version to whoever asks.
        server_header=False,
    )
    return 0


def _in_context(action: Callable[[AgoraContext], object]) -> int:
    """A command's one way in, as a request's: its context opened, the use case run in one
    transaction, a refusal printed with its code (exit status 1)."""
    settings = _settings()
    engine = make_engine(settings.database_url)
    ctx = AgoraContext.open(make_session_factory(engine), settings)
    try:
        action(ctx)
        ctx.commit()
    except AgoraError as exc:
        print(f"agora: {exc.message} ({exc.code})", file=sys.stderr)
        return 1
    finally:
        ctx.close()
        engine.dispose()
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    def action(ctx: AgoraContext) -> None:
        user = create_user(
            ctx.db,
            email=args.email,
            full_name=args.name,
            password=args.password,
            is_admin=args.admin,
        )
        print(f"Created {'admin ' if user.is_admin else ''}user {user.email}.")

    return _in_context(action)


def cmd_set_password(args: argparse.Namespace) -> int:
    def action(ctx: AgoraContext) -> None:
        user = set_password(ctx.db, email=args.email, password=args.password)
        print(f"Password of {user.email} changed.")

    return _in_context(action)


def cmd_invite(args: argparse.Namespace) -> int:
    def action(ctx: AgoraContext) -> None:
        token = issue_invitation(ctx.db, email=args.email, now=ctx.now)
        print(token)
        print(
            f"Invitation for {args.email.strip().lower()}, valid {INVITATION_DAYS} days: "
            "send it to them; they set a password with the setPasswordWithToken mutation.",
            file=sys.stderr,
        )

    return _in_context(action)


def _event_pk(value: str) -> int:
    return int(value) if value.isdigit() else decode("Event", value)


def cmd_import_members(args: argparse.Namespace) -> int:
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"agora: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1

    def action(ctx: AgoraContext) -> None:
        event = ctx.db.get(models.Event, _event_pk(args.event))
        if event is None:
            raise NotFoundError(f"No event has the id {args.event}.")
        with tqdm(desc="Importing", unit="row", file=sys.stderr) as bar:

            def on_total(total: int) -> None:
                bar.total = total
                bar.refresh()

            report = import_members(
                ctx, event=event, data=data, progress=bar.update, on_total=on_total
            )
        print(f"{report.created} created, {report.updated} updated, {len(report.errors)} refused.")
        for line, message in report.errors:
            print(f"line {line}: {message}")

    return _in_context(action)


def cmd_retention(args: argparse.Namespace) -> int:
    days = args.older_than_days

    def action(ctx: AgoraContext) -> None:
        plans = retention.plan_purge(ctx, older_than_days=days)
        counts = retention.totals(plans)
        if args.execute:
            with tqdm(
                total=sum(counts.values()), desc="Deleting", unit="row", file=sys.stderr
            ) as bar:
                counts = retention.execute_purge(ctx, plans, progress=bar.update)
        touched = sum(1 for p in plans if p.total)
        verb = "Deleted" if args.execute else "Would delete"
        print(
            f"{verb}, of {len(plans)} event(s) that ended more than {days} day(s) ago "
            f"({touched} with rows to delete):"
        )
        for kind in retention.KINDS:
            print(f"  {retention.LABELS[kind]}: {counts[kind]}")
        if not args.execute:
            print("Nothing was deleted: run again with --execute to delete these rows.")

    return _in_context(action)


# Differences printed by `agora stats verify`; the rest are counted.
SHOWN_DIFFERENCES = 20


def cmd_stats_verify(args: argparse.Namespace) -> int:
    differences: list[tallies.Difference] = []

    def action(ctx: AgoraContext) -> None:
        differences.extend(tallies.verify(ctx.db))
        if differences and args.repair:
            tallies.repair(ctx.db)

    status = _in_context(action)
    if status:
        return status
    if not differences:
        print("The stats' counters match the scan log and the visits.")
        return 0
    print(f"{len(differences)} counter row(s) differ from a recount of the log:")
    for d in differences[:SHOWN_DIFFERENCES]:
        print(f"  {d.table} {d.key}: kept {d.kept}, counted {d.counted}")
    if len(differences) > SHOWN_DIFFERENCES:
        print(f"  … and {len(differences) - SHOWN_DIFFERENCES} more")
    if args.repair:
        print("Repaired: every counter now holds its recount.")
        return 0
    print("Run `agora stats verify --repair` to replace them with the recount.")
    return 1


def cmd_export_schema(args: argparse.Namespace) -> int:
    path = Path(args.path)
    path.write_text(schema.as_str() + "\n")
    print(f"Wrote {path}.")
    return 0


def cmd_permissions_doc(args: argparse.Namespace) -> int:
    path = Path(args.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(schema))
    print(f"Wrote {path}.")
    return 0


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of days") from None
    if days < 0:
        raise argparse.ArgumentTypeError("the number of days is 0 or more")
    return days


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agora", description="Agora: a GraphQL API for running an event on site."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP server (GraphiQL at /graphql)")
    serve.add_argument("--demo", action="store_true", help="migrate and load the demo event first")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--quiet", action="store_true", help="log warnings only")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        func=cmd_migrate
    )
    sub.add_parser("seed", help="load the demo event (idempotent)").set_defaults(func=cmd_seed)

    create = sub.add_parser("create-user", help="create a user who can log in")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--admin", action="store_true", help="a platform administrator")
    create.set_defaults(func=cmd_create_user)

    password = sub.add_parser("set-password", help="set an existing user's password")
    password.add_argument("--email", required=True)
    password.add_argument("--password", required=True)
    password.set_defaults(func=cmd_set_password)

    invite = sub.add_parser(
        "invite", help="print a one-time token with which a user sets a password (7 days)"
    )
    invite.add_argument("--email", required=True)
    invite.set_defaults(func=cmd_invite)

    imports = sub.add_parser(
        "import-members", help="add or update an event's members from a CSV file"
    )
    imports.add_argument("event", help="the event's id (global id, or the number)")
    imports.add_argument("file", help="CSV with header email,full_name,role[,company]")
    imports.set_defaults(func=cmd_import_members)

    keep = sub.add_parser(
        "retention",
        help="count (or, with --execute, delete) the scan log, stand visits, refresh tokens "
        "and audit entries of events that ended long ago",
    )
    keep.add_argument(
        "--older-than-days",
        type=_days,
        required=True,
        metavar="N",
        help="events that ended more than N days ago",
    )
    keep.add_argument(
        "--execute", action="store_true", help="delete the rows (default: only count them)"
    )
    keep.set_defaults(func=cmd_retention)

    stats = sub.add_parser("stats", help="the stats' counters").add_subparsers(
        dest="stats_command", required=True
    )
    verify = stats.add_parser(
        "verify",
        help="recount the stats' counters from the scan log and the visits; report (or, "
        "with --repair, mend) every difference",
    )
    verify.add_argument(
        "--repair", action="store_true", help="replace the counters with the recount"
    )
    verify.set_defaults(func=cmd_stats_verify)

    export = sub.add_parser("export-schema", help="write the GraphQL schema (SDL)")
    export.add_argument("path", nargs="?", default=str(DEFAULT_SCHEMA_PATH))
    export.set_defaults(func=cmd_export_schema)

    matrix = sub.add_parser("permissions-doc", help="write the permission matrix (Markdown)")
    matrix.add_argument("path", nargs="?", default="docs/permissions.md")
    matrix.set_defaults(func=cmd_permissions_doc)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
