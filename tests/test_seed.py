"""The demo seed goes through the programme's use cases, and running it twice changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import select

import models
import seed
from app.context import acting_in
from tests.api.conftest import rows


def test_seed_builds_the_demo_through_the_use_cases_once(db, settings, gql):
    # when
    event = seed.seed(db, acting_in(db, settings), today=datetime.now(UTC))
    seed.seed(db, acting_in(db, settings))
    # then
    assert db.exec(select(func.count()).select_from(models.Event)).one() == 1
    assert len(rows(db, models.Room)) == 4
    programme = rows(db, models.EventSession)
    assert len(programme) == 32
    assert all(s["kind"] == "ATELIER" or not s["is_paid"] for s in programme)
    badges = {b["code"] for b in rows(db, models.Badge)}
    assert {"AGB-DEMO-PARTICIPANT", "AGB-DEMO-EXPOSANT", "AGB-DEMO-VISITEUR-20"} <= badges
    paid = [a for a in rows(db, models.SessionAccess) if a["payment_status"] == "PAID"]
    assert len(paid) == 2
    assert len(rows(db, models.Annonce)) == 4
    login = gql.ok(
        """mutation { login(email: "president@agora.demo", password: "agora-demo") { accessToken } }"""
    )["login"]
    events = gql.ok("{ events { name } }", token=login["accessToken"])["events"]
    assert events == [{"name": event.name}]
