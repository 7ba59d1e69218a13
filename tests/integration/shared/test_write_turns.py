"""Writers of one SQLite file take turns (shared.sqlite.WriteTurns): a writer waiting beside
another that writes back to back gets its turn right after the transaction under way, across
processes, where SQLite's own wait (a sleep between tries, growing to 100 ms) let the busier
writer win nearly every time — the projection starved while intake ran."""

import asyncio
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from shared.db import create_engine, session_factory
from shared.sqlite import WriteTurns
from shared.uow import SqlUnitOfWork

ROOT = Path(__file__).resolve().parents[3]

# Another process writing back to back: each transaction holds SQLite's write lock 100 ms,
# and the next begins 5 ms later (as the API answers one batch and reads the next).
GREEDY = textwrap.dedent(
    """
    import asyncio, sys, time
    from sqlalchemy import text
    from shared.db import create_engine, session_factory
    from shared.uow import SqlUnitOfWork

    async def main(url, seconds):
        engine = create_engine(url)
        sessions = session_factory(engine)
        print("writing", flush=True)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            async with SqlUnitOfWork(sessions, "greedy") as uow:
                await (await uow.session.connection()).execute(
                    text("INSERT INTO t (who) VALUES ('greedy')")
                )
                await asyncio.sleep(0.1)
                await uow.commit()
            await asyncio.sleep(0.005)
        await engine.dispose()

    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
    """
)


async def test_a_writer_beside_one_writing_back_to_back_waits_one_transaction_not_seconds(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}"
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)"))
    sessions = session_factory(engine)
    greedy = await asyncio.create_subprocess_exec(
        sys.executable, "-c", GREEDY, url, "6", cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    waits: list[float] = []
    try:
        assert greedy.stdout is not None
        assert await greedy.stdout.readline() == b"writing\n"
        await asyncio.sleep(0.3)
        for _ in range(15):
            asked = time.monotonic()
            async with SqlUnitOfWork(sessions, "patient") as uow:
                connection = await uow.session.connection()
                await connection.execute(text("INSERT INTO t (who) VALUES ('patient')"))
                waits.append(time.monotonic() - asked)
                await uow.commit()
            await asyncio.sleep(0.05)
    finally:
        await asyncio.wait_for(greedy.wait(), 30)
        await engine.dispose()
    assert greedy.returncode == 0
    # at most one greedy transaction (100 ms) and the few milliseconds to see it end;
    # SQLite's own wait, trying every 100 ms, took from a quarter of a second to several
    assert max(waits) < 0.3, [round(w, 3) for w in waits]


async def test_the_turn_is_one_writers_at_a_time_and_passes_on_when_given_back(
    tmp_path: Path,
) -> None:
    # two instances on one file stand for two processes (each holds its own file lock)
    first, second = WriteTurns(str(tmp_path / "a.db")), WriteTurns(str(tmp_path / "a.db"))
    give_back = await first.take()
    assert give_back is not None
    assert await second.take(timeout_s=0.2) is None  # not had: the writer goes on to SQLite

    async def later() -> None:
        await asyncio.sleep(0.1)
        give_back()

    giving = asyncio.create_task(later())
    asked = time.monotonic()
    got = await second.take(timeout_s=2)
    assert got is not None
    assert 0.08 < time.monotonic() - asked < 0.15
    got()
    await giving


async def test_writers_of_one_process_take_turns_in_the_order_they_asked(tmp_path: Path) -> None:
    turns = WriteTurns(str(tmp_path / "b.db"))
    order: list[int] = []

    async def writer(n: int) -> None:
        async with turns.turn():
            order.append(n)
            await asyncio.sleep(0.005)

    tasks = []
    for n in range(5):
        tasks.append(asyncio.create_task(writer(n)))
        await asyncio.sleep(0)  # each asks before the next
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]


async def test_a_reading_unit_of_work_takes_no_turn(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        # a writer holds the turn; a reader neither waits for it nor takes it
        async with (
            SqlUnitOfWork(sessions, "writer"),
            SqlUnitOfWork(sessions, "reader", write=False) as reader,
        ):
            connection = await reader.session.connection()
            assert (await connection.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await engine.dispose()


async def test_a_writer_stopped_while_it_waits_leaves_the_turn_to_the_next(tmp_path: Path) -> None:
    # a stop (Ctrl-C, a cancelled request) while waiting must not keep the process's turn:
    # the next writer would wait the whole busy timeout for it
    other_process, turns = WriteTurns(str(tmp_path / "d.db")), WriteTurns(str(tmp_path / "d.db"))
    held = await other_process.take()
    assert held is not None
    waiting = asyncio.create_task(turns.take())
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    held()
    asked = time.monotonic()
    got = await turns.take(timeout_s=2)
    assert got is not None
    assert time.monotonic() - asked < 0.1
    got()
