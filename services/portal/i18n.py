"""The portal's words in Dutch and English, and the names it shows for the services' codes.

The services speak in codes (`efro`, `submitted`, `on_track`, `national_government`); a
page never shows one. `label(category, code, language)` names each code; a code this table
does not know is shown as it is, so a new one is visible rather than hidden.
"""

from services.portal.domain.units import UNITS

TEXTS: dict[str, tuple[str, str]] = {
    "app": ("Koersmonitor", "Koersmonitor"),
    "overview": ("Programma-overzicht", "Programme overview"),
    "review": ("Beoordelen", "Review"),
    "upload": ("Rapportages uploaden", "Upload reports"),
    "exports": ("Exports", "Exports"),
    "notifications": ("Meldingen", "Notifications"),
    "admin": ("Beheer", "Administration"),
    "completeness": ("Volledigheid", "Completeness"),
    "sign_in": ("Inloggen", "Sign in"),
    "sign_out": ("Uitloggen", "Sign out"),
    "username": ("Gebruikersnaam", "Username"),
    "password": ("Wachtwoord", "Password"),
    "bad_login": ("Onbekende gebruiker of onjuist wachtwoord.", "Unknown user or wrong password."),
    "too_many": (
        "Te veel pogingen; probeer het over een minuut opnieuw.",
        "Too many attempts; try again in a minute.",
    ),
    "programme": ("Programma", "Programme"),
    "line": ("Programmalijn", "Programme line"),
    "all_lines": ("Alle programmalijnen", "All programme lines"),
    "all": ("Alle", "All"),
    "goal": ("Doel", "Goal"),
    "goals": ("Doelen", "Goals"),
    "money": ("Geld", "Money"),
    "fund": ("Fonds", "Fund"),
    "all_funds": ("Alle fondsen", "All funds"),
    "allocated": ("Toegekend budget", "Allocated"),
    "committed": ("Vastgelegd", "Committed"),
    "paid": ("Betaald", "Paid"),
    "outputs": ("Resultaten", "Outputs"),
    "indicator": ("Indicator", "Indicator"),
    "realised": ("Gerealiseerd", "Realised"),
    "submitted_value": ("Ingediend", "Submitted"),
    "approved": ("Goedgekeurd", "Approved"),
    "approved_only": ("Alleen goedgekeurde waarden", "Approved values only"),
    "target": ("Streefwaarde", "Target"),
    "status": ("Status", "Status"),
    "freshness": ("Gegevens bijgewerkt tot", "Data current to"),
    "projects": ("Projecten", "Projects"),
    "project": ("Project", "Project"),
    "partners": ("Partners", "Partners"),
    "partner": ("Partner", "Partner"),
    "kpis": ("Indicatoren", "KPIs"),
    "baseline": ("Nulmeting", "Baseline"),
    "reports": ("Rapportages", "Reports"),
    "period": ("Periode", "Period"),
    "periods": ("Perioden", "Periods"),
    "period_from": ("Vanaf periode", "From period"),
    "period_to": ("Tot en met periode", "To period"),
    "value": ("Waarde", "Value"),
    "unit": ("Eenheid", "Unit"),
    "version": ("Versie", "Version"),
    "versions": ("Versies", "Versions"),
    "comment": ("Toelichting", "Comment"),
    "financing": ("Financiering", "Financing"),
    "plan": ("Financieringsplan", "Financing plan"),
    "grants": ("Beschikkingen", "Grant decisions"),
    "payments": ("Betalingen", "Payments"),
    "cost_per_output": ("Kosten per resultaat", "Cost per output"),
    "per_unit": ("per eenheid", "per unit"),
    "approve": ("Goedkeuren", "Approve"),
    "return": ("Terugsturen", "Return"),
    "reason": ("Reden", "Reason"),
    "return_reason": ("Reden bij terugsturen", "Reason when returning"),
    "lock_period": ("Periode vergrendelen", "Lock period"),
    "lock_exception": ("Uitzondering op een vergrendeling", "Exception to a lock"),
    "grant_exception": ("Uitzondering verlenen", "Grant exception"),
    "queue_empty": ("Niets te beoordelen.", "Nothing to review."),
    "template": ("Sjabloon downloaden", "Download the template"),
    "template_for": ("Sjabloon voor project", "Template for project"),
    "file": ("Bestand (CSV of XLSX)", "File (CSV or XLSX)"),
    "check_file": ("Controleren", "Check"),
    "would_store": ("Wordt opgeslagen", "Would be stored"),
    "intake_outcome": ("Wordt", "Would be"),
    "store_these": ("Deze {n} rapportages opslaan", "Store these {n} reports"),
    "row": ("Rij", "Row"),
    "column": ("Kolom", "Column"),
    "problem": ("Probleem", "Problem"),
    "accepted_rows": ("rijen verwerkt", "rows accepted"),
    "rejected_rows": ("rijen afgewezen", "rows rejected"),
    "would_accept": ("rijen zouden worden verwerkt", "rows would be accepted"),
    "would_reject": ("rijen zouden worden afgewezen", "rows would be rejected"),
    "nothing_stored": (
        "Dit was een controle: er is niets opgeslagen.",
        "This was a check: nothing has been stored.",
    ),
    "file_rejected": ("Het bestand is afgewezen.", "The file was rejected."),
    "eu_report": ("EU-rapportage", "EU report"),
    "overview_export": ("Programma-overzicht", "Programme overview"),
    "cutoff": ("Peildatum", "Cut-off"),
    "format": ("Formaat", "Format"),
    "csv_standard": ("CSV (standaard, komma)", "CSV (standard, comma)"),
    "csv_dutch": ("CSV voor Nederlandse Excel (puntkomma)", "CSV for Dutch Excel (semicolon)"),
    "download": ("Downloaden", "Download"),
    "unread": ("ongelezen", "unread"),
    "mark_read": ("Gelezen", "Mark read"),
    "none": ("Geen.", "None."),
    "users": ("Gebruikers", "Users"),
    "roles": ("Rollen", "Roles"),
    "add_user": ("Gebruiker toevoegen", "Add user"),
    "api_keys": ("API-sleutels van partners", "Partner API keys"),
    "issue_key": ("Sleutel uitgeven", "Issue key"),
    "revoke": ("Intrekken", "Revoke"),
    "revoked": ("Ingetrokken", "Revoked"),
    "prefix": ("Begin van de sleutel", "Key prefix"),
    "key_once": (
        "Bewaar deze sleutel nu: hij wordt niet nog eens getoond.",
        "Store this key now: it is not shown again.",
    ),
    "organisation": ("Organisatie", "Organisation"),
    "name": ("Naam", "Name"),
    "forbidden": ("U heeft hier geen toegang toe.", "You may not see this page."),
    "not_found": (
        "Deze pagina of dit onderdeel bestaat niet.",
        "This page or item does not exist.",
    ),
    "bad_input": ("Dit kon niet worden verwerkt.", "This could not be processed."),
    "unavailable": (
        "Een onderdeel van Koersmonitor is even niet bereikbaar; probeer het later opnieuw.",
        "Part of Koersmonitor cannot be reached just now; try again later.",
    ),
    "error": ("Er ging iets mis", "Something went wrong"),
    "forbidden_heading": ("Geen toegang", "Not allowed"),
    "not_found_heading": ("Niet gevonden", "Not found"),
    "results_chain": ("Resultaatketen", "Results chain"),
    "outcomes": ("Effecten", "Outcomes"),
    "contribution": ("Bijdrage (geen toeschrijving)", "Contribution (not attribution)"),
    "language": ("English", "Nederlands"),
    "saved": ("Opgeslagen.", "Saved."),
    "organisations": ("Organisaties", "Organisations"),
    "waiting": ("gebeurtenissen in de wachtrij", "events waiting"),
    "active": ("Actief", "Active"),
    "yes": ("ja", "yes"),
    "no": ("nee", "no"),
    "deactivate": ("Uitschakelen", "Deactivate"),
    "activate": ("Inschakelen", "Activate"),
    "add_organisation": ("Organisatie toevoegen", "Add organisation"),
    "kind": ("Soort", "Kind"),
    "show": ("Tonen", "Show"),
    "filter": ("Filteren", "Filter"),
    "filters": ("Filters", "Filters"),
    "flagged_only": ("Alleen gemarkeerde", "Flagged only"),
    "flags": ("Signalen", "Flags"),
    "sort": ("Sorteren op", "Sort by"),
    "previous_period": ("Vorige periode", "Previous period"),
    "previous_version": ("Vorige versie", "Previous version"),
    "change": ("verschil", "change"),
    "running_total": ("Totaal t/m deze periode", "Total to this period"),
    "submitted_by": ("Ingediend door", "Submitted by"),
    "submitted_at": ("Ingediend op", "Submitted at"),
    "select": ("Selecteren", "Select"),
    "select_all": ("Alles selecteren", "Select all"),
    "selected_rows": ("Geselecteerde rapportages", "Selected reports"),
    "approve_selected": ("Selectie goedkeuren", "Approve selected"),
    "return_selected": ("Selectie terugsturen", "Return selected"),
    "nothing_selected": (
        "Selecteer eerst een of meer rapportages.",
        "Select one or more reports first.",
    ),
    "reason_needed": ("Geef een reden om terug te sturen.", "Give a reason to return."),
    "decided": ("beslist", "decided"),
    "page": ("Pagina", "Page"),
    "of": ("van", "of"),
    "previous": ("Vorige", "Previous"),
    "next": ("Volgende", "Next"),
    "shown": ("getoond", "shown"),
    "thread": ("Gesprek met de partner", "Conversation with the partner"),
    "thread_pending": (
        "Het gesprek per rapportage komt beschikbaar zodra de KPI-dienst het aanbiedt; "
        "redenen van terugsturen staan hieronder.",
        "The conversation per report becomes available once the KPI service offers it; "
        "reasons for returning are listed below.",
    ),
    "indicator_periods": ("Indicatoren per periode", "Indicators per period"),
    "cumulative": ("Cumulatief", "Cumulative"),
    "breadcrumbs": ("Kruimelpad", "Breadcrumbs"),
    "projects_behind": ("Projecten achter deze resultaten", "Projects behind these outputs"),
    "due": ("verwacht", "due"),
    "overdue": ("te laat", "overdue"),
    "not_yet_due": ("nog niet verwacht", "not yet due"),
    "missing_reports": ("Ontbrekende rapportages", "Missing reports"),
    "due_on": ("Uiterlijk", "Due on"),
    "send_reminder": ("Herinnering sturen", "Send reminder"),
    "reminder_pending": (
        "Herinneringen gaan via de meldingendienst, die daar nog geen opdracht voor heeft; "
        "te late rapportages worden daar al automatisch gemeld.",
        "Reminders go through the notifications service, which has no command for them yet; "
        "overdue reports are already notified from there automatically.",
    ),
    "all_reported": ("Alles is gerapporteerd.", "Everything has been reported."),
    "quarter": ("Kwartaal", "Quarter"),
    "chart_table": ("De cijfers van de grafiek", "The chart's figures"),
    "target_trajectory": ("doeltraject", "target trajectory"),
    "subscriptions": ("Mijn abonnementen", "My subscriptions"),
    "rule": ("Regel", "Rule"),
    "channel": ("Kanaal", "Channel"),
    "subscriptions_admin_only": (
        "Uw abonnementen zijn nu niet op te vragen; probeer het later opnieuw.",
        "Your subscriptions cannot be read just now; try again later.",
    ),
    "nothing_to_remind": (
        "Selecteer eerst een of meer ontbrekende rapportages.",
        "Select one or more missing reports first.",
    ),
    "reminders_sent": (
        "Herinneringen verstuurd: {sent}; vandaag al eerder herinnerd: {already}.",
        "Reminders sent: {sent}; reminded earlier today: {already}.",
    ),
    "home": ("Start", "Home"),
    "skip": ("Naar de inhoud", "Skip to content"),
    "menu": ("Hoofdmenu", "Main menu"),
    "today": ("vandaag", "today"),
    "export_help": (
        "Een CSV voor Nederlandse Excel opent met een dubbelklik (puntkomma, decimale komma); "
        "de standaard-CSV is voor andere programma's; XLSX houdt getallen, bedragen en "
        "percentages als getal.",
        "A CSV for Dutch Excel opens with a double click (semicolon, decimal comma); the "
        "standard CSV is for other programs; XLSX keeps numbers, amounts and percentages as "
        "numbers.",
    ),
    "export_filters_hint": (
        "Perioden, programmalijn en fonds kiest u op het programma-overzicht; de export daar "
        "volgt uw filters.",
        "Choose periods, programme line and fund on the programme overview; the export there "
        "follows your filters.",
    ),
    "upload_help": (
        "Kies een project voor een sjabloon met een geldige voorbeeldrij per indicator. "
        "Getallen schrijft u zoals in het Nederlands (1.705 of 12,5) als de portal in het "
        "Nederlands staat.",
        "Choose a project for a template with a valid sample row per indicator. Write numbers "
        "the English way (1,705 or 12.5) while the portal is in English.",
    ),
    "choose": ("Kiezen", "Choose"),
    "any": ("(alle)", "(any)"),
    "latest": ("de laatste", "the latest"),
    "latest_cutoff": ("Laatste EU-peildatum", "Latest EU cut-off"),
    "export_this": ("Dit overzicht exporteren", "Export this overview"),
    "no_chart": ("Nog geen cijfers om te tekenen.", "No figures to draw yet."),
    "line_of": ("Programmalijn", "Programme line"),
    "decisions_saved": ("Opgeslagen: {n} beslist.", "Saved: {n} decided."),
    "lock_saved": ("Periode vergrendeld.", "Period locked."),
    "exception_saved": ("Uitzondering verleend.", "Exception granted."),
    "reports_waiting": ("rapportages wachten op een besluit", "reports await a decision"),
    "flagged_count": ("met een signaal", "flagged"),
    "open_thread": ("Versies en gesprek", "Versions and conversation"),
    "comment_needed": ("Schrijf eerst een reactie.", "Write a comment first."),
    "add_comment": ("Reactie toevoegen", "Add a comment"),
    "your_comment": ("Uw reactie aan de partner", "Your comment to the partner"),
    "comment_saved": ("Reactie geplaatst.", "Comment posted."),
    "comment_sent": ("reageerde", "wrote"),
    "returned_with": ("stuurde terug", "returned"),
    "staff": ("programmastaf", "programme staff"),
    "pending_reports": ("wachtend op besluit", "awaiting decision"),
    "flagged_reports": ("met signaal", "flagged"),
    "implausible": ("Onwaarschijnlijke waarde: controleer", "Implausible value: check"),
    "reviewed_by": ("Beoordeeld door", "Reviewed by"),
    "revision_reason": ("Reden van wijziging", "Reason for the revision"),
    "state": ("Stand", "State"),
    "reminder_sent": ("Herinnering verstuurd.", "Reminder sent."),
    "sort_oldest": ("oudste eerst", "oldest first"),
    "sort_newest": ("nieuwste eerst", "newest first"),
    "sort_flagged": ("signalen eerst", "flagged first"),
    "read_all": ("Alles gelezen", "Mark all read"),
    "save": ("Opslaan", "Save"),
    "kpi_periods_for": ("Per periode", "Per period"),
    "download_template": ("Sjabloon downloaden", "Download the template"),
    "no_project": ("(alleen de kolommen)", "(columns only)"),
    "exception_hint": (
        "Een vergrendelde periode staat geen nieuwe rapportages meer toe; een uitzondering "
        "laat één project die periode nog bijwerken.",
        "A locked period accepts no more reports; an exception lets one project still "
        "update that period.",
    ),
    "per_page": ("per pagina", "per page"),
    "as_of": ("stand per", "as of"),
    "export_follows": (
        "De export volgt de gekozen filters.",
        "The export follows the filters chosen.",
    ),
    # EU transmissions (ADR 30)
    "transmissions": ("EU-verzendingen", "EU transmissions"),
    "transmissions_of": ("Verzendingen van de EU-rapportage", "Transmissions of the EU report"),
    "transmissions_help": (
        "Een verzending legt de EU-rapportage van een fonds op een peildatum vast zoals ze is "
        "verstuurd: cijfers, rapportageversies, definities en regels. Ze blijft zo, tot op "
        "de byte; een latere wijziging ziet u in de vergelijking met vandaag.",
        "A transmission seals a fund's EU report at a cut-off as it was sent: figures, report "
        "versions, definitions and rules. It stays so, byte for byte; a later change shows in "
        "the comparison with today.",
    ),
    "transmit_new": ("Nieuwe verzending", "New transmission"),
    "transmit": ("Verzenden en verzegelen", "Transmit and seal"),
    "other_date": ("andere datum (met reden)", "another date (with a reason)"),
    "other_date_label": ("Andere datum (jjjj-mm-dd)", "Another date (yyyy-mm-dd)"),
    "correction_of": ("Correctie van verzending", "Correction of transmission"),
    "no_correction": (
        "geen: eerste verzending van deze peildatum",
        "none: the first of this cut-off",
    ),
    "transmit_reason_hint": (
        "Nodig bij een andere datum dan 31 januari of 31 juli, en bij een correctie.",
        "Needed for a date other than 31 January or 31 July, and for a correction.",
    ),
    "finance_only": (
        "Alleen een financieel medewerker kan verzenden.",
        "Only a finance officer can transmit.",
    ),
    "transmission": ("Verzending", "Transmission"),
    "number": ("Nummer", "Number"),
    "sealed_by": ("Verzegeld door", "Sealed by"),
    "sealed_at": ("Verzegeld op", "Sealed at"),
    "corrects": ("Corrigeert verzending", "Corrects transmission"),
    "open_transmission": ("Openen", "Open"),
    "compare_today": ("Vergelijken met vandaag", "Compare with today"),
    "changes_since": ("Wat is er sindsdien veranderd", "What has changed since"),
    "figures_changed": ("Gewijzigde cijfers", "Figures that changed"),
    "no_figures_changed": ("Geen cijfer is veranderd.", "No figure has changed."),
    "versions_behind": ("Rapportages achter de wijzigingen", "Report versions behind the changes"),
    "no_versions_changed": ("Geen nieuwe rapportage of beoordeling.", "No new report or review."),
    "transmitted_value": ("Verzonden", "Transmitted"),
    "today_value": ("Vandaag", "Today"),
    "counted_then": ("Toen geteld", "Counted then"),
    "actor": ("Door", "By"),
    "when": ("Wanneer", "When"),
    "what": ("Wat", "What"),
    "restatements_flagged": ("Gemelde herzieningen", "Restatements flagged"),
    "restatements_carried": ("Meegenomen herzieningen", "Restatements carried"),
    "previous_value": ("Vorige waarde", "Previous value"),
    "definitions_used": ("Gebruikte indicatordefinities", "Indicator definitions used"),
    "in_force_from": ("Geldig vanaf", "In force from"),
    "methodology": ("Methodiek", "Methodology"),
    "not_announced": ("onbekend (nog niet gemeld)", "unknown (not announced yet)"),
    "digests": ("Controlegetallen (SHA-256)", "Digests (SHA-256)"),
    "eu_figures": ("EU-indicatoren", "EU indicators"),
    "eu_code": ("EU-code", "EU code"),
    "counted_once_note": (
        "elk bedrijf één keer geteld; zoals gerapporteerd",
        "each enterprise counted once; as reported",
    ),
    "more_than_one_project": ("in meer dan één project", "in more than one project"),
    "none_transmitted": ("Nog niets verzonden.", "Nothing transmitted yet."),
    "transmitted_as": (
        "Verzonden en verzegeld: verzending",
        "Transmitted and sealed: transmission",
    ),
    "transmit_date_needed": (
        "Kies een peildatum of vul een andere datum in (jjjj-mm-dd).",
        "Choose a cut-off or fill in another date (yyyy-mm-dd).",
    ),
    "reason_too_long": (
        "De reden mag hoogstens 2000 tekens hebben.",
        "The reason may have at most 2000 characters.",
    ),
    "definition_change": ("Soort wijziging", "Kind of change"),
    "figure": ("Cijfer", "Figure"),
    "back_to_transmissions": ("Terug naar de verzendingen", "Back to the transmissions"),
}

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
