"""docs/permissions.md, generated from the @allow directives of the served schema."""

from __future__ import annotations

from collections import defaultdict

import strawberry

from models import Role
from permissions.fields import rules_of
from permissions.policy import Allow
from permissions.roles import Condition
from permissions.routes import ROUTES

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


def render(schema: strawberry.Schema) -> str:
    by_type: dict[str, list[tuple[str, tuple[Allow, ...]]]] = defaultdict(list)
    for graphql_type in schema.schema_converter.type_map.values():
        definition = graphql_type.definition
        for field in getattr(definition, "fields", None) or ():
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
    lines += [
        "## HTTP routes",
        "",
        "Served beside GraphQL, each checked with the same rules (`permissions/routes.py`).",
        "",
        "| route | " + " | ".join(name for _, name in COLUMNS) + " |",
        rule,
    ]
    for route in ROUTES:
        lines.append(
            f"| `{route.method} {route.path}` | "
            + " | ".join(_cell(role, route.rules) for role, _ in COLUMNS)
            + " |"
        )
    lines.append("")
    return "\n".join(lines)
