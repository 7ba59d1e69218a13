"""What a refusal says, in words a programme manager reads.

The services answer a refused request with FastAPI's detail: a sentence, or a list of
`{"loc": [...], "msg": ..., "type": ...}`. Shown raw that is JSON on a page. Here each
problem becomes "field: message", the field named in the user's language and the message
translated where its wording is known (the intake's and the registry's own sentences, and
pydantic's common types). An unknown message keeps its English wording rather than being
hidden: a partial translation is better than none, and it stays true.
"""

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from services.portal.i18n import label

Rewrite = Callable[[re.Match[str]], str]

# (pattern over the English message, its Dutch wording with the pattern's groups)
DUTCH: Sequence[tuple[re.Pattern[str], str]] = [
    (re.compile(p), nl)
    for p, nl in (
        (r"^Field required$", "is verplicht"),
        (r"^Input should be a valid decimal$", "is geen getal"),
        (r"^Input should be a valid number.*$", "is geen getal"),
        (r"^Input should be a valid integer.*$", "is geen geheel getal"),
        (r"^Input should be a valid UUID.*$", "is geen geldige verwijzing"),
        (r"^Input should be a valid date.*$", "is geen geldige datum (jjjj-mm-dd)"),
        (r"^Input should be (?:'[^']*'(?:, | or )?)+$", "is geen van de mogelijke keuzes"),
        (r"^String should have at least 1 character$", "mag niet leeg zijn"),
        (r"^String should have at least (\d+) characters$", r"moet minstens \1 tekens hebben"),
        (r"^String should have at most (\d+) characters$", r"mag hoogstens \1 tekens hebben"),
        (r"^String should match pattern.*$", "heeft niet de juiste vorm"),
        (r"^unknown project '?([^']*)'?$", r"onbekend project \1"),
        (r"^unknown indicator '?([^']*)'?$", r"onbekende indicator \1"),
        (r"^unknown programme$", "onbekend programma"),
        (
            r"^'([^']*)' is not a period; use .*$",
            r"'\1' is geen periode; schrijf 2024-Q1 voor een kwartaal of 2024 voor een jaar",
        ),
        (
            r"^(\S+) lies outside the project \((\S+) to (\S+)\)$",
            r"\1 valt buiten de looptijd van het project (\2 tot \3)",
        ),
        (
            r"^(\S+) lies outside the programme's years (\d+)-(\d+)$",
            r"\1 valt buiten de jaren van het programma (\2 tot en met \3)",
        ),
        (r"^may not be negative: .*$", "mag niet negatief zijn"),
        (r"^must be a whole number: .*$", "moet een geheel getal zijn"),
        (r"^must be a finite number$", "moet een eindig getal zijn"),
        (
            r"^this KPI is reported quarterly: use a period like (\S+)$",
            r"deze indicator wordt per kwartaal gerapporteerd: gebruik een periode als \1",
        ),
        (
            r"^this KPI is reported yearly: use a period like (\S+)$",
            r"deze indicator wordt per jaar gerapporteerd: gebruik een periode als \1",
        ),
        (r"^project (\S+) does not report (\S+)$", r"project \1 rapporteert \2 niet"),
        (r"^this KPI is disaggregated by: (.*)$", r"deze indicator wordt uitgesplitst naar: \1"),
        (r"^a qualitative indicator takes no number$", "een tekstindicator krijgt geen getal"),
        (r"^a ratio indicator needs a numerator$", "een verhouding heeft een teller nodig"),
        (r"^a ratio indicator needs a denominator$", "een verhouding heeft een noemer nodig"),
        (r"^the denominator may not be 0$", "de noemer mag geen 0 zijn"),
        (
            r"^this period was approved: say why the value changes$",
            "deze periode is al goedgekeurd: geef een reden voor de wijziging",
        ),
        (
            r"^say why the report goes back to the partner$",
            "geef een reden waarom de rapportage terug gaat naar de partner",
        ),
        (
            r"^period (\S+) is locked: programme staff locked it$",
            r"periode \1 is vergrendeld door de programmastaf",
        ),
        (
            r"^period (\S+) is locked: its reporting window closed (\d+) days after it ended$",
            r"periode \1 is gesloten: de termijn liep \2 dagen na afloop af",
        ),
        (
            r"^a (\w+) report cannot be (\w+); only submitted reports are reviewed$",
            r"deze rapportage is al beoordeeld; alleen ingediende rapportages worden beoordeeld",
        ),
        (r"^other requests kept changing the same report; retry$", "probeer het opnieuw"),
        (r"^the file is larger than 5 MB$", "het bestand is groter dan 5 MB"),
        (r"^the file has no rows$", "het bestand heeft geen rijen"),
        (r"^the file is empty$", "het bestand is leeg"),
        (
            r"^the rows to store are not readable; upload the file again$",
            "de op te slaan rijen zijn onleesbaar; upload het bestand opnieuw",
        ),
        (r"^missing columns: (.*)$", r"ontbrekende kolommen: \1"),
        (r"^not a readable XLSX file.*$", "geen leesbaar XLSX-bestand"),
        (r"^username: 1 to 100 characters$", "gebruikersnaam: 1 tot 100 tekens"),
        (r"^password: at least 12 characters$", "wachtwoord: minstens 12 tekens"),
        (r"^roles: choose at least one known role$", "rollen: kies minstens één rol"),
        (r"^username: exists already$", "gebruikersnaam: bestaat al"),
        (r"^you cannot deactivate yourself$", "u kunt uzelf niet uitschakelen"),
        (r"^no such user$", "onbekende gebruiker"),
        (
            r"^an organisation named .* exists already.*$",
            "er bestaat al een organisatie met die naam",
        ),
        (r"^(.*) is unreachable \((\w+)\)$", r"\1 is niet bereikbaar"),
    )
]


def message(text: str, language: str) -> str:
    """One service message in the user's language (Dutch where the wording is known)."""
    if language != "nl":
        return text
    for pattern, dutch in DUTCH:
        found = pattern.match(text)
        if found:
            return found.expand(dutch)
    return text


def readable(detail: Any, language: str) -> str:
    """A refusal's detail as one line of text: "waarde: is geen getal; periode: ..."."""
    if isinstance(detail, str):
        return message(detail, language)
    if isinstance(detail, Mapping):
        return readable(detail.get("detail") or detail.get("msg") or str(detail), language)
    if isinstance(detail, Iterable):
        parts = [_one(item, language) for item in detail]
        return "; ".join(p for p in parts if p)
    return str(detail)


def _one(item: Any, language: str) -> str:
    if not isinstance(item, Mapping):
        return message(str(item), language)
    field = field_of(item.get("loc") or [])
    text = message(str(item.get("msg", "")), language)
    return f"{label('field', field, language)}: {text}" if field else text


def field_of(loc: Sequence[Any]) -> str:
    """The field a problem is about: the last named part of its location after `body`."""
    names = [str(x) for x in loc if isinstance(x, str) and x not in ("body", "query", "path")]
    return names[-1] if names else ""
