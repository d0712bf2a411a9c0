"""uploadEventFile, uploadExposantPlan (multipart uploads) and GET /files/<id>."""

from __future__ import annotations

import hashlib

import pytest

import models
from models import Role
from tests.api.conftest import SMALL_LIMIT, minimal_pdf, rows
from tests.conftest import error_codes
from tests.factories import gid

UPLOAD_EVENT_FILE = """mutation($e: ID!, $kind: EventFileKind!, $file: Upload!) {
  uploadEventFile(eventId: $e, kind: $kind, file: $file) { id filename contentType size sha256 url uploadedAt }
}"""
UPLOAD_PLAN = """mutation($m: ID!, $file: Upload!) {
  uploadExposantPlan(memberId: $m, file: $file) { id filename size url }
}"""
EVENT_FILES = """query($id: ID!) { event(id: $id) { programme { id filename } guide { id } exposants { company plan { id url } } } }"""


@pytest.fixture
def salon(factory, db):
    president = factory.user()
    event = factory.event(president=president)
    exposant = factory.member(event, Role.EXPOSANT, company="Bob & Co")
    participant = factory.member(event, Role.PARTICIPANT)
    return {
        "president": president,
        "event": event,
        "exposant": exposant,
        "exposant_user": db.get(models.User, exposant.user_id),
        "participant_user": db.get(models.User, participant.user_id),
    }


def _stored_files(settings):
    folder = settings.storage_dir
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_upload_the_programme_and_download_it(gql, factory, db, upload, client, settings, salon):
    # given
    pdf = minimal_pdf("Programme")
    # when
    body = upload(
        UPLOAD_EVENT_FILE,
        {"e": gid("Event", salon["event"]), "kind": "PROGRAMME"},
        "file",
        pdf,
        "programme 2027.pdf",
        factory.token(salon["president"]),
    )
    # then
    assert "errors" not in body, body
    file = body["data"]["uploadEventFile"]
    assert (file["filename"], file["contentType"], file["size"]) == (
        "programme 2027.pdf",
        "application/pdf",
        len(pdf),
    )
    assert file["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert file["url"] == f"/files/{file['id']}"
    (stored,) = rows(db, models.StoredFile)
    assert (stored["kind"], stored["event_id"], stored["sha256"]) == (
        "PROGRAMME",
        salon["event"].id,
        file["sha256"],
    )
    path = settings.storage_dir / stored["storage_key"]
    assert path.read_bytes() == pdf
    assert stored["filename"] not in stored["storage_key"]
    # every member sees it on the event and downloads it
    participant = factory.token(salon["participant_user"])
    event = gql.ok(EVENT_FILES, {"id": gid("Event", salon["event"])}, participant)["event"]
    assert event["programme"] == {"id": file["id"], "filename": "programme 2027.pdf"}
    response = client.get(file["url"], headers={"Authorization": f"Bearer {participant}"})
    assert response.status_code == 200
    assert response.content == pdf
    assert response.headers["content-type"] == "application/pdf"
    assert "programme%202027.pdf" in response.headers["content-disposition"]


def test_a_new_upload_replaces_the_current_file(gql, factory, db, upload, salon):
    token = factory.token(salon["president"])
    variables = {"e": gid("Event", salon["event"]), "kind": "GUIDE"}
    upload(UPLOAD_EVENT_FILE, variables, "file", minimal_pdf("v1"), "guide.pdf", token)
    second = upload(UPLOAD_EVENT_FILE, variables, "file", minimal_pdf("v2"), "guide-v2.pdf", token)[
        "data"
    ]["uploadEventFile"]
    event = gql.ok(EVENT_FILES, {"id": gid("Event", salon["event"])}, token)["event"]
    assert event["guide"] == {"id": second["id"]}
    assert event["programme"] is None
    assert len(rows(db, models.StoredFile)) == 2


def test_a_renamed_non_pdf_is_refused(gql, factory, db, upload, settings, salon):
    before = _stored_files(settings)
    body = upload(
        UPLOAD_EVENT_FILE,
        {"e": gid("Event", salon["event"]), "kind": "PROGRAMME"},
        "file",
        b"PK\x03\x04 this is a zip file",
        "programme.pdf",
        factory.token(salon["president"]),
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert (
        body["errors"][0]["message"]
        == "Only PDF documents are accepted, and this file is not a PDF."
    )
    assert rows(db, models.StoredFile) == []
    assert _stored_files(settings) == before


def test_an_oversized_file_is_refused(gql, factory, db, small_upload, settings, salon):
    before = _stored_files(settings)
    big = minimal_pdf() + b"%" + b"x" * SMALL_LIMIT
    body = small_upload(
        UPLOAD_EVENT_FILE,
        {"e": gid("Event", salon["event"]), "kind": "PROGRAMME"},
        "file",
        big,
        "big.pdf",
        factory.token(salon["president"]),
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "The file is too large: at most 2 KB may be uploaded."
    assert rows(db, models.StoredFile) == []
    assert _stored_files(settings) == before
    # a file within the limit passes on the same server
    ok = small_upload(
        UPLOAD_EVENT_FILE,
        {"e": gid("Event", salon["event"]), "kind": "PROGRAMME"},
        "file",
        minimal_pdf(),
        "small.pdf",
        factory.token(salon["president"]),
    )
    assert "errors" not in ok


def test_upload_event_file_forbidden_and_not_found(gql, factory, db, upload, salon):
    variables = {"e": gid("Event", salon["event"]), "kind": "PROGRAMME"}
    body = upload(
        UPLOAD_EVENT_FILE,
        variables,
        "file",
        minimal_pdf(),
        "p.pdf",
        factory.token(salon["exposant_user"]),
    )
    assert error_codes(body) == ["FORBIDDEN"]
    outsider = factory.user()
    factory.event(president=outsider)
    body = upload(
        UPLOAD_EVENT_FILE, variables, "file", minimal_pdf(), "p.pdf", factory.token(outsider)
    )
    assert error_codes(body) == ["NOT_FOUND"]
    assert rows(db, models.StoredFile) == []


def test_exposant_uploads_its_own_plan_for_the_directory(gql, factory, db, upload, client, salon):
    token = factory.token(salon["exposant_user"])
    body = upload(
        UPLOAD_PLAN,
        {"m": gid("Member", salon["exposant"])},
        "file",
        minimal_pdf("Stand"),
        "stand.pdf",
        token,
    )
    assert "errors" not in body, body
    plan = body["data"]["uploadExposantPlan"]
    (stored,) = rows(db, models.StoredFile)
    assert (stored["kind"], stored["member_id"]) == ("PLAN", salon["exposant"].id)
    participant = factory.token(salon["participant_user"])
    directory = gql.ok(EVENT_FILES, {"id": gid("Event", salon["event"])}, participant)["event"][
        "exposants"
    ]
    assert directory == [{"company": "Bob & Co", "plan": {"id": plan["id"], "url": plan["url"]}}]
    assert (
        client.get(plan["url"], headers={"Authorization": f"Bearer {participant}"}).status_code
        == 200
    )


def test_plan_refusals_change_nothing(gql, factory, db, upload, salon):
    other_exposant = factory.member(salon["event"], Role.EXPOSANT)
    participant_member = factory.member(salon["event"], Role.PARTICIPANT)
    cases = [
        (gid("Member", other_exposant), factory.token(salon["exposant_user"]), "FORBIDDEN"),
        (gid("Member", participant_member), factory.token(salon["president"]), "BAD_USER_INPUT"),
        ("TWVtYmVyOjk5OTk", factory.token(salon["president"]), "NOT_FOUND"),
    ]
    for member_id, token, code in cases:
        body = upload(UPLOAD_PLAN, {"m": member_id}, "file", minimal_pdf(), "plan.pdf", token)
        assert error_codes(body) == [code]
    assert rows(db, models.StoredFile) == []


def test_download_needs_a_valid_token_and_membership(factory, db, upload, client, salon):
    file = upload(
        UPLOAD_EVENT_FILE,
        {"e": gid("Event", salon["event"]), "kind": "PROGRAMME"},
        "file",
        minimal_pdf(),
        "p.pdf",
        factory.token(salon["president"]),
    )["data"]["uploadEventFile"]
    outsider = factory.user()
    factory.member(factory.event(), Role.PARTICIPANT, user=outsider)
    assert client.get(file["url"]).status_code == 401
    assert client.get(file["url"], headers={"Authorization": "Bearer nonsense"}).status_code == 401
    response = client.get(
        file["url"], headers={"Authorization": f"Bearer {factory.token(outsider)}"}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    token = factory.token(salon["participant_user"])
    for url in ("/files/RmlsZTo5OTk5", "/files/garbage", "/files/..%2F..%2Fetc%2Fpasswd"):
        assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 404


@pytest.mark.parametrize("key", ["../outside.txt", "{data_dir}/outside.txt", "", "."])
def test_download_never_reads_outside_the_storage_folder(factory, db, client, settings, salon, key):
    # given a row whose storage key points outside the folder (it cannot come from an upload)
    secret = settings.data_dir / "outside.txt"
    secret.write_text("not for downloads")
    row = models.StoredFile(
        event_id=salon["event"].id,
        kind="PROGRAMME",
        filename="x.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        storage_key=key.format(data_dir=settings.data_dir),
    )
    db.add(row)
    db.commit()
    # when
    token = factory.token(salon["participant_user"])
    response = client.get(
        f"/files/{gid('File', row)}", headers={"Authorization": f"Bearer {token}"}
    )
    # then
    assert response.status_code == 404
    assert "not for downloads" not in response.text
