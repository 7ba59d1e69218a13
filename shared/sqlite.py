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
import fcntl
import logging
import os
import sqlite3
import threading
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.request import pathname2url

from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import ConnectionPoolEntry

log = logging.getLogger(__name__)

# A backstop: 16 MB of log before a commit checkpoints by itself (SQLite's default is 4 MB).
AUTOCHECKPOINT_PAGES = 4000


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


BUSY_TIMEOUT_MS = 5000  # how long a writer waits for SQLite's write lock before "locked"

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
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
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


def database_file(url: str | URL) -> str | None:
    """The file behind a SQLite URL; None for an in-memory database or another database."""
    url = make_url(url)
    if not url.drivername.startswith("sqlite"):
        return None
    name = url.database
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


class WriteTurns:
    """Writers of one SQLite file take turns, across processes, without sleeping through them.

    SQLite's own wait for its write lock is a sleep between tries, growing to 100 ms: a
    writer that has waited a while looks again only every 100 ms, so one that asks again
    soon after its commit (the API taking batch after batch) won nearly every time; the
    projection starved while intake ran, and its lag grew with every batch (bench/README.md,
    runs I). Writers therefore first take their turn here: in a process, an asyncio lock
    (first come, first served); between processes, a file lock beside the database, tried
    every few milliseconds, so a waiting writer sees within milliseconds that the turn is
    free. (A stricter queue across processes, two file locks handing the turn on, measured
    slower in runs I.)

    SQLite's lock stays what keeps the data right (ADR 24): a turn not had within the
    busy timeout is given up and the writer goes on to SQLite's own wait, as before (two
    writers of one process that would wait for each other cannot hang here).
    """

    def __init__(self, path: str) -> None:
        self._path = path + "-writers"
        self._fd: int | None = None
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold the turn for the block (or not at all, when not had within the timeout)."""
        release = await self.take()
        try:
            yield
        finally:
            if release is not None:
                release()

    async def take(self, timeout_s: float = BUSY_TIMEOUT_MS / 1000) -> Callable[[], None] | None:
        """The turn, and how to give it back; None when not had within `timeout_s`."""
        loop = asyncio.get_running_loop()
        lock = self._locks.setdefault(loop, asyncio.Lock())
        deadline = loop.time() + timeout_s
        try:
            await asyncio.wait_for(lock.acquire(), timeout_s)
        except TimeoutError:
            return None
        turn = self._file()
        try:
            had = await _flock(turn, deadline)
        except BaseException:  # cancelled, or stopped (Ctrl-C) while waiting: not ours
            lock.release()
            raise
        if not had:
            lock.release()
            return None

        def release() -> None:
            fcntl.flock(turn, fcntl.LOCK_UN)
            lock.release()

        return release

    def _file(self) -> int:
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd


async def _flock(fd: int, deadline: float) -> bool:
    """An exclusive lock on `fd`, tried every few milliseconds until `deadline` (loop time)."""
    loop = asyncio.get_running_loop()
    delay = 0.0005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.004)


_TURNS: dict[str, WriteTurns] = {}  # by file
_TURNS_OF_URL: dict[str | URL, WriteTurns | None] = {}  # every writing unit of work asks


def write_turns(url: str | URL) -> WriteTurns | None:
    """The turns of a SQLite file database's writers (one per file and process); None for
    PostgreSQL, whose writers wait in its lock queue, and for an in-memory database."""
    if url in _TURNS_OF_URL:
        return _TURNS_OF_URL[url]
    path = database_file(url)
    found = None
    if path is not None:
        path = os.path.abspath(path)
        found = _TURNS.setdefault(path, WriteTurns(path))
    _TURNS_OF_URL[url] = found
    return found
