"""The writes a unit of work holds back until it commits: one owner, one order, one reset.

Every service's unit of work (`shared.uow.SqlUnitOfWork`) makes one `PendingWrites` per
transaction and hands it to the repositories that write. A repository registers what it
queues (plain rows for a bulk INSERT, or a part of its own that prepares upserts) and
nothing else: it never prepares, runs or clears its queues itself. At commit the unit of
work prepares every registered part, in the order they were registered, before the first
write runs (ADR 22: on SQLite the first write takes the database's one write lock, which
the other processes then wait for); a rollback or the end of the transaction forgets them.

Which writes are queued here, and which go through the ORM (`session.add`):
- queued here: rows that come by the hundred or thousand in one transaction on the hot
  paths (report versions of a batch, the projection's tables, the outbox, the inbox of a
  batch). They go in as one bulk statement each, prepared a column at a time (ADR 17);
  ORM objects would cost an object, its identity-map entry and its flush per row.
- `session.add`, inside a repository (or the unit of work): a single object, or the few
  rows of one record, on a low-volume path (an indicator, a comment, a review, a
  project's memberships, one event marked processed). The session flushes those at
  commit, after the queued writes; unlike queued rows, the session's own reads see them
  at once.

Reads never change what is pending. A repository may read its own part (the projection
reads the cell versions and targets its transaction queued, as it would read its own
flushed rows); only the unit of work prepares or clears.
"""

from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TypeVar

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from shared import audit
from shared.db import PreparedWrite, prepare_rows


class Pending(Protocol):
    """A part of the pending writes: a repository's queue and how it goes in."""

    def prepare(self, dialect: Dialect) -> Iterable[PreparedWrite | None]:
        """The part's writes, ready to run, in the order they must run."""
        ...

    def clear(self) -> None:
        """Forget everything queued (after it was prepared, or on rollback)."""
        ...


class QueuedRows:
    """Rows for one bulk INSERT into a table (dicts with the same keys, in the order
    queued), recorded in the audit trail when the table is in it (shared.audit)."""

    def __init__(self, table: Table, audit_session: Session) -> None:
        self.table = table
        self.rows: list[Mapping[str, Any]] = []
        self._audit_session = audit_session

    def prepare(self, dialect: Dialect) -> Iterable[PreparedWrite | None]:
        if not self.rows:
            return ()
        audit.record(self._audit_session, str(self.table.name), self.rows)
        return (prepare_rows(dialect, self.table, self.rows),)

    def clear(self) -> None:
        self.rows = []


P = TypeVar("P", bound=Pending)


class PendingWrites:
    """The one owner of a transaction's queued writes (see the module docstring)."""

    def __init__(self, audit_session: Session) -> None:
        self._audit_session = audit_session
        self._parts: list[Pending] = []

    def register(self, part: P) -> P:
        """Add `part`; its writes run after those of every part registered before it."""
        self._parts.append(part)
        return part

    def rows(self, table: Table) -> QueuedRows:
        """A new queue of rows for a bulk INSERT into `table`, registered."""
        return self.register(QueuedRows(table, self._audit_session))

    def prepare(self, dialect: Dialect) -> list[PreparedWrite]:
        """Every part's writes, in registration order, prepared for `dialect`; the parts
        are then empty (what was prepared is the caller's to run)."""
        writes = [w for part in self._parts for w in part.prepare(dialect) if w is not None]
        self.clear()
        return writes

    def clear(self) -> None:
        """Forget everything queued (the transaction rolled back or ended)."""
        for part in self._parts:
            part.clear()
