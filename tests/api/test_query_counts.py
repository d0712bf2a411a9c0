"""No query's count of SQL statements grows with the size of its answer."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import models
from models import AnnonceTarget, Role
from tests.factories import gid

PROGRAMME = """query($id: ID!) {
  event(id: $id) {
    name president { fullName } programme { url } guide { url }
    rooms { name sessions { title room { name event { name } } } }
    sessions { title room { name } myAccess { hasAccess } youtubeLiveUrl }
    annonces { title createdBy { fullName } canEdit }
    exposants { fullName company plan { url } user { fullName } }
    members(first: 100) { totalCount edges { node { fullName email badge { code } event { name } } } }
    myMembership { badge { code } }
  }
}"""


def _event_of_size(
    factory, rooms: int, sessions_per_room: int, members: int
) -> tuple[models.Event, models.User]:
    president = factory.user()
    event = factory.event(president=president)
    for _ in range(rooms):
        room = factory.room(event)
        for i in range(sessions_per_room):
            start = factory.now + timedelta(hours=2 * i)
            factory.session(room, starts_at=start, ends_at=start + timedelta(hours=1))
    for i in range(members):
        factory.member(event, Role.EXPOSANT if i % 2 else Role.PARTICIPANT, company=f"C{i}")
        factory.annonce(event, president, AnnonceTarget.ALL)
    return event, president


def _count(gql, count_statements, event, token) -> int:
    with count_statements() as statements:
        data = gql.ok(PROGRAMME, {"id": gid("Event", event)}, token=token)
    assert data["event"]["name"] == event.name
    return len(statements)


def test_event_programme_costs_the_same_for_2_or_12_rooms(gql, factory, count_statements):
    small, president_small = _event_of_size(factory, rooms=2, sessions_per_room=2, members=2)
    large, president_large = _event_of_size(factory, rooms=12, sessions_per_room=5, members=30)
    small_count = _count(gql, count_statements, small, factory.token(president_small))
    large_count = _count(gql, count_statements, large, factory.token(president_large))
    assert large_count == small_count
    assert small_count <= 20


QUESTION_COUNTS = """query($id: ID!) {
  event(id: $id) {
    rooms { name sessions { title status questions { totalCount edges { node { text } } } } }
  }
}"""


def _programme_with_questions(factory, rooms: int, sessions_per_room: int, questions: int):
    """An event whose participant may attend everything (paid ateliers marked PAID)."""
    event = factory.event(president=factory.user())
    participant = factory.member(event, Role.PARTICIPANT)
    for _ in range(rooms):
        room = factory.room(event)
        for i in range(sessions_per_room):
            start = factory.now + timedelta(hours=2 * i)
            paid = i % 2 == 1
            session = factory.session(
                room,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                kind=models.SessionKind.ATELIER if paid else models.SessionKind.CONFERENCE,
                price=Decimal("20") if paid else Decimal("0"),
            )
            if paid:
                factory.access(session, participant, models.PaymentStatus.PAID)
            for n in range(questions):
                factory.question(session, participant, text=f"Q{n}")
    return event, participant


def test_question_counts_under_every_session_cost_one_statement_per_level(
    gql, factory, count_statements
):
    small, small_viewer = _programme_with_questions(factory, 1, 2, questions=1)
    large, large_viewer = _programme_with_questions(factory, 8, 6, questions=4)
    counts = []
    for event, viewer, sessions, per_session in (
        (small, small_viewer, 2, 1),
        (large, large_viewer, 48, 4),
    ):
        with count_statements() as statements:
            data = gql.ok(
                QUESTION_COUNTS,
                {"id": gid("Event", event)},
                token=factory.token(factory.db.get(models.User, viewer.user_id)),
            )
        listed = [s for r in data["event"]["rooms"] for s in r["sessions"]]
        assert len(listed) == sessions
        assert {s["questions"]["totalCount"] for s in listed} == {per_session}
        assert all(len(s["questions"]["edges"]) == per_session for s in listed)
        counts.append(len(statements))
    assert counts[0] == counts[1]


BADGE_ANOMALIES = """query($id: ID!) {
  event(id: $id) {
    badgeAnomalies(withinMinutes: 10) {
      member { fullName }
      first { status room { name } session { title } controller { fullName } }
      second { status room { name } session { title } member { fullName } }
    }
  }
}"""


def _shared_badges(factory, members: int):
    """An event where each of `members` badges is granted at salle 1 then salle 2 a minute later."""
    president = factory.user()
    event = factory.event(president=president)
    one, two = factory.room(event), factory.room(event)
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    start = factory.now - timedelta(hours=1)
    for i in range(members):
        member = factory.member(event, Role.PARTICIPANT)
        at = start + timedelta(minutes=3 * i)
        factory.scan(one, member, controller=controller, scanned_at=at)
        factory.scan(two, member, controller=controller, scanned_at=at + timedelta(minutes=1))
    return event, factory.token(president)


def test_badge_anomalies_are_found_in_one_statement_whatever_their_number(
    gql, factory, count_statements
):
    counts = []
    for members in (1, 15):
        event, token = _shared_badges(factory, members)
        with count_statements() as statements:
            data = gql.ok(BADGE_ANOMALIES, {"id": gid("Event", event)}, token=token)
        assert len(data["event"]["badgeAnomalies"]) == members
        assert sum("lag(" in s.lower() for s in statements) == 1
        counts.append(len(statements))
    assert counts[0] == counts[1]


LEADS = """query($id: ID!) { node(id: $id) { ... on Member { exposantStats {
  byTag { tag count }
  visits(first: 100) { edges { node { rating tags participant { fullName email } } } }
} } } }"""


def _tagged_leads(factory, visits: int):
    """An exposant whose `visits` visits each carry two of four tags."""
    event = factory.event(president=factory.user())
    exposant = factory.member(event, Role.EXPOSANT)
    start = factory.now - timedelta(hours=1)
    for i in range(visits):
        visit = factory.visit(
            exposant,
            factory.member(event, Role.PARTICIPANT),
            scanned_at=start + timedelta(seconds=i),
        )
        visit.rating = 1 + i % 5
        factory.db.add_all(
            models.VisitTag(visit_id=visit.id, tag=t) for t in (f"t{i % 4}", f"t{(i + 1) % 4}")
        )
    factory.db.commit()
    return exposant, factory.token(factory.db.get(models.User, exposant.user_id))


def test_leads_with_tags_and_counts_by_tag_cost_the_same_for_2_or_40_visits(
    gql, factory, count_statements
):
    counts = []
    for visits in (2, 40):
        exposant, token = _tagged_leads(factory, visits)
        with count_statements() as statements:
            data = gql.ok(LEADS, {"id": gid("Member", exposant)}, token=token)
        stats = data["node"]["exposantStats"]
        assert len(stats["visits"]["edges"]) == visits
        assert all(len(e["node"]["tags"]) == 2 for e in stats["visits"]["edges"])
        assert sum(t["count"] for t in stats["byTag"]) == 2 * visits
        counts.append(len(statements))
    assert counts[0] == counts[1]
