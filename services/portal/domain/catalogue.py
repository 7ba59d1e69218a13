"""Names for the codes a page would otherwise show: indicators (the catalogue's Dutch or
English name and unit), projects (code and name), organisations and goals (with the path
from their programme line down, for breadcrumbs and filters). Built once per page from
the services' answers; pure, so tested without them."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.portal.domain.units import UNITS


@dataclass(frozen=True)
class Names:
    language: str
    indicators: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    projects: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # by id
    organisations: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # by id
    goals: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # by id, with parent_id

    @classmethod
    def of(
        cls,
        language: str,
        indicators: Iterable[Mapping[str, Any]] = (),
        projects: Iterable[Mapping[str, Any]] = (),
        organisations: Iterable[Mapping[str, Any]] = (),
        trees: Iterable[Mapping[str, Any]] = (),
    ) -> "Names":
        return cls(
            language,
            {i["code"]: i for i in indicators},
            {str(p["id"]): p for p in projects},
            {str(o["id"]): o for o in organisations},
            {str(g["id"]): g for g in flatten(trees)},
        )

    def indicator(self, code: str) -> str:
        """The indicator's name in the language (the English one where no Dutch is given)."""
        found = self.indicators.get(code)
        if found is None:
            return code
        dutch = found.get("name_nl") if self.language == "nl" else None
        return str(dutch or found.get("name_en") or code)

    def in_text(self, text: str, codes: Iterable[str]) -> str:
        """The text with each of these indicator codes, where it stands as a word, replaced by
        the indicator's name: the notifications service writes codes into the texts it keeps
        (it has no catalogue), and a page shows names."""
        for code in codes:
            name = self.indicator(code)
            if name != code:
                text = re.sub(rf"(?<![\w-]){re.escape(code)}(?![\w-])", name, text)
        return text

    def notification(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """A notification with the indicator it is about named, not coded, in its texts."""
        code = (item.get("data") or {}).get("indicator")
        codes = [str(code)] if code else []
        return {
            **item,
            "title": self.in_text(str(item["title"]), codes),
            "body": self.in_text(str(item.get("body", "")), codes),
        }

    def unit(self, code: str) -> str:
        """The indicator's unit in the language ("deelnemers", not "participants")."""
        unit = str((self.indicators.get(code) or {}).get("unit") or "")
        dutch, english = UNITS.get(unit, (unit, unit))
        return dutch if self.language == "nl" else english

    def project(self, project_id: Any) -> str:
        found = self.projects.get(str(project_id))
        return str(found["code"]) if found else "\u2013"

    def organisation(self, organisation_id: Any) -> str:
        found = self.organisations.get(str(organisation_id))
        return str(found["name"]) if found else "\u2013"

    def actor(self, actor: str | None) -> str:
        """Who did it, as a person reads it: the KPI service records `staff:<user>` or
        `organisation:<id>` (a partner's API key); a page shows the user or the
        organisation's name (never the id)."""
        kind, _, rest = str(actor or "").partition(":")
        if kind == "staff" and rest:
            return rest
        if kind == "organisation" and rest:
            found = self.organisations.get(rest)
            return str(found["name"]) if found else "partner"  # one word in Dutch and English
        return str(actor or "\u2013")

    def goal_path(self, goal_id: Any) -> list[Mapping[str, Any]]:
        """The goal and its ancestors, the programme line first."""
        path: list[Mapping[str, Any]] = []
        node = self.goals.get(str(goal_id))
        while node is not None and len(path) < 20:
            path.insert(0, node)
            node = self.goals.get(str(node.get("parent_id")))
        return path

    def line_of(self, goal_id: Any) -> str | None:
        """The id of the programme line (top node) a goal hangs under."""
        path = self.goal_path(goal_id)
        return str(path[0]["id"]) if path else None


def flatten(trees: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Every node of goal trees (each with `children`), parents before children."""
    out: list[Mapping[str, Any]] = []
    stack = list(reversed(list(trees)))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.get("children") or []))
    return out
