"""SQLite's write-ahead log is copied back by the service's own checkpointer, not by a
request's commit, and the log stays bounded while writers keep writing."""

import asyncio
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import create_engine
from shared.sqlite import AUTOCHECKPOINT_PAGES, WalCheckpointer, checkpointer_for, database_file

PAGE = 4096


async def _write(engine: AsyncEngine, rows: int) -> None:
    """`rows` rows of ~400 bytes in commits of 500 (the pool keeps the connection, and with
    it the log, open)."""
    async with engine.begin() as c:
        await c.execute(text("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)"))
    for start in range(0, rows, 500):
        async with engine.begin() as c:
            await c.execute(
                text("INSERT INTO t (body) VALUES (:body)"),
                [{"body": "x" * 400} for _ in range(start, min(start + 500, rows))],
            )


async def test_the_checkpointer_copies_the_log_back_while_writers_commit(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    checkpointer = checkpointer_for(url)
    assert isinstance(checkpointer, WalCheckpointer)
    engine = create_engine(url)
    await _write(engine, 2000)
    busy, in_log, copied = checkpointer.checkpoint()
    assert busy == 0
    assert in_log > 100 and copied == in_log, "every committed page is back in the file"
    # the next writer starts the log over: it does not grow while checkpoints keep up
    await _write(engine, 2000)
    assert checkpointer.checkpoint()[1] <= in_log + 10
    await engine.dispose()
    checkpointer.close()


async def test_commits_leave_checkpoints_to_the_checkpointer_below_the_backstop(
    tmp_path: Path,
) -> None:
    """Without the checkpointer, a few MB of writes stay in the log: no commit paid for
    copying them back (SQLite's own default checkpoints in the commit after 1,000 pages)."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    await _write(engine, 12_000)  # ~1,300 pages
    async with engine.connect() as c:
        assert (await c.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == AUTOCHECKPOINT_PAGES
        log_pages = (tmp_path / "db.sqlite-wal").stat().st_size // PAGE
        assert 1000 < log_pages < AUTOCHECKPOINT_PAGES
    await engine.dispose()


async def test_a_running_checkpointer_keeps_the_log_copied_and_stops_with_its_service(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    checkpointer = checkpointer_for(url)
    assert checkpointer is not None
    engine = create_engine(url)
    stop = asyncio.Event()
    running = asyncio.create_task(checkpointer.run(stop))
    for _ in range(12):  # ~1,300 pages over more than a second
        await _write(engine, 1000)
        await asyncio.sleep(0.1)
    probe = checkpointer_for(url)
    assert probe is not None
    _, in_log, copied = probe.checkpoint()
    assert in_log == copied
    assert in_log < 700, "the log was restarted while the writes went on"
    stop.set()
    await asyncio.wait_for(running, 2)
    probe.close()
    await engine.dispose()


def test_only_sqlite_files_get_a_checkpointer() -> None:
    assert checkpointer_for("postgresql+asyncpg://localhost/test") is None
    assert checkpointer_for("sqlite+aiosqlite:///:memory:") is None
    assert database_file("sqlite+aiosqlite:////var/lib/koers/kpi.db") == "/var/lib/koers/kpi.db"


async def test_a_database_under_an_awkward_path_is_checkpointed(tmp_path: Path) -> None:
    """A path is not a URI: `?`, `#`, `%` and spaces in it are escaped, not read as parts."""
    folder = tmp_path / "data #1 ?100%"
    folder.mkdir()
    url = f"sqlite+aiosqlite:///{folder / 'kpi.db'}"
    engine = create_engine(url)
    await _write(engine, 1000)
    checkpointer = checkpointer_for(url)
    assert checkpointer is not None
    busy, in_log, copied = checkpointer.checkpoint()
    assert (busy, in_log > 0, copied) == (0, True, in_log)
    checkpointer.close()
    await engine.dispose()
