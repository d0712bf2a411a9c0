"""Demo data: a two-day salon with rooms, a programme, members of every role and some activity.

Idempotent (it does nothing if the demo event exists) and deterministic: fixed emails,
passwords and badge codes, so demo QR codes stay stable. The event starts on the day it is
seeded, so a session is running whenever someone tries the demo. The event, rooms, members,
sessions, paid accesses and annonces go through the same use cases as the API, so the demo
obeys the same rules; all of it is one transaction, whose contexts the caller makes
(`app.context.acting_in`): `agora seed`, `agora serve --demo`, the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

import models
from kernel.ids import encode
from kernel.moments import Clock
from models import AnnonceTarget, PaymentStatus, Role, SessionKind, SessionStatus
from resolvers import annonces, events, members, rooms, scanning, sessions, staff, visits
from resolvers.context import Context
from resolvers.users import create_user, find_by_email

# A context acting as the user, on the seed's session and in its one transaction.
ActingAs = Callable[[models.User], Context]

DEMO_EVENT = "Salon Agora — démo"
DEMO_PASSWORD = "agora-demo"
TIMEZONE = "Europe/Paris"

LOGINS: list[tuple[str, str, str]] = [
    ("admin@agora.demo", "Platform admin", "ADMIN"),
    ("president@agora.demo", "Claire Président", "ORGANIZER (president)"),
    ("gestionnaire@agora.demo", "Gaston Gestionnaire", "GESTIONNAIRE_DES_SALLES"),
    ("controlleur@agora.demo", "Camille Contrôleur", "CONTROLLEUR_DES_BADGES"),
    ("participant@agora.demo", "Paul Participant", "PARTICIPANT"),
    ("exposant@agora.demo", "Emma Exposant", "EXPOSANT"),
]

ROOMS = [
    ("Salle 1", "Grand amphithéâtre", "Rez-de-chaussée", 200),
    ("Salle 2", "Salle de conférence", "1er étage", 80),
    ("Salle 3", "Atelier A", "1er étage", 25),
    ("Salle 4", "Atelier B", "2e étage", 20),
]

TALKS = [
    ("Ouverture du salon", "Claire Président", SessionKind.CONFERENCE, Decimal("0")),
    ("L'événementiel de demain", "Inès Martin", SessionKind.CONFERENCE, Decimal("0")),
    ("Atelier badges et contrôle d'accès", "Hugo Bernard", SessionKind.ATELIER, Decimal("25.00")),
    ("Atelier networking", "Léa Petit", SessionKind.ATELIER, Decimal("0")),
    ("Table ronde : les exposants", "Noah Robert", SessionKind.CONFERENCE, Decimal("0")),
    ("Atelier data et statistiques", "Chloé Richard", SessionKind.ATELIER, Decimal("40.00")),
]


def _user(db: Session, email: str, name: str, *, admin: bool = False) -> models.User:
    return find_by_email(db, email) or create_user(
        db, email=email, full_name=name, password=DEMO_PASSWORD, is_admin=admin
    )


def _member(
    ctx: Context,
    event: models.Event,
    user: models.User,
    role: Role,
    code: str,
    company: str = "",
) -> models.Member:
    assert event.id is not None
    member = members.add_member(
        ctx,
        event_id=event.id,
        values=members.MemberValues(
            email=user.email, full_name=user.full_name, role=role, company=company
        ),
    )
    # A fixed code instead of the random one, so the demo's QR codes stay the same.
    badge = members.current_badge(ctx, member)
    assert badge is not None
    badge.code = code
    return member


def seed(db: Session, acting_as: ActingAs, today: datetime | None = None) -> models.Event:
    """Create the demo event unless it exists; returns it."""
    existing = db.exec(select(models.Event).where(models.Event.name == DEMO_EVENT)).first()
    if existing is not None:
        return existing
    tz = ZoneInfo(TIMEZONE)
    day = (today or datetime.now(UTC)).astimezone(tz).date()

    def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(
            day + timedelta(days=day_offset), time(hour, minute), tz
        ).astimezone(UTC)

    admin = _user(db, "admin@agora.demo", "Platform admin", admin=True)
    president = _user(db, "president@agora.demo", "Claire Président")
    event = events.create_event(
        acting_as(admin),
        values=events.EventValues(
            name=DEMO_EVENT,
            description="Deux jours de conférences et d'ateliers autour de l'organisation d'événements.",
            location="Palais des congrès, Lyon",
            starts_at=at(0, 0),
            ends_at=at(2, 0),
            timezone=TIMEZONE,
            president_email=president.email,
        ),
    )
    assert event.id is not None
    assert admin.id is not None
    ctx = acting_as(president)

    room_list = [
        rooms.create_room(
            ctx,
            event_id=event.id,
            values=rooms.RoomValues(
                name=name, description=description, location=location, capacity=capacity
            ),
        )
        for name, description, location, capacity in ROOMS
    ]

    gestionnaire = _member(
        ctx,
        event,
        _user(db, "gestionnaire@agora.demo", "Gaston Gestionnaire"),
        Role.GESTIONNAIRE_DES_SALLES,
        "AGB-DEMO-GESTIONNAIRE",
    )
    controller = _member(
        ctx,
        event,
        _user(db, "controlleur@agora.demo", "Camille Contrôleur"),
        Role.CONTROLLEUR_DES_BADGES,
        "AGB-DEMO-CONTROLLEUR",
    )
    controller2 = _member(
        ctx,
        event,
        _user(db, "controlleur2@agora.demo", "Chris Contrôleur"),
        Role.CONTROLLEUR_DES_BADGES,
        "AGB-DEMO-CONTROLLEUR-2",
    )
    participant = _member(
        ctx,
        event,
        _user(db, "participant@agora.demo", "Paul Participant"),
        Role.PARTICIPANT,
        "AGB-DEMO-PARTICIPANT",
    )
    exposant = _member(
        ctx,
        event,
        _user(db, "exposant@agora.demo", "Emma Exposant"),
        Role.EXPOSANT,
        "AGB-DEMO-EXPOSANT",
        company="Badgeo SAS",
    )
    _member(
        ctx,
        event,
        _user(db, "exposant2@agora.demo", "Eric Exposant"),
        Role.EXPOSANT,
        "AGB-DEMO-EXPOSANT-2",
        company="StandUp SARL",
    )
    visitors = [
        _member(
            ctx,
            event,
            _user(db, f"visiteur{i:02d}@agora.demo", f"Visiteur {i:02d}"),
            Role.PARTICIPANT,
            f"AGB-DEMO-VISITEUR-{i:02d}",
        )
        for i in range(1, 21)
    ]

    programme: list[models.EventSession] = []
    for day_offset in (0, 1):
        for index, room in enumerate(room_list):
            for assignment, hour in enumerate((9, 11, 14, 16)):
                title, speaker, kind, price = TALKS[(index + assignment + day_offset) % len(TALKS)]
                if room.capacity < 50 and kind == SessionKind.CONFERENCE:
                    kind, price = SessionKind.ATELIER, Decimal("0")
                assert room.id is not None
                values = sessions.SessionValues(
                    room_id=room.id,
                    title=f"{title} ({'J1' if day_offset == 0 else 'J2'})",
                    description="",
                    speaker_name=speaker,
                    kind=kind,
                    is_paid=price > 0,
                    price=price,
                    starts_at=at(day_offset, hour),
                    ends_at=at(day_offset, hour + 1, 45),
                    youtube_live_url=f"https://www.youtube.com/watch?v=agora{day_offset}{index}{assignment}"
                    if kind == SessionKind.CONFERENCE
                    else None,
                )
                programme.append(sessions.create_session(ctx, event_id=event.id, values=values))
    now = datetime.now(UTC)
    for s in programme:
        assert s.id is not None
        if s.ends_at <= now:
            sessions.set_session_status(ctx, session_id=s.id, status=SessionStatus.TERMINE)
        elif s.starts_at <= now:
            sessions.set_session_status(ctx, session_id=s.id, status=SessionStatus.EN_COURS)

    paid = [s for s in programme if s.is_paid]
    for s in paid[:2]:
        assert s.id is not None
        assert participant.id is not None
        sessions.set_session_access(
            ctx,
            session_id=s.id,
            member_id=participant.id,
            payment_status=PaymentStatus.PAID,
            amount_paid=None,
        )

    # Staff: the controller holds salle 1 in the morning and salle 2 in the afternoon, each day.
    for day_offset in (0, 1):
        for member, morning, evening in (
            (controller, room_list[0], room_list[1]),
            (controller2, room_list[2], room_list[3]),
            (gestionnaire, room_list[0], room_list[2]),
        ):
            assert member.id is not None
            for room, starts_at, ends_at in (
                (morning, at(day_offset, 0), at(day_offset, 13)),
                (evening, at(day_offset, 13), at(day_offset + 1, 0)),
            ):
                assert room.id is not None
                staff.assign_staff(
                    ctx, member_id=member.id, room_id=room.id, starts_at=starts_at, ends_at=ends_at
                )

    for title, target in (
        ("Bienvenue au salon", AnnonceTarget.ALL),
        ("Vestiaire au rez-de-chaussée", AnnonceTarget.PARTICIPANTS),
        ("Montage des stands dès 7h", AnnonceTarget.EXPOSANTS),
        ("Briefing contrôleurs à 8h30, Salle 1", AnnonceTarget.CONTROLLEURS),
    ):
        annonces.create_annonce(
            ctx, event_id=event.id, title=title, description=title + ".", target=target
        )

    first = programme[0]
    assert first.id is not None
    assert participant.id is not None
    db.add(
        models.Question(
            event_id=event.id,
            session_id=first.id,
            author_id=participant.id,
            text="Les slides seront-elles partagées ?",
            upvotes=0,
        )
    )

    # A little door and stand activity, so stats have something to show: through the same
    # use cases as the scanner apps, each as of its own moment.
    def scanning_as(member: models.Member, moment: datetime) -> Context:
        user = db.get(models.User, member.user_id)
        assert user is not None
        ctx = acting_as(user)
        ctx.clock = Clock(moment)
        return ctx

    door = encode("Room", first.room_id)
    scanning.scan_badge(
        scanning_as(controller, first.starts_at),
        request=scanning.ScanRequest(room_id=door, code="AGB-INCONNU", client_scan_id="seed-0"),
    )
    for i, _visitor in enumerate(visitors[:12]):
        code = f"AGB-DEMO-VISITEUR-{i + 1:02d}"
        scanning.scan_badge(
            scanning_as(controller, first.starts_at + timedelta(minutes=i)),
            request=scanning.ScanRequest(room_id=door, code=code, client_scan_id=f"seed-{i + 1}"),
        )
        if i % 2 == 0:
            visits.scan_visitor(
                scanning_as(exposant, first.starts_at + timedelta(hours=1, minutes=i)),
                event_id=event.id,
                code=code,
                note="Intéressé par une démo",
            )
    db.commit()
    return event


def print_logins() -> None:
    print(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, name, role in LOGINS:
        print(f"  {role:<26} {email:<28} {name}")


if __name__ == "__main__":
    # The seed needs the application's contexts, which the command line makes.
    raise SystemExit("Load the demo event with `agora seed` (or `./run demo` to serve it).")
