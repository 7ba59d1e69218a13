"""`make run` stops cleanly at any moment. The runner is started as a terminal starts a job
(a process group of its own) and stopped as a person would: Ctrl-C (SIGINT to the whole
group) a few seconds into start-up, SIGTERM while it migrates, seeds and starts services,
Ctrl-C once it runs, and SIGKILL, after which its children must notice by themselves. Every
process it started is followed while it runs; afterwards none may be left and every port
must be free. A start that finds a port taken says which and starts nothing."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.broker import free_port
from shared.processes import port_free

STOP_WITHIN_S = 10.0


def _ports() -> dict[str, int]:
    names = ("broker", "projects", "kpi", "funding", "notifications", "portal")
    return {name: free_port() for name in names}


def _start(data_dir: Path, ports: dict[str, int]) -> subprocess.Popen[bytes]:
    """The runner, its output in data_dir.parent / "out.log"."""
    command = [sys.executable, "-m", "services", "run", "--data-dir", str(data_dir)]
    for name, port in ports.items():
        command += [f"--{name}-port", str(port)]
    with open(data_dir.parent / "out.log", "wb") as out:
        return subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )


def _output(runner: subprocess.Popen[bytes], data_dir: Path) -> str:
    return (data_dir.parent / "out.log").read_text(errors="replace")


def _descendants_until(
    runner: subprocess.Popen[bytes], data_dir: Path, deadline: float, until_started: bool = False
) -> set[int]:
    """Every process the runner started, looked at every 0.1 s until the deadline (or until
    it printed that it started)."""
    seen: set[int] = set()
    while time.monotonic() < deadline:
        seen |= _descendants(runner.pid)
        if until_started and "started in" in _output(runner, data_dir):
            return seen
        assert runner.poll() is None, "the runner stopped by itself:\n" + _output(runner, data_dir)
        time.sleep(0.1)
    assert not until_started, "the platform did not start:\n" + _output(runner, data_dir)
    return seen


def _stat(pid: int) -> tuple[str, int] | None:
    """A process's state letter and parent id, from /proc (None: no such process)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, parent = text[text.rindex(")") + 2 :].split()[:2]
    return state, int(parent)


def _descendants(root: int) -> set[int]:
    parent_of = {
        int(entry.name): stat[1]
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and (stat := _stat(int(entry.name)))
    }
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parent_of.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> list[str]:
    """The command lines of those still running (a zombie has stopped)."""
    alive = []
    for pid in pids:
        stat = _stat(pid)
        if stat is not None and stat[0] != "Z":
            try:
                alive.append(Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " "))
            except OSError:
                continue
    return alive


def _all_gone(pids: set[int], ports: dict[str, int], within_s: float) -> float:
    """Seconds until no process of `pids` is left and every port is free; fails after."""
    started = time.monotonic()
    while time.monotonic() - started < within_s:
        if not _alive(pids) and all(port_free("127.0.0.1", p) for p in ports.values()):
            return time.monotonic() - started
        time.sleep(0.1)
    taken = [name for name, port in ports.items() if not port_free("127.0.0.1", port)]
    pytest.fail(f"after {within_s} s still running: {_alive(pids)}; ports taken: {taken}")


@pytest.fixture
def ports() -> dict[str, int]:
    return _ports()


@pytest.mark.parametrize(
    ("how", "after_s"),
    [
        ("ctrl-c", 2.5),  # starting the broker, migrating
        ("sigterm", 6.0),  # seeding, starting the services
        ("ctrl-c", None),  # running
    ],
)
def test_a_stop_signal_at_any_moment_stops_everything_within_10_s(
    tmp_path: Path, ports: dict[str, int], how: str, after_s: float | None
) -> None:
    data = tmp_path / "data"
    runner = _start(data, ports)
    if after_s is None:
        children = _descendants_until(runner, data, time.monotonic() + 120, until_started=True)
    else:
        children = _descendants_until(runner, data, time.monotonic() + after_s)
    assert children, "the runner had started nothing yet"
    signalled = time.monotonic()
    if how == "ctrl-c":
        os.killpg(runner.pid, signal.SIGINT)  # the terminal signals the whole group
    else:
        runner.send_signal(signal.SIGTERM)
    try:
        runner.wait(timeout=STOP_WITHIN_S)
    except subprocess.TimeoutExpired:
        os.killpg(runner.pid, signal.SIGKILL)
        pytest.fail(
            f"the runner did not exit within {STOP_WITHIN_S} s of {how}:\n" + _output(runner, data)
        )
    remaining = STOP_WITHIN_S - (time.monotonic() - signalled)
    _all_gone(children, ports, max(remaining, 0.5))
    out = _output(runner, data)
    assert out.rstrip().endswith("stopped"), out[-2000:]
    took = time.monotonic() - signalled
    print(f"{how} after {after_s or 'start-up,'} s: all stopped in {took:.1f} s")


def test_children_stop_by_themselves_when_the_runner_is_killed(
    tmp_path: Path, ports: dict[str, int]
) -> None:
    data = tmp_path / "data"
    runner = _start(data, ports)
    children = _descendants_until(runner, data, time.monotonic() + 120, until_started=True)
    runner.kill()  # SIGKILL: the runner cleans nothing up
    runner.wait(5)
    seconds = _all_gone(children, ports, STOP_WITHIN_S)
    print(f"SIGKILL of the runner: its {len(children)} processes gone in {seconds:.1f} s")


def test_a_port_taken_is_named_and_nothing_starts(tmp_path: Path, ports: dict[str, int]) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports["kpi"]))
        squatter.listen()
        runner = _start(tmp_path / "data", ports)
        assert runner.wait(timeout=30) != 0
        out = _output(runner, tmp_path / "data")
        assert f"port {ports['kpi']} (kpi) is taken" in out
        assert "kafka://" not in out  # the broker was not started
    assert all(port_free("127.0.0.1", p) for p in ports.values())
    assert not (tmp_path / "data").exists()
