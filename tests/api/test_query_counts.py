"""No query's count of SQL statements grows with the size of its answer."""

from __future__ import annotations

from datetime import timedelta

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
