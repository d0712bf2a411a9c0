"""Migrations produce exactly the models, and upgrade -> downgrade -> upgrade works."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from app.db import make_engine
from app.migrate import downgrade, upgrade
from tests.conftest import PG_URL, _postgres_database


@pytest.fixture
def fresh_engine(tmp_path) -> Iterator[Engine]:
    """An empty database of the kind under test, separate from the suite's."""
    if PG_URL:
        with _postgres_database(PG_URL) as url:
            engine = make_engine(url)
            yield engine
            engine.dispose()
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield engine
        engine.dispose()


def _pending_diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_migrations_match_the_models(fresh_engine):
    upgrade(fresh_engine)
    assert _pending_diff(fresh_engine) == []


def test_upgrade_downgrade_upgrade(fresh_engine):
    upgrade(fresh_engine)
    downgrade(fresh_engine)
    assert set(inspect(fresh_engine).get_table_names()) <= {"alembic_version"}
    upgrade(fresh_engine)
    tables = set(inspect(fresh_engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
