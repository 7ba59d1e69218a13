"""EU transmissions on the export page (ADR 30): what the finance officer's form asks of the
funding service, what its refusals mean in the user's words, and what a sealed record and
its diff against today say, with names where the services give codes. Pure: the routes
fetch, this shapes, the templates show."""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.portal.domain import problems
from services.portal.domain.catalogue import Names
from services.portal.i18n import label

OTHER = "other"  # the cut-off choice "another date"
FORMATS = ("xlsx", "csv", "json")
REASON_CHARACTERS = 2000


@dataclass(frozen=True)
class Transmit:
    """What the form asks: a cut-off (or another date with a reason), and for a correction
    the number of the transmission it corrects, with a reason."""

    body: dict[str, Any]


def transmit_request(cutoff: str, other: str, reason: str, corrects: str) -> Transmit | str:
    """The request body of a transmission, or the key of what is wrong with the form (the
    funding service checks the rest: a reason where it needs one, the numbering)."""
    day = other.strip() if cutoff == OTHER else cutoff.strip()
    try:
        date.fromisoformat(day)
    except ValueError:
        return "transmit_date_needed"
    body: dict[str, Any] = {"as_of": day}
    if reason.strip():
        if len(reason.strip()) > REASON_CHARACTERS:
            return "reason_too_long"
        body["reason"] = reason.strip()
    if corrects.strip():
        if not corrects.strip().isdigit() or len(corrects.strip()) > 6:
            return "bad_input"
        body["corrects"] = int(corrects.strip())
    return Transmit(body)


# The funding service's refusals of a transmission, in both languages (its own sentences are
# English and name their parameters; shown raw they read as codes).
REFUSALS: Sequence[tuple[re.Pattern[str], str, str]] = [
    (re.compile(p), nl, en)
    for p, nl, en in (
        (
            r"^cut-off (\S+) was transmitted as number (\d+): .*$",
            r"Peildatum \1 is al verzonden (verzending \2). Verzend opnieuw als correctie van "
            r"verzending \2, met een reden.",
            r"Cut-off \1 was transmitted already (transmission \2). Transmit again as a "
            r"correction of transmission \2, with a reason.",
        ),
        (
            r"^the latest transmission of cut-off (\S+) is number (\d+): .*$",
            r"De laatste verzending van peildatum \1 is verzending \2: een correctie herziet "
            r"die.",
            r"The latest transmission of cut-off \1 is transmission \2: a correction corrects "
            r"that one.",
        ),
        (
            r"^cut-off (\S+) was not transmitted yet: nothing to correct$",
            r"Peildatum \1 is nog niet verzonden: er is niets te corrigeren.",
            r"Cut-off \1 was not transmitted yet: there is nothing to correct.",
        ),
        (
            r"^(\S+) is not a cut-off \(31 January, 31 July\): say why$",
            r"\1 is geen EU-peildatum (31 januari, 31 juli): geef een reden.",
            r"\1 is not an EU cut-off (31 January, 31 July): give a reason.",
        ),
        (
            r"^say why the cut-off is corrected$",
            "Geef een reden voor de correctie.",
            "Give a reason for the correction.",
        ),
        (
            r"^(\w+) transmission (\d+) of this programme does not exist$",
            r"Verzending \2 van dit programma bestaat niet.",
            r"Transmission \2 of this programme does not exist.",
        ),
    )
]


def refusal(detail: Any, language: str) -> str:
    """A refusal of the funding service as one readable line."""
    texts = [detail] if isinstance(detail, str) else []
    if isinstance(detail, list):
        texts = [str(item.get("msg", "")) for item in detail if isinstance(item, Mapping)]
    out = []
    for text in texts:
        for pattern, nl, en in REFUSALS:
            found = pattern.match(text)
            if found:
                out.append(found.expand(nl if language == "nl" else en))
                break
    if out and len(out) == len(texts):
        return " ".join(out)
    return problems.readable(detail, language)


# --- a record and its diff in words ---------------------------------------------------------


def what(scope: str, code: str, names: Names) -> str:
    """What a figure of a diff is about: a project (its code), an EU indicator (its code) or
    a project's output ("IBDO: Bereikte ondernemers")."""
    if scope != "output":
        return code
    project, _, indicator = code.partition(" ")
    return f"{project}: {names.indicator(indicator)}"


def actor(text: str | None, names: Names) -> str:
    """Who did it: a partner's organisation by its name, staff by their user name."""
    if not text:
        return "\u2013"
    kind, _, who = text.partition(":")
    if kind == "organisation" and who:
        found = names.organisation(who)
        return found if found != "\u2013" else text
    return who if kind == "staff" and who else text


def restated(labels: Iterable[str], language: str) -> list[str]:
    """``efro-3`` as "herziet verzending 3 (EFRO)" / "restates transmission 3 (EFRO)"."""
    return [label("flag", f"restates:{name}", language) for name in labels]


def figure_rows(diff: Mapping[str, Any], names: Names, language: str) -> list[dict[str, Any]]:
    return [
        {
            "scope": label("diff_scope", f["scope"], language),
            "what": what(f["scope"], f["code"], names),
            "field": label("diff_field", f["field"], language),
            "transmitted": f["transmitted"],
            "today": f["today"],
            "money": f["scope"] == "project",
        }
        for f in diff.get("figures", [])
    ]


def version_rows(diff: Mapping[str, Any], names: Names, language: str) -> list[dict[str, Any]]:
    return [
        {
            "kind": label("change_kind", v["kind"], language),
            "project": v["code"],
            "indicator": names.indicator(v["indicator_code"]),
            "period": v["period"],
            "version": v["version"],
            "value": v["value"],
            "counted_value_transmitted": v.get("counted_value_transmitted"),
            "reason": v.get("reason"),
            "actor": actor(v.get("actor"), names),
            "recorded_at": v.get("recorded_at"),
            "restates": restated(v.get("restates") or [], language),
        }
        for v in diff.get("versions", [])
    ]


def restatement_rows(
    lines: Iterable[Mapping[str, Any]], names: Names, language: str
) -> list[dict[str, Any]]:
    return [
        {
            "kind": label("change_kind", r["kind"], language),
            "project": r["code"],
            "indicator": names.indicator(r["indicator_code"]),
            "period": r["period"],
            "version": r["version"],
            "value": r.get("value"),
            "previous_value": r.get("previous_value"),
            "reason": r.get("reason"),
            "actor": actor(r.get("submitted_by"), names),
            "restates": restated(r.get("restates") or [], language),
        }
        for r in lines
    ]


def definition_rows(record: Mapping[str, Any], language: str) -> list[dict[str, Any]]:
    """The definitions a record counted under (a record sealed before they were named has
    code, EU code, kind and unit only)."""
    return [
        {
            "name": (d.get("name_nl") if language == "nl" else None)
            or d.get("name_en")
            or d["indicator_code"],
            "eu_code": d.get("eu_code") or "\u2013",
            "version": d.get("version"),
            "effective_from": d.get("effective_from"),
            "unit": d.get("unit") or "",
            "kind": label("kind", d.get("kind"), language),
            "change": label("definition_change", d.get("change"), language)
            if d.get("change")
            else "\u2013",
            "periods": " \u2013 ".join(
                p for p in (d.get("first_period"), d.get("last_period")) if p
            ),
            "methodology": d.get("methodology"),
        }
        for d in record.get("definitions", [])
    ]


def file_name(
    fund: str, number: int, programme: str, as_of: str, extension: str, language: str
) -> str:
    """e.g. eu-verzending-efro-1-economische-koers-drenthe-peildatum-2019-07-31.xlsx (no
    date of making: the file is the same whenever it is fetched)."""
    nl = language == "nl"
    parts = ["eu-verzending" if nl else "eu-transmission", fund, str(number), programme]
    parts += ["peildatum" if nl else "cut-off", as_of]
    slugs = (re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts if p)
    return "-".join(slugs) + f".{extension}"
