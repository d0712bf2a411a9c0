"""Fixtures of the programme's API tests: multipart uploads, a small upload limit, table snapshots."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from app.main import create_app
from kernel.settings import Settings


def minimal_pdf(text: str = "Agora") -> bytes:
    """A small but well-formed one-page PDF (objects, xref table and trailer)."""
    stream = f"BT /F1 24 Tf 20 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


class Uploader:
    """Posts an operation with one file, as the GraphQL multipart request spec describes."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def __call__(
        self,
        query: str,
        variables: dict[str, Any],
        file_variable: str,
        content: bytes,
        filename: str,
        token: str | None,
        content_type: str = "application/pdf",
    ) -> dict[str, Any]:
        operations = {"query": query, "variables": {**variables, file_variable: None}}
        response = self.client.post(
            "/graphql",
            data={
                "operations": json.dumps(operations),
                "map": json.dumps({"0": [f"variables.{file_variable}"]}),
            },
            files={"0": (filename, content, content_type)},
            headers={"Authorization": f"Bearer {token}"} if token else {},
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def upload(client: TestClient, db: Session) -> Uploader:
    return Uploader(client)


SMALL_LIMIT = 2048


@pytest.fixture
def small_upload(settings: Settings, engine: Engine, db: Session) -> Iterator[Uploader]:
    """An app whose upload limit is SMALL_LIMIT bytes."""
    small = dataclasses.replace(settings, max_upload_bytes=SMALL_LIMIT)
    with TestClient(create_app(small, engine)) as client:
        yield Uploader(client)


def rows(db: Session, model: type) -> list[dict[str, Any]]:
    """Every row of a table, as plain values (to compare before and after a refused mutation)."""
    db.expire_all()
    columns = [c.key for c in model.__table__.columns]  # type: ignore[attr-defined]
    found = db.exec(select(model).order_by(*model.__table__.primary_key.columns))  # type: ignore[attr-defined]
    return [{name: getattr(r, name) for name in columns} for r in found]


@pytest.fixture
def snapshot(db: Session) -> Callable[..., list[list[dict[str, Any]]]]:
    def take(*models: type) -> list[list[dict[str, Any]]]:
        return [rows(db, m) for m in models]

    return take


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The `agora` command reads its settings from the environment: point it at the test database."""
    monkeypatch.setenv("AGORA_ENV", settings.env)
    monkeypatch.setenv("AGORA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("AGORA_SECRET_KEY", settings.secret_key)
