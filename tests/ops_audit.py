"""`ops audit verify` as ops run it: the real command, in its own process, against the given
service databases (each named by its `<SERVICE>_DATABASE_URL`)."""

import asyncio
import os
import re
import sys
from collections.abc import Mapping


async def audit_verify(urls: Mapping[str, str], *extra: str) -> tuple[int, str]:
    """`python -m services ops audit verify --service S ...`: its exit code and output."""
    env = os.environ | {f"{service.upper()}_DATABASE_URL": url for service, url in urls.items()}
    services = [arg for service in urls for arg in ("--service", service)]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services",
        "ops",
        "audit",
        "verify",
        *services,
        *extra,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


def verified_heads(out: str) -> dict[str, tuple[str, int, str]]:
    """Per service line of a verify's output: its state, entries and head (`SEQ:HASH`)."""
    found = re.findall(r"^(\w+)\s+(intact|BROKEN)\s+(\d+) entries\s+head (\S+)$", out, re.M)
    return {name: (state, int(entries), head) for name, state, entries, head in found}
