"""docs/permissions.md, generated from the @allow directives of the served schema."""

from __future__ import annotations

from collections import defaultdict

import strawberry
from strawberry.types.base import StrawberryObjectDefinition

from models import Role
from permissions.fields import rules_of
from permissions.policy import Allow
from permissions.requirements import REQUIREMENTS, SIGHTS
from permissions.roles import Condition
from permissions.routes import ROUTES
from permissions.rules import ANNONCE_READERS

COLUMNS: list[tuple[Role, str]] = [
    (Role.ADMIN, "Admin"),
    (Role.ORGANIZER, "Organizer (president)"),
    (Role.GESTIONNAIRE_DES_SALLES, "Gestionnaire"),
    (Role.CONTROLLEUR_DES_BADGES, "Controller"),
    (Role.PARTICIPANT, "Participant"),
    (Role.EXPOSANT, "Exposant"),
]
CONDITION_WORDS = {
    Condition.SELF: "own",
    Condition.ASSIGNED_TO_ROOM: "assigned room, now",
    Condition.HAS_SESSION_ACCESS: "with session access",
    Condition.AUTHOR: "author",
    Condition.SCANNED_BY_ME: "after scanning them, if they share their contact",
}


def _cell(column: Role, rules: tuple[Allow, ...]) -> str:
    # MEMBER is anyone who belongs to the event: its members, its president and admins.
    applicable = [r for r in rules if r.role in (column, Role.MEMBER)]
    if not applicable:
        return "—"
    if any(r.when == Condition.ALWAYS for r in applicable):
        return "yes"
    return " or ".join(CONDITION_WORDS[r.when] for r in applicable)


def _table(
    title: str, first: str, intro: str, rows: list[tuple[str, tuple[Allow, ...]]]
) -> list[str]:
    lines = [f"## {title}", "", intro, ""]
    lines.append(f"| {first} | " + " | ".join(n for _, n in COLUMNS) + " |")
    lines.append("| --- " * (len(COLUMNS) + 1) + "|")
    for name, rules in rows:
        lines.append(f"| {name} | " + " | ".join(_cell(role, rules) for role, _ in COLUMNS) + " |")
    lines.append("")
    return lines


def render(schema: strawberry.Schema) -> str:
    by_type: dict[str, list[tuple[str, tuple[Allow, ...]]]] = defaultdict(list)
    for graphql_type in schema.schema_converter.type_map.values():
        definition = graphql_type.definition
        # Only object types have fields (enums, scalars and unions carry no @allow).
        if not isinstance(definition, StrawberryObjectDefinition):
            continue
        for field in definition.fields:
            rules = rules_of(field)
            if rules:
                by_type[definition.name].append(
                    (schema.config.name_converter.get_graphql_name(field), rules)
                )
    lines = [
        "# Who may do what",
        "",
        "Generated from the `@allow` directives of the served schema by `agora permissions-doc`;",
        "a test fails when this page is stale. A field or operation without `@allow` is open to",
        "anyone who may read its parent object: every member of the event it belongs to, its",
        "president and admins. Objects of an event the viewer does not belong to are `NOT_FOUND`.",
        "",
        "Cells: `yes` (always), a condition (only then), or `—` (refused with `FORBIDDEN`).",
        "`MEMBER` in the schema means anyone who belongs to the event: its members, its",
        "president and admins.",
        "",
    ]
    header = "| field | " + " | ".join(name for _, name in COLUMNS) + " |"
    rule = "| --- " * (len(COLUMNS) + 1) + "|"
    order = ["Query", "Mutation", "Subscription"]
    for type_name in sorted(by_type, key=lambda n: (order.index(n) if n in order else -1, n)):
        lines += [f"## {type_name}", "", header, rule]
        for field_name, rules in sorted(by_type[type_name]):
            lines.append(
                f"| `{field_name}` | "
                + " | ".join(_cell(role, rules) for role, _ in COLUMNS)
                + " |"
            )
        lines.append("")
    lines += _table(
        "Further checks",
        "check",
        "What some arguments ask for beyond the operation's `@allow` "
        "(`permissions/requirements.py`, `REQUIREMENTS`). Refused with `FORBIDDEN`.",
        [(r.what, r.rules) for r in REQUIREMENTS],
    )
    lines += [
        "## Objects by id",
        "",
        "`node(id)` answers an object exactly when one of its lists shows it to the viewer "
        "(`permissions/requirements.py`, `SIGHTS`); any other id, of this event or another, is "
        "`NOT_FOUND` with the message of an id that never was. Fields are then read as in the "
        "lists, each under its own `@allow`.",
        "",
        "| type | its lists | read by id by |",
        "| --- | --- | --- |",
        *(f"| `{s.type_name}` | {s.lists} | {s.who} |" for s in SIGHTS.values()),
        "",
    ]
    lines += _table(
        "Annonces, by target",
        "target",
        "Who reads an annonce (`Event.annonces`, `annoncePublished`), by its `target` "
        "(`permissions/rules.py`, `ANNONCE_READERS`); the others never see it.",
        [(f"`{target.value}`", rules) for target, rules in ANNONCE_READERS.items()],
    )
    lines += _table(
        "HTTP routes",
        "route",
        "Served beside GraphQL, each checked with the same rules (`permissions/routes.py`).",
        [(f"`{route.method} {route.path}`", route.rules) for route in ROUTES],
    )
    return "\n".join(lines)
