"""Every GraphQL example of the docs runs against the demo event and answers what its page shows.

The examples are read from the pages themselves: each ```graphql block of README.md and
`docs/*.md`, and each `curl … -F operations='…'` multipart request in a ```sh block. A new
example is picked up by itself; it needs one HTML comment right before its block (invisible
once rendered) saying how a reader runs it on the demo event of `seed.py`:

    <!-- example as=president name=create-room after=other-name errors=CONFLICT vary=a.b
      RXZlbnQ6MQ -> event
      $id -> room Salle 1
      createRoom.capacity == 25
    -->

- `as=` the demo login the page's text writes the example for: admin, president,
  gestionnaire, controller, participant, exposant, or anonymous (no token).
- `name=` / `after=`: an example that needs another's result first (a room created before it
  is deleted) names it; the chain runs in that order on the same database. Each example starts
  from a freshly seeded demo event, so none depends on the order of the pages.
- `errors=`: the error codes the text says the example gets (none by default).
- `vary=`: paths in a shown answer whose value depends on the time of day in the demo (which
  session runs now); they are left out of the comparison.
- `PLACEHOLDER -> REF`: the text PLACEHOLDER (an id, a time, a token) in the block and its
  variables is replaced by what REF names in the demo data, as a reader would replace it;
  `$name -> REF` sets a variable. REF is one of: `event`, `room NAME`, `session ROOM J2 14:00`,
  `member EMAIL`, `assignment EMAIL J2 00:00` (a staff assignment by its start), `annonce TITLE`,
  `question TEXT`, `visit EMAIL` (an exposant's visit to that participant), `J1 09:00` (a time
  on the event's first, second… day, in its time zone), `now`, `room held now by EMAIL`,
  `end of the assignment held now by EMAIL`, `invitation EMAIL` (the token `agora invite` prints),
  or a JSON value.
- `PATH == JSON`: a value the page's text promises in the answer (a path in `data`, list
  indexes as numbers).

A ```json block right after the example (or after one paragraph ending with a colon) is its
variables, or its answer when it has `data` or `errors`. A shown answer must match the one
received: same keys, same error codes, same values except generated ids, tokens, cursors and
timestamps. Without one, the example must answer without errors (or with those named), with
every field it selects present and its root fields not null.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pytest
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)
from sqlmodel import Session
from starlette.testclient import TestClient

import seed
from app import cli
from app.context import acting_in
from kernel import security
from kernel.settings import Settings
from tests.api.conftest import minimal_pdf
from tests.conftest import GraphQLClient, error_codes
from tests.factories import password_hash

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

LOGINS: dict[str, str | None] = {
    "admin": "admin@agora.demo",
    "president": "president@agora.demo",
    "gestionnaire": "gestionnaire@agora.demo",
    "controller": "controlleur@agora.demo",
    "participant": "participant@agora.demo",
    "exposant": "exposant@agora.demo",
    "anonymous": None,
}

# Made up anew on every run: the page shows one value, the answer has another.
GENERATED_KEYS = {"id", "cursor", "endCursor", "accessToken", "refreshToken", "qrSvg", "qrPng"}


# --- Reading the pages -------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    page: str
    line: int
    heading: str
    kind: Literal["graphql", "multipart"]
    text: str
    role: str | None
    name: str | None
    after: tuple[str, ...]
    errors: tuple[str, ...]
    vary: tuple[str, ...]
    substitutions: tuple[tuple[str, str], ...]
    variables: tuple[tuple[str, str], ...]
    checks: tuple[tuple[str, str], ...]
    variables_block: str | None
    answer_block: str | None
    csv: str  # the page's last ```csv block before the example: the file a curl sends
    problems: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line} {self.heading}"

    def document(self) -> DocumentNode:
        if self.kind == "graphql":
            return parse(self.text)
        return parse(json.loads(curl_field(self.text, "operations"))["query"])


FENCE_OPEN = re.compile(r"^\s*```(\w+)\s*$")
FENCE_CLOSE = re.compile(r"^\s*```\s*$")
CHECK_LINE = re.compile(r"^(?P<path>[A-Za-z_][\w.]*) == (?P<value>.+)$")
OPTIONS = {"as", "name", "after", "errors", "vary"}


@dataclass
class Annotation:
    options: dict[str, str]
    substitutions: list[tuple[str, str]]
    variables: list[tuple[str, str]]
    checks: list[tuple[str, str]]
    problems: list[str]


def read_annotation(body: str) -> Annotation:
    """The options and lines of an `<!-- example … -->` comment's body."""
    first, *rest = body.split("\n")
    note = Annotation({}, [], [], [], [])
    for token in first.split():
        key, sep, value = token.partition("=")
        if sep and key in OPTIONS:
            note.options[key] = value
        else:
            note.problems.append(f"unknown option {token!r}")
    for line in filter(None, (raw.strip() for raw in rest)):
        if check := CHECK_LINE.match(line):
            note.checks.append((check["path"], check["value"]))
        elif " -> " in line:
            left, _, ref = line.partition(" -> ")
            if left.startswith("$"):
                note.variables.append((left[1:], ref.strip()))
            else:
                note.substitutions.append((left, ref.strip()))
        else:
            note.problems.append(f"neither `X -> REF` nor `PATH == JSON`: {line!r}")
    return note


def _block_end(lines: list[str], opening: int) -> int:
    end = opening + 1
    while not FENCE_CLOSE.match(lines[end]):
        end += 1
    return end


def _json_blocks_after(lines: list[str], index: int) -> Iterator[str]:
    """The ```json blocks that follow line `index`, each right after the previous block or
    after one paragraph that ends with a colon ("with variables such as:")."""
    while True:
        i = index
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i < len(lines) and not FENCE_OPEN.match(lines[i]):
            while i < len(lines) and lines[i].strip():
                i += 1
            if not lines[i - 1].rstrip().endswith(":"):
                return
            while i < len(lines) and not lines[i].strip():
                i += 1
        opening = FENCE_OPEN.match(lines[i]) if i < len(lines) else None
        if opening is None or opening[1] != "json":
            return
        end = _block_end(lines, i)
        yield "\n".join(lines[i + 1 : end])
        index = end + 1


def curl_fields(text: str) -> list[tuple[str, str]]:
    """The `-F name=value` form fields of a curl command."""
    args = shlex.split(text.replace("\\\n", " "))
    fields = [value for flag, value in zip(args, args[1:], strict=False) if flag == "-F"]
    return [(name, value) for name, _, value in (f.partition("=") for f in fields)]


def curl_field(text: str, name: str) -> str:
    return next(value for key, value in curl_fields(text) if key == name)


def read_examples(page: Path) -> list[Example]:
    lines = page.read_text(encoding="utf-8").split("\n")
    examples: list[Example] = []
    heading = page.stem
    note: Annotation | None = None
    csv = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        opening = FENCE_OPEN.match(line)
        if line.lstrip().startswith("<!-- example"):
            end = i
            while "-->" not in lines[end]:
                end += 1
            body = "\n".join(lines[i : end + 1]).strip()
            note = read_annotation(body.removeprefix("<!-- example").removesuffix("-->"))
            i = end + 1
            continue
        if opening is None:
            if line.startswith("#"):
                heading = line.lstrip("#").strip()
            if line.strip():
                note = None  # an annotation belongs to the block right after it only
            i += 1
            continue
        end = _block_end(lines, i)
        text = "\n".join(lines[i + 1 : end])
        language = opening[1]
        if language == "csv":
            csv = text + "\n"
        if language == "graphql" or (language == "sh" and "-F operations=" in text):
            note = note or Annotation({}, [], [], [], ["no `<!-- example as=… -->` before it"])
            shown = {"variables": None, "answer": None}
            for block in _json_blocks_after(lines, end + 1):
                is_answer = bool({"data", "errors"} & json.loads(block).keys())
                shown["answer" if is_answer else "variables"] = block
            listed = {
                key: tuple(filter(None, value.split(","))) for key, value in note.options.items()
            }
            examples.append(
                Example(
                    page=str(page.relative_to(ROOT)),
                    line=i + 1,
                    heading=heading,
                    kind="graphql" if language == "graphql" else "multipart",
                    text=text,
                    role=note.options.get("as"),
                    name=note.options.get("name"),
                    after=listed.get("after", ()),
                    errors=listed.get("errors", ()),
                    vary=listed.get("vary", ()),
                    substitutions=tuple(note.substitutions),
                    variables=tuple(note.variables),
                    checks=tuple(note.checks),
                    variables_block=shown["variables"],
                    answer_block=shown["answer"],
                    csv=csv,
                    problems=tuple(note.problems),
                )
            )
        note = None
        i = end + 1
    return examples


EXAMPLES = [example for page in PAGES for example in read_examples(page)]
BY_NAME = {example.name: example for example in EXAMPLES if example.name}


# --- What a reader puts in place of the placeholders --------------------------------------

DIRECTORY = """
query DocsDirectory {
  events {
    id name timezone startsAt
    rooms { id name }
    sessions { id startsAt room { name } questions(first: 100) { edges { node { id text } } } }
    annonces { id title }
    staffAssignments(at: null, all: true) { id startsAt member { email } }
    members(first: 100) {
      edges { node {
        id email
        currentAssignment { room { id } endsAt }
        exposantStats { visits(first: 100) { edges { node { id participant { email } } } } }
      } }
    }
  }
}
"""


class Demo:
    """The demo event as its president sees it, where references are looked up."""

    def __init__(
        self, gql: GraphQLClient, token: Callable[[], str], invite: Callable[[str], str]
    ) -> None:
        self.gql = gql
        self.token = token
        self.invite = invite

    @cached_property
    def event(self) -> dict[str, Any]:
        events = self.gql.ok(DIRECTORY, token=self.token())["events"]
        return next(e for e in events if e["name"] == seed.DEMO_EVENT)

    @staticmethod
    def _one(what: str, found: list[Any]) -> Any:
        assert len(found) == 1, f"the demo event has {len(found)} {what}"
        return found[0]

    def _member(self, email: str) -> dict[str, Any]:
        members = [e["node"] for e in self.event["members"]["edges"]]
        return self._one(f"member {email}", [m for m in members if m["email"] == email])

    def _held(self, email: str) -> dict[str, Any]:
        assignment = self._member(email)["currentAssignment"]
        assert assignment is not None, f"{email} holds no room now"
        return assignment

    def _moment(self, day: str, clock: str) -> datetime:
        zone = ZoneInfo(self.event["timezone"])
        first = datetime.fromisoformat(self.event["startsAt"]).astimezone(zone).date()
        moment = datetime.combine(first + timedelta(days=int(day) - 1), time.fromisoformat(clock))
        return moment.replace(tzinfo=zone)

    def event_id(self) -> str:
        return self.event["id"]

    def now(self) -> str:
        return datetime.now(UTC).isoformat(timespec="seconds")

    def moment(self, day: str, clock: str) -> str:
        return self._moment(day, clock).isoformat()

    def held_room(self, email: str) -> str:
        return self._held(email)["room"]["id"]

    def held_until(self, email: str) -> str:
        return self._held(email)["endsAt"]

    def room(self, name: str) -> str:
        found = [r for r in self.event["rooms"] if r["name"] == name]
        return self._one(f"room {name}", found)["id"]

    def session(self, room: str, day: str, clock: str) -> str:
        starts = self._moment(day, clock)
        found = [
            s
            for s in self.event["sessions"]
            if s["room"]["name"] == room and datetime.fromisoformat(s["startsAt"]) == starts
        ]
        return self._one(f"session in {room} at J{day} {clock}", found)["id"]

    def member(self, email: str) -> str:
        return self._member(email)["id"]

    def assignment(self, email: str, day: str, clock: str) -> str:
        starts = self._moment(day, clock)
        found = [
            a
            for a in self.event["staffAssignments"]
            if a["member"]["email"] == email and datetime.fromisoformat(a["startsAt"]) == starts
        ]
        return self._one(f"assignment of {email} from J{day} {clock}", found)["id"]

    def annonce(self, title: str) -> str:
        found = [a for a in self.event["annonces"] if a["title"] == title]
        return self._one(f"annonce {title!r}", found)["id"]

    def question(self, text: str) -> str:
        found = [
            e["node"]
            for s in self.event["sessions"]
            for e in s["questions"]["edges"]
            if e["node"]["text"] == text
        ]
        return self._one(f"question {text!r}", found)["id"]

    def visit(self, email: str) -> str:
        found = [
            e["node"]
            for m in self.event["members"]["edges"]
            if m["node"]["exposantStats"]
            for e in m["node"]["exposantStats"]["visits"]["edges"]
            if e["node"]["participant"]["email"] == email
        ]
        return self._one(f"visit to {email}", found)["id"]

    def invitation(self, email: str) -> str:
        return self.invite(email)


# Tried in order: "room held now by …" before "room …".
REFERENCES: list[tuple[re.Pattern[str], Callable[..., str]]] = [
    (re.compile(r"event"), Demo.event_id),
    (re.compile(r"now"), Demo.now),
    (re.compile(r"J(\d) (\d\d:\d\d)"), Demo.moment),
    (re.compile(r"room held now by (\S+)"), Demo.held_room),
    (re.compile(r"end of the assignment held now by (\S+)"), Demo.held_until),
    (re.compile(r"room (.+)"), Demo.room),
    (re.compile(r"session (.+) J(\d) (\d\d:\d\d)"), Demo.session),
    (re.compile(r"member (\S+)"), Demo.member),
    (re.compile(r"assignment (\S+) J(\d) (\d\d:\d\d)"), Demo.assignment),
    (re.compile(r"annonce (.+)"), Demo.annonce),
    (re.compile(r"question (.+)"), Demo.question),
    (re.compile(r"visit (\S+)"), Demo.visit),
    (re.compile(r"invitation (\S+)"), Demo.invitation),
]


def reference(ref: str) -> Callable[[Demo], Any]:
    """How to look `ref` up in the demo; ValueError for what the grammar does not know."""
    for pattern, method in REFERENCES:
        if match := pattern.fullmatch(ref):
            return lambda demo, method=method, args=match.groups(): method(demo, *args)
    try:
        value = json.loads(ref)
    except json.JSONDecodeError:
        raise ValueError(f"unknown reference {ref!r}") from None
    return lambda _demo: value


def substitute(text: str, values: dict[str, str]) -> str:
    # Longest first, so that a placeholder inside a longer one cannot cut it.
    for placeholder in sorted(values, key=len, reverse=True):
        text = text.replace(placeholder, values[placeholder])
    return text


# --- Checking an answer ------------------------------------------------------------------


def _selections(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> Iterator[FieldNode | SelectionSetNode]:
    """The fields of a selection, and the selection of each of its fragments."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield selection.selection_set
        elif isinstance(selection, FragmentSpreadNode):
            yield fragments[selection.name.value].selection_set


def _key(field: FieldNode) -> str:
    return (field.alias or field.name).value


def missing_fields(
    selection_set: SelectionSetNode,
    value: Any,
    path: str,
    fragments: dict[str, FragmentDefinitionNode],
) -> Iterator[str]:
    """Paths of selected fields absent from the answer."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from missing_fields(selection_set, item, f"{path}.{index}", fragments)
        return
    if not isinstance(value, dict):
        return
    for selected in _selections(selection_set, fragments):
        if isinstance(selected, SelectionSetNode):
            keys = {_key(f) for f in _selections(selected, fragments) if isinstance(f, FieldNode)}
            # A fragment on another type than the object's own brings no field.
            if keys & value.keys():
                yield from missing_fields(selected, value, path, fragments)
        elif _key(selected) not in value:
            yield f"{path}.{_key(selected)}".lstrip(".")
        elif selected.selection_set is not None:
            inner = f"{path}.{_key(selected)}"
            yield from missing_fields(
                selected.selection_set, value[_key(selected)], inner, fragments
            )


def differences(shown: Any, got: Any, path: str, vary: tuple[str, ...]) -> Iterator[str]:
    """How the answer received differs from the one the page shows."""
    if path.removeprefix("data.") in vary:
        return
    key = path.rsplit(".", 1)[-1]
    if isinstance(shown, dict):
        if not isinstance(got, dict):
            yield f"{path}: the page shows an object, the API answered {got!r}"
            return
        if shown.keys() != got.keys():
            yield f"{path}: the page shows keys {sorted(shown)}, the API answered {sorted(got)}"
        for k in shown.keys() & got.keys():
            yield from differences(shown[k], got[k], f"{path}.{k}", vary)
    elif isinstance(shown, list):
        if not isinstance(got, list) or len(got) != len(shown):
            yield f"{path}: the page shows {len(shown)} item(s), the API answered {got!r}"
            return
        for index, (s, g) in enumerate(zip(shown, got, strict=True)):
            yield from differences(s, g, f"{path}.{index}", vary)
    elif key in GENERATED_KEYS or key.endswith(("At", "Id")):
        if (shown is None) != (got is None):
            yield f"{path}: the page shows {shown!r}, the API answered {got!r}"
    elif shown != got:
        yield f"{path}: the page shows {shown!r}, the API answered {got!r}"


def value_at(data: Any, path: str) -> Any:
    for step in path.split("."):
        data = data[int(step)] if isinstance(data, list) else data[step]
    return data


# --- Running an example ------------------------------------------------------------------


class Reader:
    """Runs the examples as a reader of the docs would, on the freshly seeded demo event."""

    def __init__(
        self, gql: GraphQLClient, client: TestClient, invite: Callable[[str], str]
    ) -> None:
        self.gql = gql
        self.client = client
        self.invite = invite
        self.tokens: dict[str, str | None] = {}
        self.done: set[str] = set()

    def token(self, role: str) -> str | None:
        """A real access token of the role's demo login, from `login`."""
        if role not in self.tokens:
            email = LOGINS[role]
            self.tokens[role] = (
                email
                and self.gql.ok(
                    "mutation($email: String!, $password: String!) {"
                    " login(email: $email, password: $password) { accessToken } }",
                    {"email": email, "password": seed.DEMO_PASSWORD},
                )["login"]["accessToken"]
            )
        return self.tokens[role]

    def run(self, example: Example) -> None:
        for name in example.after:
            if name not in self.done:
                self.run(BY_NAME[name])
        assert example.role is not None
        # Looked up afresh after the earlier steps, which may have made what is named here.
        demo = Demo(self.gql, lambda: self.token("president") or "", self.invite)
        values = {
            placeholder: str(reference(ref)(demo)) for placeholder, ref in example.substitutions
        }
        variables = {name: reference(ref)(demo) for name, ref in example.variables}
        if example.variables_block is not None:
            variables |= json.loads(substitute(example.variables_block, values))
        token = self.token(example.role)
        if example.kind == "graphql":
            body = self.gql(substitute(example.text, values), variables, token)
        else:
            body = self.upload(example, substitute(example.text, values), token)
        self.check(example, body)
        if example.name:
            self.done.add(example.name)

    def upload(self, example: Example, command: str, token: str | None) -> dict[str, Any]:
        """What curl sends for `-F operations=… -F map=… -F 0=@file`: a multipart request."""
        files = {}
        for key, value in curl_fields(command):
            if not value.startswith("@"):
                continue
            name = value[1:]
            if name.endswith(".pdf"):
                files[key] = (name, minimal_pdf(name), "application/pdf")
            else:
                files[key] = (name, example.csv.encode(), "application/octet-stream")
        response = self.client.post(
            "/graphql",
            data={
                "operations": curl_field(command, "operations"),
                "map": curl_field(command, "map"),
            },
            files=files,
            headers={"Authorization": f"Bearer {token}"} if token else {},
        )
        assert response.status_code == 200, response.text
        return response.json()

    def check(self, example: Example, body: dict[str, Any]) -> None:
        received = f"{example.id} answered {json.dumps(body, ensure_ascii=False)[:3000]}"
        shown = json.loads(example.answer_block) if example.answer_block else None
        expected = list(example.errors) or (error_codes(shown) if shown else [])
        assert sorted(error_codes(body)) == sorted(expected), received
        data = body.get("data")
        if shown is not None:
            found = list(differences(shown.get("data"), data, "data", example.vary))
            assert not found, "\n".join([received, "unlike the page:", *found])
        elif not expected:
            parsed = example.document()
            operation = next(
                d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)
            )
            fragments = {
                d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
            }
            roots = [
                _key(f) for f in operation.selection_set.selections if isinstance(f, FieldNode)
            ]
            assert data is not None, received
            assert all(data.get(root) is not None for root in roots), received
            missing = list(missing_fields(operation.selection_set, data, "", fragments))
            assert not missing, f"{received}\nfields missing: {missing}"
        for path, value in example.checks:
            got, promised = value_at(data, path), json.loads(value)
            assert got == promised, f"{received}\n{path} is {got!r}, the page says {promised!r}"


# --- The tests ---------------------------------------------------------------------------


def test_every_example_of_the_pages_is_read() -> None:
    # Counted on the raw text, apart from the parser: a block it skipped would go untested.
    texts = [page.read_text(encoding="utf-8") for page in PAGES]
    fences = sum(text.count("```graphql") for text in texts)
    uploads = sum(text.count("-F operations=") for text in texts)
    assert fences > 0
    assert uploads > 0
    assert [e.kind for e in EXAMPLES].count("graphql") == fences
    assert [e.kind for e in EXAMPLES].count("multipart") == uploads


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_example_says_how_to_run_it(example: Example) -> None:
    assert not example.problems, example.problems
    assert example.role in LOGINS, f"as={example.role}: one of {sorted(LOGINS)}"
    for name in example.after:
        assert name in BY_NAME, f"after={name}: no example has name={name}"
    operations = [
        d for d in example.document().definitions if isinstance(d, OperationDefinitionNode)
    ]
    # GraphiQL, like the API, runs a document of several operations only by operation name.
    assert len(operations) == 1, "one operation per block"
    written = "\n".join(filter(None, [example.text, example.variables_block, example.answer_block]))
    for placeholder, ref in example.substitutions:
        assert placeholder in written, f"{placeholder!r} is not in the example"
        reference(ref)
    for _name, ref in example.variables:
        reference(ref)
    for _path, value in example.checks:
        json.loads(value)


def test_chains_of_examples_end() -> None:
    def walk(example: Example, seen: tuple[str, ...]) -> None:
        for name in example.after:
            assert name not in seen, f"{example.id}: after= goes round {seen}"
            if name in BY_NAME:
                walk(BY_NAME[name], (*seen, name))

    for example in EXAMPLES:
        walk(example, (example.name or example.id,))


@pytest.fixture
def reader(
    db: Session,
    settings: Settings,
    gql: GraphQLClient,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Reader:
    with monkeypatch.context() as patch:
        # The demo's 30 users would cost seconds of argon2 on every seed: one real hash per
        # password, shared with the factories.
        patch.setattr(security, "hash_password", password_hash)
        seed.seed(db, acting_in(db, settings))

    def invite(email: str) -> str:
        """What `agora invite --email EMAIL` prints, run on the test database."""
        monkeypatch.setenv("AGORA_ENV", settings.env)
        monkeypatch.setenv("AGORA_DATA_DIR", str(settings.data_dir))
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
        monkeypatch.setenv("AGORA_SECRET_KEY", settings.secret_key)
        capsys.readouterr()
        assert cli.main(["invite", "--email", email]) == 0
        return capsys.readouterr().out.strip()

    return Reader(gql, client, invite)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_example_answers_as_its_page_shows(example: Example, reader: Reader) -> None:
    reader.run(example)
