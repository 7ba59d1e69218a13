"""Helpers for demo seeds that depend on events another service published."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from shared.uow import SqlUnitOfWork

T = TypeVar("T")


async def wait_for_projects(
    uow: SqlUnitOfWork,
    find: Callable[[str], Awaitable[T | None]],
    codes: Iterable[str],
    timeout_s: float,
) -> dict[str, T]:
    """What `find` returns per code (inside `uow`), once all have arrived or the time is up.

    A seed that runs while the services start waits here until the registry's events
    have reached its replica; what has not arrived by the deadline is simply missing.
    """
    wanted = list(codes)
    deadline = time.monotonic() + timeout_s
    while True:
        async with uow:
            found = {c: p for c in wanted if (p := await find(c)) is not None}
        if len(found) == len(wanted) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.2)


async def wait_until(
    uow: SqlUnitOfWork, check: Callable[[], Awaitable[bool]], timeout_s: float
) -> bool:
    """Poll `check` (inside `uow`) until it holds or the time is up; say which."""
    deadline = time.monotonic() + timeout_s
    while True:
        async with uow:
            if await check():
                return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.2)
