"""The committed schema.graphql is the served schema: clients read it, so it must not drift."""

from __future__ import annotations

from pathlib import Path

from schema import schema

ROOT = Path(__file__).resolve().parent.parent


def test_schema_graphql_is_up_to_date():
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == schema.as_str() + "\n", "schema.graphql is stale: run `agora export-schema`"


def test_permission_matrix_is_up_to_date():
    from schema.permission_matrix import render

    committed = (ROOT / "docs" / "permissions.md").read_text()
    assert committed == render(schema), "docs/permissions.md is stale: run `agora permissions-doc`"
