"""The audit trail: every change a member of staff or a partner makes, append-only and
hash-chained, in the database of the service where it happened.

Why it works this way (ADR 14):
- **Who**: a request carries an `AuditScope`; authentication names the actor in it
  (`staff:<user>`, `organisation:<id>`). Only transactions with an actor are audited:
  what consumers derive from events (replicas, projections, notifications) is replayable
  and not anyone's change.
- **What, old and new**: the ORM's flush reports each inserted, updated and deleted row
  with its old and new column values; bulk inserts that bypass the ORM call `record`.
  Secret columns (hashes, tokens) are written as `"<redacted>"`.
- **One entry per committed command**, sealed just before the commit, in the same
  transaction: the entry and the change commit or roll back together.
- **Tamper-evident**: each entry's hash covers its content and the previous entry's hash;
  `seq` has no gaps. `verify` recomputes the chain and names the first entry that was edited,
  removed or inserted. A lock (an advisory lock on PostgreSQL; SQLite has one writer) makes
  the chain a line even with many instances. Triggers refuse UPDATE and DELETE on the table;
  whoever can drop them is caught by the chain.
"""

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pydantic_core import to_json
from sqlalchemy import event, inspect, text
from sqlalchemy.orm import Session, UOWTransaction
from starlette.types import ASGIApp, Receive, Scope, Send

GENESIS = "0" * 64
REDACTED = "<redacted>"
_SECRET_MARKERS = ("hash", "password", "secret", "token")
_LOCK_KEY = 0x6B6F657273  # "koers": one advisory lock per database, held until commit

# Tables whose rows are plumbing or derived from events, not anyone's change.
_NOT_AUDITED_PREFIXES = ("replica_", "projection_")
_NOT_AUDITED = {"audit_log", "outbox", "processed_events", "idempotency_records", "sessions"}


@dataclass
class AuditScope:
    """Mutable on purpose: authentication that runs in a worker thread (sync dependencies
    get a copy of the context) still names the actor of the request's scope."""

    scope: Scope
    actor: str | None = None

    def describe(self) -> str:
        """The request as its route template: `PATCH /v1/projects/{project_id}`."""
        route = self.scope.get("route")
        path = getattr(route, "path", None) or self.scope.get("path", "")
        return f"{self.scope.get('method', '')} {path}"


_current: ContextVar[AuditScope | None] = ContextVar("koers_audit_scope", default=None)


def name_actor(actor: str) -> None:
    """Called by authentication: the changes of the current request are `actor`'s."""
    scope = _current.get()
    if scope is not None:
        scope.actor = actor


class AuditMiddleware:
    """Gives every HTTP request its own audit scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _current.set(AuditScope(scope=scope))
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)


def audited(table: str) -> bool:
    """Whether the trail records changes to `table` (derived and plumbing tables it does not)."""
    return table not in _NOT_AUDITED and not table.startswith(_NOT_AUDITED_PREFIXES)


def _secret(column: str) -> bool:
    return any(marker in column for marker in _SECRET_MARKERS)


def _plain(value: Any) -> Any:
    """What the JSON encoder cannot write by itself (it writes UUIDs, decimals, dates and
    enums as strings): anything else as its text."""
    return str(value)


@lru_cache(maxsize=512)
def _secret_columns(columns: tuple[str, ...]) -> frozenset[str]:
    return frozenset(c for c in columns if _secret(c))


def _values(values: Mapping[str, Any]) -> dict[str, Any]:
    """The row as written, secrets redacted; values stay as they are until the entry is
    encoded once at the seal (a bulk insert records thousands of rows)."""
    secret = _secret_columns(tuple(values))
    if not secret:
        return dict(values)
    return {k: REDACTED if k in secret else v for k, v in values.items()}


def encode_changes(changes: list[dict[str, Any]]) -> str:
    """The entry's changes as the JSON text its hash covers (verification reads the text
    back, so only this one encoding has to be stable)."""
    return to_json(changes, fallback=_plain).decode()


def _pending(session: Session) -> list[dict[str, Any]] | None:
    """The changes collected for this session's transaction, if someone is acting."""
    scope = _current.get()
    if scope is None or scope.actor is None:
        return None
    pending: list[dict[str, Any]] = session.info.setdefault("audit_changes", [])
    return pending


def wanted(session: Session, table: str) -> bool:
    """Whether changes to `table` in this transaction go in the trail (someone is acting)."""
    return audited(table) and _pending(session) is not None


def record(
    session: Session,
    table: str,
    rows: Iterable[Mapping[str, Any]],
    key_columns: Sequence[str] = ("id",),
    old_rows: Mapping[tuple[Any, ...], Mapping[str, Any]] | None = None,
) -> None:
    """Audit rows written with a bulk insert or upsert, which the ORM's flush does not see;
    `old_rows` (by key) are the rows an upsert overwrites."""
    pending = _pending(session)
    if pending is None or not audited(table):
        return
    for row in rows:
        key = tuple(row.get(c) for c in key_columns)
        old = (old_rows or {}).get(key)
        change: dict[str, Any] = {
            "table": table,
            "op": "insert" if old is None else "update",
            "key": dict(zip(key_columns, key, strict=True)),
            "new": _values(row),
        }
        if old is not None:
            change["old"] = _values(old)
        pending.append(change)


def _row_change(obj: Any, op: str) -> dict[str, Any] | None:
    """Read what the flush already holds (`state.dict`): touching an expired attribute
    here would load it with a query in the middle of the flush."""
    state = inspect(obj)
    mapper = state.mapper
    table = mapper.local_table.name
    if not audited(table):
        return None
    keys = [mapper.get_property_by_column(c).key for c in mapper.primary_key]
    change: dict[str, Any] = {
        "table": table,
        "op": op,
        "key": {k: state.dict.get(k) for k in keys},
    }
    columns = [a.key for a in mapper.column_attrs]
    if op in ("insert", "delete"):
        values = _values({c: state.dict[c] for c in columns if c in state.dict})
        change["new" if op == "insert" else "old"] = values
        return change
    old, new = {}, {}
    for c in columns:
        history = state.attrs[c].history
        if history.added:
            new[c] = history.added[0]
            if history.deleted:
                old[c] = history.deleted[0]
    if not new:
        return None
    change["old"], change["new"] = _values(old), _values(new)
    return change


def _changes(session: Session) -> Iterator[dict[str, Any]]:
    for op, objects in (
        ("insert", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            change = _row_change(obj, op)
            if change is not None:
                yield change


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _flush: UOWTransaction) -> None:
    pending = _pending(session)
    if pending is not None:
        pending.extend(_changes(session))


@event.listens_for(Session, "before_commit")
def _seal(session: Session) -> None:
    """Append the transaction's entry under the chain lock, just before it commits."""
    if _pending(session) is None:
        return
    session.flush()  # the changes still pending report themselves to _collect
    changes = session.info.pop("audit_changes", [])
    scope = _current.get()
    if not changes or scope is None or scope.actor is None:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    head = connection.execute(
        text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    ).first()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    entry = {
        "seq": seq,
        "at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "actor": scope.actor,
        "action": scope.describe()[:300],
        "changes": encode_changes(changes),
        "prev_hash": prev,
    }
    entry["hash"] = entry_hash(entry)
    connection.execute(
        text(
            "INSERT INTO audit_log (seq, at, actor, action, changes, prev_hash, hash)"
            " VALUES (:seq, :at, :actor, :action, :changes, :prev_hash, :hash)"
        ),
        entry,
    )


def entry_hash(entry: Mapping[str, Any]) -> str:
    content = "\n".join(
        str(entry[k]) for k in ("prev_hash", "seq", "at", "actor", "action", "changes")
    )
    return hashlib.sha256(content.encode()).hexdigest()


@dataclass
class Verdict:
    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_entries(
    entries: Iterable[Mapping[str, Any]], expect_head: tuple[int, str] | None = None
) -> Verdict:
    """Walk the chain in `seq` order; every broken link is named (edited, removed, inserted).

    A removed newest entry leaves a shorter but consistent chain: compare with a head
    written down earlier (`expect_head`) to catch that too."""
    verdict = Verdict()
    expected_seq, prev = 1, GENESIS
    written_down: str | None = None
    for entry in entries:
        seq = int(entry["seq"])
        if seq != expected_seq:
            verdict.problems.append(f"entries {expected_seq}..{seq - 1} are missing")
        if entry["prev_hash"] != prev:
            verdict.problems.append(f"entry {seq} does not follow the entry before it")
        if entry_hash(entry) != entry["hash"]:
            verdict.problems.append(f"entry {seq} was changed after it was written")
        if expect_head is not None and seq == expect_head[0]:
            written_down = str(entry["hash"])
        verdict.entries += 1
        expected_seq, prev = seq + 1, str(entry["hash"])
        verdict.head_seq, verdict.head_hash = seq, prev
    if expect_head is not None:
        seq, digest = expect_head
        if written_down is None:
            verdict.problems.append(f"entry {seq}, written down earlier, is missing")
        elif written_down != digest:
            verdict.problems.append(f"entry {seq} is not the entry written down earlier")
    return verdict


APPEND_ONLY_TRIGGERS = {
    "postgresql": [
        """CREATE OR REPLACE FUNCTION koers_audit_append_only() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION koers_audit_append_only()""",
    ],
    "sqlite": [
        """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
        """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    ],
}
