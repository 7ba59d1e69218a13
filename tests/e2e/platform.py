"""The README's run command in a subprocess, as the end-to-end tests use it."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def start(data_dir: Path, ports: dict[str, int]) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "services", "run", "--data-dir", str(data_dir)]
    for name, port in ports.items():
        command += [f"--{name}-port", str(port)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for_start(process: subprocess.Popen[str], timeout_s: float = 90) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if line.startswith("started in"):
            return lines
    process.kill()
    pytest.fail("the platform did not start:\n" + "\n".join(lines))


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    return process.returncode, out
