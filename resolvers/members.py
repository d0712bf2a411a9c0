"""Members of events: reading, adding and importing them; their badges."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import col, or_, select

import models
from kernel.errors import AgoraError, BadUserInputError, ConflictError, NotFoundError
from models import Role
from resolvers import audit, news
from resolvers.badges import issue_badge
from resolvers.context import Context
from resolvers.pagination import Page, SortKey, paginate
from resolvers.text import optional_text, required_text
from resolvers.users import create_user, find_by_email, validate_email
from resolvers.visibility import visible_event, visible_in_event


def memberships_of(ctx: Context, user: models.User) -> list[models.Member]:
    """A user's memberships (the policy lets only the user itself or an admin ask)."""
    viewer = ctx.require_viewer()
    if user.id == viewer.user_id:
        return sorted(viewer.memberships.values(), key=lambda m: m.event_id)
    stmt = (
        select(models.Member)
        .where(models.Member.user_id == user.id)
        .order_by(col(models.Member.event_id))
    )
    return list(ctx.db.exec(stmt))


def list_exposants(ctx: Context, event: models.Event) -> list[models.Member]:
    """The salon directory: the event's exposants by company."""
    stmt = (
        select(models.Member)
        .where(models.Member.event_id == event.id, models.Member.role == Role.EXPOSANT)
        .order_by(col(models.Member.company), col(models.Member.id))
    )
    return list(ctx.db.exec(stmt))


def list_members(
    ctx: Context,
    event: models.Event,
    *,
    role: Role | None,
    search: str | None,
    first: int | None,
    after: str | None,
) -> Page[models.Member]:
    """The event's members, oldest membership first, filtered by role and by name/email/company."""
    stmt = select(models.Member).where(models.Member.event_id == event.id)
    if role is not None:
        if role not in models.EVENT_ROLES:
            raise BadUserInputError(
                f"{role.value} is not a role members hold; use one of {', '.join(r.value for r in models.EVENT_ROLES)}."
            )
        stmt = stmt.where(models.Member.role == role)
    if search and search.strip():
        pattern = f"%{search.strip().lower()}%"
        # The event's own name for the member, never the account's: that one is not the
        # event's to read, not even by whether a search finds it.
        users = select(models.User.id).where(col(models.User.email).ilike(pattern))
        stmt = stmt.where(
            or_(
                col(models.Member.display_name).ilike(pattern),
                col(models.Member.user_id).in_(users),
                col(models.Member.company).ilike(pattern),
            )
        )
    return paginate(
        ctx.db,
        stmt,
        keys=[SortKey(models.Member.id)],
        key_of=lambda m: [m.id],
        first=first,
        after=after,
    )


@dataclass(frozen=True)
class MemberValues:
    """A member as an event's staff give it: `full_name` is the name the event shows."""

    email: str
    full_name: str
    role: Role | str
    company: str | None = ""


# The columns' lengths (models/member.py); a role is one of four short words.
NAME_LENGTH = 200
COMPANY_LENGTH = 200
ROLE_LENGTH = 40


def event_role(value: Role | str) -> Role:
    """One of the four roles a member holds; BAD_USER_INPUT for anything else."""
    names = ", ".join(r.value for r in models.EVENT_ROLES)
    text = value.value if isinstance(value, Role) else optional_text(value, "The role", ROLE_LENGTH)
    try:
        role = Role(text.upper())
    except ValueError:
        raise BadUserInputError(f"{value!r} is not a member role; use one of {names}.") from None
    if role not in models.EVENT_ROLES:
        raise BadUserInputError(f"{role.value} is not a member role; use one of {names}.")
    return role


def _checked(values: MemberValues) -> tuple[str, str, Role, str]:
    return (
        validate_email(values.email),
        required_text(values.full_name, "The member's name", NAME_LENGTH),
        event_role(values.role),
        optional_text(values.company, "The company", COMPANY_LENGTH),
    )


def add_member(ctx: Context, *, event_id: int, values: MemberValues) -> models.Member:
    """Add a member with a badge, under the name given. An account with that email is linked
    as it is (its name, password and the rest are the person's, not the event's); a new email
    creates the account, without a password, under that name."""
    event = visible_event(ctx, event_id)
    email, full_name, role, company = _checked(values)
    user = find_by_email(ctx.db, email)
    if user is not None:
        existing = ctx.db.exec(
            select(models.Member).where(
                models.Member.event_id == event.id, models.Member.user_id == user.id
            )
        ).first()
        if existing is not None:
            raise ConflictError(f"{email} is already a member of this event ({existing.role}).")
    member = _new_member(ctx, event, user, email, full_name, role, company)
    ctx.commit()
    return member


def _new_member(
    ctx: Context,
    event: models.Event,
    user: models.User | None,
    email: str,
    full_name: str,
    role: Role,
    company: str,
) -> models.Member:
    if user is None:
        user = create_user(ctx.db, email=email, full_name=full_name)
    assert event.id is not None
    assert user.id is not None
    member = models.Member(
        event_id=event.id, user_id=user.id, role=role, company=company, display_name=full_name
    )
    ctx.db.add(member)
    ctx.db.flush()
    issue_badge(ctx.db, member)
    audit.record(
        ctx,
        event_id=event.id,
        action="member.add",
        subject=("Member", member),
        after={"email": email, "full_name": full_name, "role": role.value, "company": company},
    )
    return member


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


REQUIRED_COLUMNS = ("email", "full_name", "role")
ALL_COLUMNS = (*REQUIRED_COLUMNS, "company")


def _rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs of a CSV with the header email,full_name,role[,company]."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadUserInputError("The file is not UTF-8 text; save the CSV as UTF-8.") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in ALL_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        raise BadUserInputError(
            "The first line must be the header email,full_name,role[,company] "
            f"(found {','.join(header) or 'nothing'})."
        )
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                rows.append(
                    (line, {"__error__": f"expected {len(header)} columns, found {len(cells)}"})
                )
                continue
            rows.append((line, dict(zip(header, cells, strict=True))))
    except csv.Error as exc:
        raise BadUserInputError(f"Line {reader.line_num}: the CSV is malformed ({exc}).") from exc
    return rows


def import_members(
    ctx: Context,
    *,
    event: models.Event,
    data: bytes,
    progress: Callable[[int], object] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> ImportReport:
    """Add or update the members of a CSV file. Bad rows are reported by line; good rows are kept.

    A row's name is the member's in this event: an existing account with its email is linked
    (or its membership updated) without any change to the account itself. Importing the same
    file again changes nothing: a row matching a member already there counts as updated only
    when its name, company or role differ. The caller finds the event (the API among the
    viewer's events, the CLI by id).
    """
    rows = _rows(data)
    if on_total is not None:
        on_total(len(rows))
    report = ImportReport()
    members = {
        m.user_id: m
        for m in ctx.db.exec(select(models.Member).where(models.Member.event_id == event.id))
    }
    first_line: dict[str, int] = {}
    for line, row in rows:
        try:
            if "__error__" in row:
                raise BadUserInputError(row["__error__"].capitalize() + ".")
            values = MemberValues(
                email=row["email"],
                full_name=row["full_name"],
                role=row["role"],
                company=row.get("company", ""),
            )
            email, full_name, role, company = _checked(values)
            if email in first_line:
                raise BadUserInputError(f"{email} is already on line {first_line[email]}.")
            first_line[email] = line
            user = find_by_email(ctx.db, email)
            member = members.get(user.id) if user is not None and user.id is not None else None
            if member is None:
                member = _new_member(ctx, event, user, email, full_name, role, company)
                members[member.user_id] = member
                report.created += 1
            elif _update(ctx, member, full_name, role, company):
                report.updated += 1
        except AgoraError as exc:
            report.errors.append((line, exc.message))
        if progress is not None:
            progress(1)
    ctx.commit()
    return report


def _update(ctx: Context, member: models.Member, full_name: str, role: Role, company: str) -> bool:
    before = {
        "full_name": member.display_name,
        "role": audit.plain(member.role),
        "company": member.company,
    }
    after = {"full_name": full_name, "role": role.value, "company": company}
    changed = before != after
    if member.role != role:
        news.publish(ctx.db, "member", member.id)
    member.display_name, member.role, member.company = full_name, role, company
    audit.record(
        ctx,
        event_id=member.event_id,
        action="member.update",
        subject=("Member", member),
        before=before,
        after=after,
    )
    return changed


def current_badge(ctx: Context, member: models.Member) -> models.Badge | None:
    return ctx.db.exec(
        select(models.Badge)
        .where(models.Badge.member_id == member.id)
        .order_by(col(models.Badge.id).desc())
    ).first()


def revoke_badge(ctx: Context, *, member_id: int) -> models.Member:
    """Revoke the member's badge: doors refuse its code from now on."""
    member = visible_in_event(ctx, models.Member, member_id, "member")
    badge = current_badge(ctx, member)
    if badge is None:
        raise NotFoundError("This member has no badge; reissue one.")
    if badge.revoked_at is not None:
        raise ConflictError("This member's badge is already revoked; reissue one.")
    badge.revoked_at = ctx.now
    audit.record(
        ctx,
        event_id=member.event_id,
        action="badge.revoke",
        subject=("Member", member),
        before={"revoked": False},
        after={"revoked": True},
    )
    ctx.commit()
    return member


def reissue_badge(ctx: Context, *, member_id: int) -> models.Member:
    """Give the member a new badge code; the old one is revoked and refused at doors."""
    member = visible_in_event(ctx, models.Member, member_id, "member")
    badge = current_badge(ctx, member)
    was_revoked = badge is None or badge.revoked_at is not None
    if badge is not None and badge.revoked_at is None:
        badge.revoked_at = ctx.now
    issued = issue_badge(ctx.db, member)
    # Codes are secrets: the entry says a new badge replaced the old, never what either reads.
    audit.record(
        ctx,
        event_id=member.event_id,
        action="badge.reissue",
        subject=("Member", member),
        before={
            "badge_issued_at": audit.plain(badge.issued_at) if badge else None,
            "revoked": was_revoked,
        },
        after={"badge_issued_at": audit.plain(issued.issued_at), "revoked": False},
    )
    ctx.commit()
    return member
