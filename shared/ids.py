"""Identifiers for new rows and events: time-ordered UUIDs (version 7, RFC 9562).

Why not `uuid4`: a random key lands anywhere in a B-tree, so a batch of a thousand
rows dirties pages all over the primary key's and unique indexes' trees, and the
commit writes every one of them (several times the commit of time-ordered keys on
SQLite: bench/README.md, "Figures behind the decisions", ADR 17). A version 7 UUID
starts with the millisecond it was made, so new keys go to the right edge of the
index. The remaining 74 bits are random; they need to be unique, not secret, so they
come from `random` (reseeded in every forked process), which is also several times
cheaper than `os.urandom` per call.
"""

import random
import time
import uuid

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0b10 << 62
_random_bits = random.getrandbits


def _uuid7_int() -> int:
    millis = time.time_ns() // 1_000_000
    return (millis << 80) | _VERSION_7 | (_random_bits(12) << 64) | _VARIANT_RFC | _random_bits(62)


def new_uuid() -> uuid.UUID:
    """A new time-ordered id, for a row's primary key."""
    return uuid.UUID(int=_uuid7_int())


def new_event_id() -> str:
    """A new time-ordered id as text, for an event (the outbox indexes it)."""
    h = f"{_uuid7_int():032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def event_id_for(millis: int) -> str:
    """The greatest version 7 id of millisecond `millis`: ids made by then sort at or below."""
    h = f"{(millis << 80) | ((1 << 80) - 1):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def event_id_millis(event_id: str) -> int | None:
    """The millisecond a version 7 event id was made in (the event's acceptance: ids are
    made when the use case publishes it), or None for an id of another kind."""
    h = event_id.replace("-", "")
    if len(h) != 32 or h[12] != "7":
        return None
    try:
        return int(h[:12], 16)
    except ValueError:
        return None
