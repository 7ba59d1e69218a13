"""A stop signal stops `make run` wherever it lands: in a callback of the event loop (which
asyncio would log and swallow for any exception but KeyboardInterrupt), or in library code
that swallows it all the same (the next step of start-up raises it again)."""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from services.embedded import StopRequested, _StopOnSignals


@pytest.fixture
def signals() -> Iterator[_StopOnSignals]:
    before = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    stop = _StopOnSignals()
    stop.install()
    yield stop
    for number, handler in before.items():
        signal.signal(number, handler)


def test_a_stop_raised_in_an_event_loop_callback_leaves_the_loop() -> None:
    async def main() -> None:
        asyncio.get_running_loop().call_soon(_raise_stop)
        await asyncio.sleep(5)

    with pytest.raises(StopRequested):
        asyncio.run(main())


def _raise_stop() -> None:
    raise StopRequested("SIGINT")


def test_a_swallowed_stop_is_raised_again_at_the_next_step(signals: _StopOnSignals) -> None:
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        signal.sigtimedwait([], 0)  # let the handler run here
    except StopRequested:
        pass  # library code that swallows everything
    with pytest.raises(StopRequested, match="SIGTERM"):
        signals.check()


def test_once_cleaning_up_further_signals_are_ignored(signals: _StopOnSignals) -> None:
    with pytest.raises(StopRequested):
        os.kill(os.getpid(), signal.SIGINT)
        signal.sigtimedwait([], 0)
    signals.stopping = True  # the runner's clean-up has begun
    os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C during the clean-up
    signal.sigtimedwait([], 0)
    signals.check()  # nothing raised: the clean-up goes on


def test_a_stopped_runner_exits_even_if_a_library_thread_lingers() -> None:
    script = (
        "import threading\n"
        "from services.embedded import _exit_if_threads_linger\n"
        "threading.Thread(target=threading.Event().wait).start()  # as aiosqlite's worker\n"
        "print('stopped', flush=True)\n"
        "_exit_if_threads_linger(0)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30)
    assert (done.returncode, done.stdout) == (0, b"stopped\n")
