"""The embedded default's database: SQLite's settings, and its WAL checkpoints off the
request path.

In WAL mode a commit appends pages to the write-ahead log; a checkpoint copies them
back into the database file and syncs it. SQLite runs that checkpoint itself inside
whichever commit takes the log past `wal_autocheckpoint` pages, so one request in a
few paid for everyone's writes: a batch of reports or a projection batch waited on the
file system (bench/README.md, "Figures behind the decisions", ADR 21). Each service
process with a SQLite database therefore checkpoints from a thread of its own every
`interval_s` (`WalCheckpointer`), and the automatic checkpoint stays only as a
backstop at a size that processes without a checkpointer (CLI commands, tests) reach.
"""

import asyncio
import contextlib
import logging
import sqlite3
import threading
from typing import Any
from urllib.request import pathname2url

from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import ConnectionPoolEntry

log = logging.getLogger(__name__)

# A backstop: 16 MB of log before a commit checkpoints by itself (SQLite's default is 4 MB).
AUTOCHECKPOINT_PAGES = 4000


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


# A connection execution option: the transaction will write, so it takes the write lock first.
WRITE_INTENT = "koers_write"


def sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # The driver's own transaction handling starts a transaction only before a write, so
    # a unit of work's reads ran outside it, each seeing whatever had been committed by
    # then (ADR 24); `begin_transaction` starts every transaction explicitly instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL loses no committed data when a process crashes (only on power loss);
    # the embedded default trades that for commits without an fsync each. Production is PostgreSQL.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
    cursor.close()


def begin_transaction(connection: Connection) -> None:
    """Every transaction is a real one: its reads and writes see one state of the database.

    A transaction that will write (`WRITE_INTENT`) begins IMMEDIATE: it takes SQLite's one
    write lock before its first read, so a rule it checks (a limit, a version number, the
    goal links a total is pushed along) still holds when it writes. Readers begin DEFERRED
    and, in WAL mode, never wait for a writer.
    """
    write = connection.get_execution_options().get(WRITE_INTENT, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def database_file(url: str) -> str | None:
    """The file behind a SQLite URL; None for an in-memory database or another database."""
    if not is_sqlite(url):
        return None
    name = make_url(url).database
    return name if name and name != ":memory:" else None


class WalCheckpointer:
    """Copies committed pages from the log into the database file, beside the writers.

    A PASSIVE checkpoint neither waits for nor blocks readers and writers; it copies what
    no reader still needs, and a writer restarts the log once all of it is copied. The
    sqlite3 module releases the GIL while SQLite works, so the event loop goes on.
    """

    def __init__(self, path: str, interval_s: float = 0.25) -> None:
        self._path = path
        self._interval_s = interval_s
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: (busy, pages in the log, pages copied)."""
        with self._lock:
            if self._connection is None:
                # mode=rw: the service's migrations create the file, never the checkpointer
                self._connection = sqlite3.connect(
                    f"file:{pathname2url(self._path)}?mode=rw",
                    uri=True,
                    timeout=0,
                    check_same_thread=False,
                    isolation_level=None,
                )
            busy, in_log, copied = self._connection.execute(
                "PRAGMA wal_checkpoint(PASSIVE)"
            ).fetchone()
            if in_log < 0:
                # Not (yet) in WAL mode as this connection saw it when it opened: a new
                # connection next time reads the mode afresh.
                self._connection.close()
                self._connection = None
            return int(busy), int(in_log), int(copied)

    async def run(self, stop: asyncio.Event) -> None:
        """Checkpoint every `interval_s` until `stop`; a failed one is tried next time."""
        try:
            while not stop.is_set():
                try:
                    await asyncio.to_thread(self.checkpoint)
                except sqlite3.Error as exc:  # busy with another process's checkpoint
                    log.debug("WAL checkpoint skipped: %s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._interval_s)
        finally:
            self.close()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def checkpointer_for(url: str) -> WalCheckpointer | None:
    """A checkpointer for a SQLite file database; None for PostgreSQL (it has its own)."""
    path = database_file(url)
    return WalCheckpointer(path) if path else None
