"""Child processes that cannot outlive the process that started them.

The one-command platform starts a broker and nine service processes. Each runs in a session
of its own, so that a Ctrl-C in the terminal reaches only the runner, which then stops them
in order; but then nothing stopped them when the runner itself died (SIGKILL, a crash), and
they kept their ports. On Linux the kernel can tell a child when its parent dies (the
parent-death signal, prctl PR_SET_PDEATHSIG): each child asks for SIGTERM, set between fork
and exec so that there is no moment in which it is unprotected, and checks that its parent
had not already gone before it asked.
"""

import ctypes
import os
import signal
import socket
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1

# Loaded before any fork: the child only calls into it (a system call, no allocation).
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` for Popen: the child gets SIGTERM when this process dies.
    None where the kernel has no parent-death signal (the child then lives on its own)."""
    if _libc is None:
        return None
    parent = os.getpid()
    prctl = _libc.prctl

    def in_child() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was asked for
            os.kill(os.getpid(), signal.SIGTERM)

    return in_child


def port_free(host: str, port: int) -> bool:
    """Whether a server could listen on host:port now (nothing bound to it, listening or not)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True
