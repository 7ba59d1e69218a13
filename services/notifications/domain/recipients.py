"""Who may hear of what, by default and at all; and what a webhook target must look like."""

import hashlib
import hmac
import uuid
from collections.abc import Iterable
from urllib.parse import urlsplit

from services.notifications.domain.rules import RULES, Audience, Channel

STAFF, ORGANISATION = "staff", "organisation"
ROLE_AUDIENCES = {
    "programme_manager": Audience.PROGRAMME_MANAGERS,
    "finance_officer": Audience.FINANCE_OFFICERS,
    "admin": Audience.OPS,
}


def audiences_of(kind: str, roles: Iterable[str]) -> set[Audience]:
    if kind == ORGANISATION:
        return {Audience.PARTNERS}
    return {ROLE_AUDIENCES[r] for r in roles if r in ROLE_AUDIENCES}


def default_subscriptions(
    kind: str, roles: Iterable[str], has_email: bool, has_webhook: bool
) -> set[tuple[str, str]]:
    """Each rule meant for the subscriber's audiences, on every channel it can be reached by:
    staff in the app (and by e-mail when known); partners by e-mail and webhook."""
    channels = {Channel.IN_APP} if kind == STAFF else set()
    if has_email:
        channels.add(Channel.EMAIL)
    if has_webhook and kind == ORGANISATION:
        channels.add(Channel.WEBHOOK)
    mine = audiences_of(kind, roles)
    return {
        (rule.name, channel.value)
        for rule in RULES.values()
        if mine & set(rule.audiences)
        for channel in channels
    }


def may_receive(
    kind: str,
    organisation_id: uuid.UUID | None,
    project_id: uuid.UUID | None,
    members: set[uuid.UUID],
) -> bool:
    """Staff hear of everything they subscribe to; a partner only of its own projects."""
    if kind == STAFF:
        return True
    return project_id is not None and organisation_id in members


def webhook_url_problem(url: str, allow_http: bool) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket; found by the property tests
        return "not an absolute http(s) URL"
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return "not an absolute http(s) URL"
    if parts.scheme == "http" and not allow_http:
        return "webhooks must use https (plain http is allowed only in development)"
    return None


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`X-Koers-Signature`: HMAC-SHA256 over "<timestamp>.<body>" with the subscriber's secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff(attempts: int, base_s: float) -> float:
    """Seconds before the next attempt after `attempts` failures: base, 2 x base, 4 x base…"""
    return float(base_s * 2 ** max(attempts - 1, 0))
