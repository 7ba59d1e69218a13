"""Rounds: callers who arrive while a round is being served wait for the next one, which
serves them all at once (group commit, grouped lookups).

A lone caller is served at once — nothing waits for company — and under load one round
(one query, one transaction) serves many. A round starts only after its callers arrived,
so it sees every change committed before they came.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

G = TypeVar("G", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")

Serve = Callable[[G, list[T]], Awaitable[Sequence[R | BaseException]]]


class Rounds(Generic[G, T, R]):
    """Rounds per group (callers of different groups never share one); `serve` answers a
    round's items in order, each with its result or the exception its caller should get."""

    def __init__(self, serve: Serve[G, T, R], largest: int = 500) -> None:
        self._serve, self._largest = serve, largest
        self._waiting: dict[G, list[tuple[T, asyncio.Future[R]]]] = {}
        self._runners: dict[G, asyncio.Task[None]] = {}

    async def ask(self, group: G, item: T) -> R:
        answer: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(group, []).append((item, answer))
        if group not in self._runners:
            self._runners[group] = asyncio.create_task(self._run(group))
        return await answer

    async def _run(self, group: G) -> None:
        try:
            while queue := self._waiting.get(group):
                taken, self._waiting[group] = queue[: self._largest], queue[self._largest :]
                answers: Sequence[R | BaseException]
                try:
                    answers = await self._serve(group, [item for item, _ in taken])
                except Exception as exc:  # the round failed: every caller in it did
                    answers = [exc] * len(taken)
                for (_, answer), result in zip(taken, answers, strict=True):
                    if answer.done():
                        continue
                    if isinstance(result, BaseException):
                        answer.set_exception(result)
                    else:
                        answer.set_result(result)
        finally:
            self._runners.pop(group, None)
            for _, answer in self._waiting.pop(group, []):
                answer.cancel()  # only when the runner itself was cancelled (shutdown)
