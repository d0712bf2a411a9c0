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


def test_every_route_serving_event_data_is_in_the_permission_matrix(app):
    from starlette.routing import Route

    from permissions.routes import ROUTES

    served = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, Route)
        for method in (route.methods or set()) - {"HEAD"}
    }
    # GraphQL (its fields carry @allow), the health check and GraphiQL's page and assets
    # serve no event data.
    no_data = {
        ("GET", "/graphql"),
        ("POST", "/graphql"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/graphiql"),
        ("GET", "/graphiql/assets/{name}"),
    }
    assert served - no_data == {(r.method, r.path) for r in ROUTES}


def test_every_further_check_on_a_field_is_in_the_permission_matrix():
    from permissions.fields import AllowExtension
    from permissions.requirements import REQUIREMENTS

    declared = {
        requirement
        for graphql_type in schema.schema_converter.type_map.values()
        for field in getattr(graphql_type.definition, "fields", None) or ()
        for extension in field.extensions
        if isinstance(extension, AllowExtension)
        for requirement in extension.requires
    }
    # Both argument checks are declared on their fields (the other is checked on introspection;
    # objects fetched by id have their Sights, in the matrix's "Objects by id").
    assert len(declared) == 2
    assert declared <= set(REQUIREMENTS)
    matrix = Path(__file__).resolve().parent.parent.joinpath("docs", "permissions.md").read_text()
    assert all(r.what in matrix for r in REQUIREMENTS)
