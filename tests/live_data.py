"""What the live tests share: subscription and mutation documents, a door on duty, HTTP calls."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest
from sqlmodel import Session

import models
from models import Role
from tests.factories import Factory, gid

OCCUPANCY = """subscription($id: ID!) { roomOccupancy(roomId: $id) {
  occupancy capacity room { name } session { title status } lastScan { status member { id } } } }"""
ANNONCES = "subscription($id: ID!) { annoncePublished(eventId: $id) { title target createdBy { fullName } } }"
QUESTIONS = (
    "subscription($id: ID!) { questionUpdates(sessionId: $id) { text isAnswered answer upvotes } }"
)
SCAN = "mutation($r: ID!, $c: String!) { scanBadge(input: {roomId: $r, code: $c}) { status } }"
PUBLISH = """mutation($e: ID!, $t: AnnonceTarget!, $title: String!) {
  createAnnonce(eventId: $e, title: $title, description: "…", target: $t) { id } }"""
ASK = "mutation($s: ID!, $t: String!) { askQuestion(sessionId: $s, text: $t) { id } }"
ANSWER = 'mutation($q: ID!) { answerQuestion(questionId: $q, answer: "Oui") { id } }'
UPVOTE = "mutation($q: ID!) { upvoteQuestion(questionId: $q) { upvotes } }"
REASSIGN = """mutation($m: ID!, $r: ID!, $until: DateTime!) {
  reassignStaff(memberId: $m, roomId: $r, until: $until) { id } }"""
SET_ACCESS = """mutation($s: ID!, $m: ID!, $p: PaymentStatus!) {
  setSessionAccess(sessionId: $s, memberId: $m, paymentStatus: $p) { hasAccess } }"""
SET_STATUS = "mutation($s: ID!) { setSessionStatus(id: $s, status: EN_COURS) { status } }"
IMPORT = (
    """mutation($e: ID!, $file: Upload!) { importMembers(eventId: $e, file: $file) { updated } }"""
)


def post(url: str, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    """An operation sent over HTTP as a client app does; it must succeed."""
    response = httpx.post(
        url,
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def token_of(factory: Factory, db: Session, member: models.Member) -> str:
    return factory.token(db.get(models.User, member.user_id))


@dataclasses.dataclass
class Door:
    event: models.Event
    room: models.Room
    talk: models.EventSession
    organizer: str
    controller: models.Member
    controller_token: str
    guest: models.Member


@pytest.fixture
def door(factory: Factory, db: Session) -> Door:
    """A room with a session running now and its controller on duty."""
    president = factory.user(name="Claire")
    event = factory.event(president=president)
    factory.member(event, Role.GESTIONNAIRE_DES_SALLES, user=president)
    room = factory.room(event, capacity=40)
    talk = factory.session(room)
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    factory.assignment(controller, room)
    return Door(
        event=event,
        room=room,
        talk=talk,
        organizer=factory.token(president),
        controller=controller,
        controller_token=token_of(factory, db, controller),
        guest=factory.member(event, Role.PARTICIPANT),
    )


def scan(url: str, door: Door, member: models.Member, factory: Factory) -> str:
    code = factory.badge(member).code
    variables = {"r": gid("Room", door.room), "c": code}
    return post(url, SCAN, variables, door.controller_token)["scanBadge"]["status"]
