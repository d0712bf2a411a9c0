"""Per-request batch loaders: no query's statement count grows with the size of its answer.

Resolvers run synchronously here, so loaders cannot wait for siblings to ask as an async
DataLoader does. Instead, on a miss a loader takes the keys of every object of its source
type already in the request's session (the SQLAlchemy identity map: the siblings the query
has just listed) and loads them all in one `IN (...)` statement. One statement per level of
nesting, whatever the number of rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import datetime
from functools import cached_property, partial
from typing import Any, Generic, TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select

import models
from kernel.moments import Clock
from resolvers import occupancy, question_pages
from resolvers.id_sets import among

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BatchLoader(Generic[K, V]):
    def __init__(
        self,
        db: Session,
        fetch: Callable[[Session, list[K]], Mapping[K, V]],
        default: Callable[[], V],
        sources: Sequence[tuple[type, Callable[[Any], K | None]]] = (),
    ) -> None:
        self.db = db
        self.fetch = fetch
        self.default = default
        self.sources = sources
        self.cache: dict[K, V] = {}

    def load(self, key: K) -> V:
        if key not in self.cache:
            self._load_batch(key)
        return self.cache[key]

    def load_many(self, keys: Sequence[K]) -> list[V]:
        missing = [k for k in keys if k not in self.cache]
        if missing:
            self._load_batch(*missing)
        return [self.cache[k] for k in keys]

    def prime(self, key: K, value: V) -> None:
        self.cache[key] = value

    def clear(self) -> None:
        self.cache.clear()

    def _load_batch(self, *wanted: K) -> None:
        keys = set(wanted)
        for obj in list(self.db.identity_map.values()):
            for source_type, key_of in self.sources:
                if isinstance(obj, source_type):
                    key = key_of(obj)
                    if key is not None and key not in self.cache:
                        keys.add(key)
        found = self.fetch(self.db, list(keys))
        for key in keys:
            self.cache[key] = found[key] if key in found else self.default()


def _by_id(model: type[Any]) -> Callable[[Session, list[int]], dict[int, Any]]:
    def fetch(db: Session, ids: list[int]) -> dict[int, Any]:
        rows = db.exec(select(model).where(among(col(model.id), ids)))
        return {row.id: row for row in rows}

    return fetch


def _grouped(
    model: type[Any], key: str, *order: Any
) -> Callable[[Session, list[int]], dict[int, list[Any]]]:
    def fetch(db: Session, ids: list[int]) -> dict[int, list[Any]]:
        column = getattr(model, key)
        rows = db.exec(select(model).where(among(col(column), ids)).order_by(*order))
        grouped: dict[int, list[Any]] = defaultdict(list)
        for row in rows:
            grouped[getattr(row, key)].append(row)
        return grouped

    return fetch


def _visit_tags(db: Session, visit_ids: list[int]) -> dict[int, list[str]]:
    T = models.VisitTag
    rows = db.exec(
        select(T.visit_id, T.tag).where(among(col(T.visit_id), visit_ids)).order_by(T.tag)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for visit_id, tag in rows:
        found[visit_id].append(tag)
    return found


def _latest_badges(db: Session, member_ids: list[int]) -> dict[int, models.Badge]:
    latest = (
        select(func.max(models.Badge.id))
        .where(among(col(models.Badge.member_id), member_ids))
        .group_by(col(models.Badge.member_id))
    )
    rows = db.exec(select(models.Badge).where(col(models.Badge.id).in_(latest)))
    return {b.member_id: b for b in rows}


def _current_event_files(
    db: Session, event_ids: list[int]
) -> dict[int, dict[str, models.StoredFile]]:
    F = models.StoredFile
    newest = (
        select(func.max(F.id))
        .where(among(col(F.event_id), event_ids), col(F.member_id).is_(None))
        .group_by(col(F.event_id), col(F.kind))
    )
    found: dict[int, dict[str, models.StoredFile]] = defaultdict(dict)
    for f in db.exec(select(F).where(col(F.id).in_(newest))):
        found[f.event_id][f.kind] = f
    return found


def _current_plans(db: Session, member_ids: list[int]) -> dict[int, models.StoredFile]:
    F = models.StoredFile
    newest = (
        select(func.max(F.id)).where(among(col(F.member_id), member_ids)).group_by(col(F.member_id))
    )
    return {
        f.member_id: f
        for f in db.exec(select(F).where(col(F.id).in_(newest)))
        if f.member_id is not None
    }


def _assignments_at(
    key: str, moment: datetime
) -> Callable[[Session, list[int]], dict[int, list[models.RoomAssignment]]]:
    """Staff assignments running at `moment`, grouped by `key` (room_id or member_id)."""
    A = models.RoomAssignment

    def fetch(db: Session, ids: list[int]) -> dict[int, list[models.RoomAssignment]]:
        stmt = (
            select(A)
            .where(
                among(col(getattr(A, key)), ids),
                col(A.cancelled).is_(False),
                col(A.starts_at) <= moment,
                col(A.ends_at) > moment,
            )
            .order_by(col(A.starts_at), col(A.id))
        )
        grouped: dict[int, list[models.RoomAssignment]] = defaultdict(list)
        for row in db.exec(stmt):
            grouped[getattr(row, key)].append(row)
        return grouped

    return fetch


def _upvoted_by(member_id: int) -> Callable[[Session, list[int]], dict[int, bool]]:
    def fetch(db: Session, question_ids: list[int]) -> dict[int, bool]:
        U = models.QuestionUpvote
        stmt = select(U.question_id).where(
            U.member_id == member_id, among(col(U.question_id), question_ids)
        )
        return dict.fromkeys(db.exec(stmt), True)

    return fetch


def _none() -> None:
    return None


class Loaders:
    """The loaders of one request, named `<result>_by_<key>`."""

    def __init__(self, db: Session, clock: Clock | None = None) -> None:
        self.db = db
        # The request's clock, for loaders that depend on "now" (what runs in a room).
        self.clock = clock or Clock(models.utcnow())
        # Loaders that depend on an argument (a moment, the viewer's membership), made on demand.
        self.keyed: dict[tuple[str, Hashable], BatchLoader[Any, Any]] = {}

    # Each loader is made on first use: most operations use two or three of them.

    @cached_property
    def user_by_id(self) -> BatchLoader[int, models.User | None]:
        M = models.Member
        U = models.User
        return BatchLoader(
            self.db,
            _by_id(U),
            _none,
            [
                (M, lambda m: m.user_id),
                (models.Annonce, lambda a: a.created_by_id),
                (models.Question, lambda q: q.answered_by_id),
                (models.RoomAssignment, lambda a: a.assigned_by_id),
            ],
        )

    @cached_property
    def room_by_id(self) -> BatchLoader[int, models.Room | None]:
        S = models.EventSession
        R = models.Room
        return BatchLoader(
            self.db,
            _by_id(R),
            _none,
            [
                (S, lambda s: s.room_id),
                (models.RoomAssignment, lambda a: a.room_id),
                (models.RoomAccess, lambda a: a.room_id),
            ],
        )

    @cached_property
    def session_by_id(self) -> BatchLoader[int, models.EventSession | None]:
        S = models.EventSession
        return BatchLoader(
            self.db,
            _by_id(S),
            _none,
            [
                (models.Question, lambda q: q.session_id),
                (models.RoomAccess, lambda a: a.session_id),
            ],
        )

    @cached_property
    def member_by_id(self) -> BatchLoader[int, models.Member | None]:
        # The users' loader, not this object: a loader holding its Loaders would make a cycle
        # that only the garbage collector could free, which pauses every thread to do it.
        return BatchLoader(
            self.db,
            partial(_members_with_users, self.user_by_id),
            _none,
            [
                (models.Visit, lambda v: v.participant_id),
                (models.Question, lambda q: q.author_id),
                (models.RoomAssignment, lambda a: a.member_id),
                (models.RoomAccess, lambda a: a.member_id),
                (models.RoomAccess, lambda a: a.controller_id),
                (models.SessionAccess, lambda a: a.member_id),
            ],
        )

    @cached_property
    def member_name_by_event_user(self) -> BatchLoader[tuple[int, int], str | None]:
        """The name an event shows for a user who is its member, by (event id, user id); None
        for one who is not (a president outside the members, an admin)."""
        return BatchLoader(
            self.db,
            _member_names,
            _none,
            [
                (models.Event, lambda e: _pair(e.id, e.president_id)),
                (models.Annonce, lambda a: _pair(a.event_id, a.created_by_id)),
                (models.Question, lambda q: _pair(q.event_id, q.answered_by_id)),
                (models.RoomAssignment, lambda a: _pair(a.event_id, a.assigned_by_id)),
                (models.RoomAssignment, lambda a: _pair(a.event_id, a.ended_by_id)),
                (models.AuditEntry, lambda e: _pair(e.event_id, e.actor_id)),
            ],
        )

    @cached_property
    def event_by_id(self) -> BatchLoader[int, models.Event | None]:
        R = models.Room
        M = models.Member
        return BatchLoader(
            self.db,
            _by_id(models.Event),
            _none,
            [(M, lambda m: m.event_id), (R, lambda r: r.event_id)],
        )

    @cached_property
    def files_by_event_id(self) -> BatchLoader[int, dict[str, models.StoredFile]]:
        return BatchLoader(self.db, _current_event_files, dict, [(models.Event, lambda e: e.id)])

    @cached_property
    def plan_by_member_id(self) -> BatchLoader[int, models.StoredFile | None]:
        M = models.Member
        return BatchLoader(
            self.db,
            _current_plans,
            _none,
            [(M, lambda m: m.id if m.role == models.Role.EXPOSANT else None)],
        )

    @cached_property
    def sessions_by_room_id(self) -> BatchLoader[int, list[models.EventSession]]:
        S = models.EventSession
        R = models.Room
        return BatchLoader(
            self.db, _grouped(S, "room_id", S.starts_at), list, [(R, lambda r: r.id)]
        )

    @cached_property
    def rooms_by_event_id(self) -> BatchLoader[int, list[models.Room]]:
        R = models.Room
        E = models.Event
        return BatchLoader(self.db, _grouped(R, "event_id", R.name), list, [(E, lambda e: e.id)])

    @cached_property
    def sessions_by_event_id(self) -> BatchLoader[int, list[models.EventSession]]:
        S = models.EventSession
        E = models.Event
        return BatchLoader(
            self.db, _grouped(S, "event_id", S.starts_at, S.id), list, [(E, lambda e: e.id)]
        )

    @cached_property
    def annonces_by_event_id(self) -> BatchLoader[int, list[models.Annonce]]:
        E = models.Event
        return BatchLoader(
            self.db,
            _grouped(
                models.Annonce,
                "event_id",
                col(models.Annonce.created_at).desc(),
                col(models.Annonce.id).desc(),
            ),
            list,
            [(E, lambda e: e.id)],
        )

    @cached_property
    def accesses_by_session_id(self) -> BatchLoader[int, list[models.SessionAccess]]:
        S = models.EventSession
        SA = models.SessionAccess
        return BatchLoader(self.db, _grouped(SA, "session_id", SA.id), list, [(S, lambda s: s.id)])

    @cached_property
    def badge_by_member_id(self) -> BatchLoader[int, models.Badge | None]:
        M = models.Member
        return BatchLoader(self.db, _latest_badges, _none, [(M, lambda m: m.id)])

    @cached_property
    def tags_by_visit_id(self) -> BatchLoader[int, list[str]]:
        return BatchLoader(self.db, _visit_tags, list, [(models.Visit, lambda v: v.id)])

    @cached_property
    def attendance_by_session_id(self) -> BatchLoader[int, int]:
        S = models.EventSession
        return BatchLoader(self.db, occupancy.attendance_by_session, int, [(S, lambda s: s.id)])

    @cached_property
    def occupancy_by_room_id(self) -> BatchLoader[int, int]:
        R = models.Room
        return BatchLoader(
            self.db,
            lambda db, ids: occupancy.occupancy_by_room(db, ids, self.clock.read()),
            int,
            [(R, lambda r: r.id)],
        )

    def _keyed(
        self, name: str, arg: Hashable, make: Callable[[], BatchLoader[K, V]]
    ) -> BatchLoader[K, V]:
        if (name, arg) not in self.keyed:
            self.keyed[(name, arg)] = make()
        return self.keyed[(name, arg)]

    def staff_by_room_id_at(
        self, moment: datetime
    ) -> BatchLoader[int, list[models.RoomAssignment]]:
        return self._keyed(
            "staff_by_room_id",
            moment,
            lambda: BatchLoader(
                self.db, _assignments_at("room_id", moment), list, [(models.Room, lambda r: r.id)]
            ),
        )

    def assignments_by_member_id_at(
        self, moment: datetime
    ) -> BatchLoader[int, list[models.RoomAssignment]]:
        return self._keyed(
            "assignments_by_member_id",
            moment,
            lambda: BatchLoader(
                self.db,
                _assignments_at("member_id", moment),
                list,
                [(models.Member, lambda m: m.id if m.role in models.STAFF_ROLES else None)],
            ),
        )

    def upvoted_by_member(self, member_id: int) -> BatchLoader[int, bool]:
        """Question id -> whether this member upvoted it."""
        return self._keyed(
            "upvoted_by_member",
            member_id,
            lambda: BatchLoader(
                self.db, _upvoted_by(member_id), bool, [(models.Question, lambda q: q.id)]
            ),
        )

    def question_count_by_session_id(
        self, answered: bool | None, include_hidden: bool
    ) -> BatchLoader[int, int]:
        return self._keyed(
            "question_count_by_session_id",
            (answered, include_hidden),
            lambda: BatchLoader(
                self.db,
                lambda db, ids: question_pages.count_by_session(db, ids, answered, include_hidden),
                int,
                [(models.EventSession, lambda s: s.id)],
            ),
        )

    def first_questions_by_session_id(
        self, answered: bool | None, include_hidden: bool, first: int | None
    ) -> BatchLoader[int, tuple[list[models.Question], list[str], bool]]:
        """The first page of each session's questions (Session.questions without `after`)."""
        return self._keyed(
            "first_questions_by_session_id",
            (answered, include_hidden, first),
            lambda: BatchLoader(
                self.db,
                lambda db, ids: question_pages.first_pages(
                    db, ids, answered, include_hidden, first
                ),
                lambda: ([], [], False),
                [(models.EventSession, lambda s: s.id)],
            ),
        )

    def all(self) -> list[BatchLoader[Any, Any]]:
        own = [v for v in vars(self).values() if isinstance(v, BatchLoader)]
        return own + list(self.keyed.values())

    def clear(self) -> None:
        for loader in self.all():
            loader.clear()


def _pair(event_id: int | None, user_id: int | None) -> tuple[int, int] | None:
    return (event_id, user_id) if event_id is not None and user_id is not None else None


def _member_names(db: Session, keys: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """The display names of the members these (event, user) pairs name, in one statement."""
    M = models.Member
    stmt = select(M.event_id, M.user_id, M.display_name).where(
        among(col(M.event_id), {e for e, _ in keys}), among(col(M.user_id), {u for _, u in keys})
    )
    wanted = set(keys)
    return {(e, u): name for e, u, name in db.exec(stmt) if (e, u) in wanted}


def _members_with_users(
    users: BatchLoader[int, models.User | None], db: Session, ids: list[int]
) -> dict[int, models.Member]:
    """Members with their users in one statement: a member is almost always shown by name."""
    M, U = models.Member, models.User
    rows = db.exec(select(M, U).join(U, col(U.id) == M.user_id).where(among(col(M.id), ids)))
    found: dict[int, models.Member] = {}
    for member, user in rows:
        # Read from the database: both have their ids.
        assert member.id is not None
        assert user.id is not None
        found[member.id] = member
        if user.id not in users.cache:
            users.prime(user.id, user)
    return found
