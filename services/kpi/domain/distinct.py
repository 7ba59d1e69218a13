"""Enterprises (and participants) counted once, as the EU methodology asks.

An enterprise supported by several operations is one enterprise (RCO01-RCO04; 2014-2020
CO01-CO05). Partners list the supported enterprises' KvK numbers with a value; the platform
keeps a keyed hash of each (HMAC-SHA256 under a secret of the service), never the number,
so the same enterprise is recognised across projects without being stored. Project totals
stay as reported; totals over several projects count each identifier once. Participants
work the same way where a partner gives a pseudonymous identifier.
"""

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class CountedOnce(StrEnum):
    """What an indicator counts when it counts each one once across projects."""

    ENTERPRISE = "enterprise"  # identified by KvK number
    PARTICIPANT = "participant"  # identified by a partner's pseudonymous identifier


_NOT_DIGITS = re.compile(r"[\s.]")
_PSEUDONYM = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class IdentifierError(ValueError):
    """Not an identifier of the kind the indicator counts."""


def kvk_number(text: str) -> str:
    """A KvK number as its 8 digits. It carries no check digit (the Chamber of Commerce
    dropped the eleven test when numbers ran out), so the rules are its form: eight
    digits, spaces and dots allowed between them, not all zeros."""
    digits = _NOT_DIGITS.sub("", text)
    if len(digits) != 8 or not digits.isascii() or not digits.isdigit():
        raise IdentifierError(f"{text!r} is not a KvK number (8 digits)")
    if digits == "00000000":
        raise IdentifierError("00000000 is not a KvK number")
    return digits


def pseudonym(text: str) -> str:
    if not _PSEUDONYM.match(text):
        raise IdentifierError(
            f"{text!r} is not a pseudonymous identifier (1-64 letters, digits, - or _)"
        )
    return text


def normalised(kind: CountedOnce, text: str) -> str:
    return kvk_number(text) if kind is CountedOnce.ENTERPRISE else pseudonym(text)


def keyed_hash(kind: CountedOnce, identifier: str, secret: bytes) -> str:
    """The stored form: equal for equal identifiers, useless without the secret."""
    return hmac.new(secret, f"{kind}:{identifier}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class IdentifiedValue:
    """One counted cell of one project whose value came with its identifiers."""

    project_id: object
    value: Decimal
    identifiers: frozenset[str]


@dataclass(frozen=True)
class CountedOnceTotal:
    """A total over several projects with each identifier counted once."""

    value: Decimal  # the total: reported values, each listed identifier once
    reported: Decimal  # the same total as reported (each project's values added up)
    more_than_one_project: int  # identifiers counted by more than one project


def counted_once(reported_total: Decimal, cells: Iterable[IdentifiedValue]) -> CountedOnceTotal:
    """`reported_total` adds up every project's values; the identified ones among them are
    replaced by their distinct identifiers. Values reported without identifiers stay."""
    identified = Decimal(0)
    everyone: set[str] = set()
    per_project: dict[object, set[str]] = {}
    for cell in cells:
        identified += cell.value
        everyone |= cell.identifiers
        per_project.setdefault(cell.project_id, set()).update(cell.identifiers)
    shared = sum(len(ids) for ids in per_project.values()) - len(everyone)
    return CountedOnceTotal(reported_total - identified + len(everyone), reported_total, shared)
