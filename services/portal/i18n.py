"""The portal's words in Dutch and English, and the names it shows for the services' codes.

The services speak in codes (`efro`, `submitted`, `on_track`, `national_government`); a
page never shows one. `label(category, code, language)` names each code; a code this table
does not know is shown as it is, so a new one is visible rather than hidden.
"""

from services.portal.domain.units import UNITS
from services.portal.texts import TEXTS

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "unit": UNITS,
    "fund": {
        "efro": ("EFRO", "ERDF (EFRO)"),
        "jtf": ("JTF", "JTF"),
        "province": ("provincie", "province"),
        "municipality": ("gemeente", "municipality"),
        "national": ("Rijk", "national government"),
        "private": ("private middelen", "private"),
        "other": ("overig", "other"),
    },
    "report_state": {
        "submitted": ("ingediend", "submitted"),
        "approved": ("goedgekeurd", "approved"),
        "returned": ("teruggestuurd", "returned"),
    },
    "project_status": {
        "draft": ("concept", "draft"),
        "submitted": ("aangevraagd", "applied for"),
        "approved": ("goedgekeurd", "approved"),
        "running": ("lopend", "running"),
        "closed": ("afgesloten", "closed"),
        "rejected": ("afgewezen", "rejected"),
        "withdrawn": ("ingetrokken", "withdrawn"),
    },
    "status": {
        "on_track": ("op koers", "on track"),
        "at_risk": ("risico", "at risk"),
        "off_track": ("achter", "off track"),
    },
    "organisation_kind": {
        "company": ("bedrijf", "company"),
        "municipality": ("gemeente", "municipality"),
        "province": ("provincie", "province"),
        "national_government": ("Rijksoverheid", "national government"),
        "knowledge_institution": ("kennisinstelling", "knowledge institution"),
        "school": ("onderwijsinstelling", "school"),
        "foundation_association": ("stichting of vereniging", "foundation or association"),
        "other": ("overig", "other"),
    },
    "member_role": {
        "lead": ("penvoerder", "lead partner"),
        "partner": ("partner", "partner"),
        "co_financier": ("cofinancier", "co-financier"),
        "advisor": ("adviseur", "advisor"),
    },
    "role": {
        "viewer": ("kijker", "viewer"),
        "programme_manager": ("programmamanager", "programme manager"),
        "finance_officer": ("financieel medewerker", "finance officer"),
        "admin": ("beheerder", "administrator"),
    },
    "payment_kind": {
        "advance": ("voorschot", "advance"),
        "interim": ("tussentijdse betaling", "interim payment"),
        "final": ("eindbetaling", "final payment"),
        "recovery": ("terugvordering", "recovery"),
    },
    "intake_outcome": {
        "submitted": ("nieuw", "new"),
        "revised": ("een herziening", "a revision"),
        "unchanged": ("ongewijzigd (al zo opgeslagen)", "unchanged (stored as it is)"),
    },
    "flag": {
        "above_target": ("ver boven de streefwaarde", "far above target"),
        "jump": ("sprong t.o.v. vorige periode", "jump from the previous period"),
    },
    "goal_kind": {
        "programme_line": ("programmalijn", "programme line"),
        "guiding_line": ("richtinggevende lijn", "guiding line"),
        "spearhead": ("speerpunt", "spearhead"),
        "foundation_theme": ("fundament", "foundation theme"),
        "goal": ("doel", "goal"),
        "sub_goal": ("subdoel", "sub-goal"),
    },
    "link_kind": {
        "quantitative": ("kwantitatief verband", "quantitative link"),
        "qualitative": ("kwalitatief verband", "qualitative link"),
    },
    "kind": {
        "flow": ("stroom (telt op)", "flow (adds up)"),
        "stock": ("stand", "stock"),
        "ratio": ("verhouding", "ratio"),
        "qualitative": ("tekst", "text"),
    },
    "channel": {
        "in_app": ("in de portal", "in the portal"),
        "email": ("e-mail", "e-mail"),
        "webhook": ("webhook", "webhook"),
    },
    "rule": {
        "report_due": ("Rapportage binnenkort verwacht", "Report due soon"),
        "report_overdue": ("Rapportage te laat", "Report overdue"),
        "progress_slipped": ("Voortgang achter of in gevaar", "Progress slipped"),
        "report_returned": ("Rapportage teruggestuurd", "Report returned"),
        "report_revised_after_approval": (
            "Goedgekeurde rapportage gewijzigd",
            "Report revised after approval",
        ),
        "plan_out_of_bounds": ("Financieringsplan buiten de regels", "Plan out of bounds"),
        "payment_made": ("Betaling gedaan", "Payment made"),
        "budget_nearly_committed": ("Budget bijna vastgelegd", "Budget nearly committed"),
        "eu_cutoff_approaching": ("EU-peildatum nadert", "EU cut-off approaching"),
        "restatement_flagged": (
            "Verzonden EU-rapportage herzien door een latere rapportage",
            "EU transmission restated by a later report",
        ),
        "transmission_sealed": (
            "EU-rapportage verzonden en verzegeld",
            "EU report transmitted and sealed",
        ),
        "dead_letter": ("Gebeurtenis niet verwerkt", "Event not processed"),
    },
    "change_kind": {
        "late_report": ("late rapportage", "late report"),
        "revision": ("herziening", "revision"),
        "revision_after_approval": ("herziening na goedkeuring", "revision after approval"),
        "approval": ("goedkeuring", "approval"),
        "return": ("teruggestuurd", "returned"),
        "resubmission": ("opnieuw ingediend", "submitted again"),
    },
    "diff_scope": {
        "project": ("project", "project"),
        "indicator": ("EU-indicator", "EU indicator"),
        "output": ("projectresultaat", "project output"),
    },
    "diff_field": {
        "eligible_costs": ("subsidiabele kosten", "eligible costs"),
        "eu_planned": ("EU gepland", "EU planned"),
        "eu_committed": ("EU vastgelegd", "EU committed"),
        "eu_paid": ("EU betaald", "EU paid"),
        "value": ("waarde", "value"),
        "projects": ("projecten", "projects"),
        "pending_reports": ("wachtend op beoordeling", "awaiting review"),
        "pending_value": ("waarde wachtend op beoordeling", "value awaiting review"),
        "approved": ("goedgekeurd", "approved"),
    },
    "definition_change": {
        "first": ("eerste", "first"),
        "edit": ("tekstwijziging", "edited"),
        "conversion": ("omgerekend", "converted"),
        "break": ("breuk in de reeks", "break in series"),
    },
    "due": {
        "due": ("verwacht", "due"),
        "overdue": ("te laat", "overdue"),
    },
    "field": {
        "project": ("project", "project"),
        "indicator": ("indicator", "indicator"),
        "period": ("periode", "period"),
        "value": ("waarde", "value"),
        "comment": ("toelichting", "comment"),
        "numerator": ("teller", "numerator"),
        "denominator": ("noemer", "denominator"),
        "name": ("naam", "name"),
        "kind": ("soort", "kind"),
        "kvk_number": ("KvK-nummer", "Chamber of Commerce number"),
        "reason": ("reden", "reason"),
        "decision": ("besluit", "decision"),
        "programme_id": ("programma", "programme"),
        "project_id": ("project", "project"),
        "organisation_id": ("organisatie", "organisation"),
        "username": ("gebruikersnaam", "username"),
        "password": ("wachtwoord", "password"),
        "roles": ("rollen", "roles"),
        "file": ("bestand", "file"),
        "as_of": ("peildatum", "cut-off"),
        "disaggregation": ("uitsplitsing", "disaggregation"),
    },
}


def translate(key: str, language: str) -> str:
    nl, en = TEXTS.get(key, (key, key))
    return nl if language == "nl" else en


def counted(key: str, count: object, language: str) -> str:
    """The words after a number: `key_one` after exactly one ("1 rij zou worden verwerkt",
    not "1 rijen"), `key` after any other number; both languages count so."""
    one = f"{key}_one"
    return translate(one if str(count) == "1" and one in TEXTS else key, language)


def label(category: str, code: object, language: str) -> str:
    """The name of a service's code in the language; an unknown code as it is."""
    if code is None or code == "":
        return "\u2013"
    if category == "flag" and str(code).startswith(RESTATES):
        return _restates(str(code)[len(RESTATES) :], language)
    names = LABELS.get(category, {}).get(str(code))
    if names is None:
        return str(code)
    return names[0] if language == "nl" else names[1]


RESTATES = "restates:"  # the flag of a report version for a transmitted period (ADR 30)


def _restates(transmission: str, language: str) -> str:
    """``efro-3`` as "herziet verzending 3 (EFRO)" / "restates transmission 3 (ERDF)"."""
    fund, _, number = transmission.rpartition("-")
    if not fund or not number.isdigit():
        return transmission
    name = LABELS["fund"].get(fund, (fund.upper(), fund.upper()))
    if language == "nl":
        return f"herziet verzending {number} ({name[0]})"
    return f"restates transmission {number} ({name[1].split(' (')[0]})"


def known(category: str) -> list[str]:
    """The codes of a category in the table's order (e.g. the organisation kinds of a form)."""
    return list(LABELS[category])
