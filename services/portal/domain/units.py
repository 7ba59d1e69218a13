"""The names of the units indicators are counted in, in Dutch and English.

The KPI catalogue keeps one unit per indicator, in English (the EU common indicators'
own words, and the programme's): a Dutch page shows "deelnemers", not "participants".
A unit not listed here is shown as it is (symbols such as %, km and MW need no words).
"""

UNITS: dict[str, tuple[str, str]] = {  # unit: (Dutch, English)
    # the programme's own indicators
    "FTE": ("fte", "FTE"),
    "companies": ("bedrijven", "companies"),
    "conversations": ("gesprekken", "conversations"),
    "entrepreneurs": ("ondernemers", "entrepreneurs"),
    "meetings": ("bijeenkomsten", "meetings"),
    "parties": ("partijen", "parties"),
    "partnerships": ("samenwerkingen", "partnerships"),
    "persons": ("personen", "persons"),
    "projects": ("projecten", "projects"),
    "text": ("tekst", "text"),
    # the EU common indicators (reference/eu_common_indicators.csv)
    "MWh/year": ("MWh/jaar", "MWh/year"),
    "annual FTEs": ("fte per jaar", "annual FTEs"),
    "cities and towns": ("steden en dorpen", "cities and towns"),
    "co-generation units": ("warmtekrachtinstallaties", "co-generation units"),
    "contributions to strategies": ("bijdragen aan strategieën", "contributions to strategies"),
    "cubic metres per year": ("kubieke meter per jaar", "cubic metres per year"),
    "cultural and tourism sites": (
        "culturele en toeristische locaties",
        "cultural and tourism sites",
    ),
    "dwellings": ("woningen", "dwellings"),
    "end users/year": ("eindgebruikers/jaar", "end users/year"),
    "enterprises": ("ondernemingen", "enterprises"),
    "enterprises/year": ("ondernemingen/jaar", "enterprises/year"),
    "euro": ("euro", "euro"),
    "events": ("evenementen", "events"),
    "hectares": ("hectare", "hectares"),
    "intermodal connections": ("intermodale verbindingen", "intermodal connections"),
    "joint strategy/action plan": (
        "gezamenlijke strategie/actieplan",
        "joint strategy/action plan",
    ),
    "legal or administrative agreement": (
        "juridische of bestuurlijke overeenkomst",
        "legal or administrative agreement",
    ),
    "legal or administrative obstacles": (
        "juridische of bestuurlijke belemmeringen",
        "legal or administrative obstacles",
    ),
    "man-days/year": ("mensdagen/jaar", "man-days/year"),
    "organisations": ("organisaties", "organisations"),
    "participants": ("deelnemers", "participants"),
    "participations": ("deelnames", "participations"),
    "participations of institutional stakeholders": (
        "deelnames van institutionele belanghebbenden",
        "participations of institutional stakeholders",
    ),
    "participations of stakeholders": (
        "deelnames van belanghebbenden",
        "participations of stakeholders",
    ),
    "passenger-km/year": ("reizigerskilometers/jaar", "passenger-km/year"),
    "passengers": ("reizigers", "passengers"),
    "patent applications": ("octrooiaanvragen", "patent applications"),
    "persons/year": ("personen/jaar", "persons/year"),
    "pilot actions": ("proefprojecten", "pilot actions"),
    "population equivalent": ("inwonerequivalenten", "population equivalent"),
    "public institutions": ("publieke instellingen", "public institutions"),
    "publications": ("publicaties", "publications"),
    "refuelling/recharging points": ("tank- en laadpunten", "refuelling/recharging points"),
    "renewable energy communities": (
        "energiegemeenschappen voor hernieuwbare energie",
        "renewable energy communities",
    ),
    "research institutions": ("onderzoeksinstellingen", "research institutions"),
    "solutions": ("oplossingen", "solutions"),
    "square meters": ("vierkante meter", "square metres"),
    "square metres": ("vierkante meter", "square metres"),
    "stations and stops": ("stations en haltes", "stations and stops"),
    "strategies": ("strategieën", "strategies"),
    "strategy/action plan": ("strategie/actieplan", "strategy/action plan"),
    "system components": ("systeemonderdelen", "system components"),
    "tonnes CO2 eq./year": ("ton CO2-equivalent/jaar", "tonnes CO2 eq./year"),
    "tonnes-km/year": ("tonkilometers/jaar", "tonnes-km/year"),
    "tonnes/year": ("ton/jaar", "tonnes/year"),
    "trademark and design applications": (
        "merk- en modelaanvragen",
        "trademark and design applications",
    ),
    "users/year": ("gebruikers/jaar", "users/year"),
    "visitors/year": ("bezoekers/jaar", "visitors/year"),
}
