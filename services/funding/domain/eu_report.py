"""The EU report per fund: money of the co-financed projects and their common indicators.

Indicator values go to the Commission twice a year, with the data transmissions due on
31 January and 31 July (reference/eu_cofinancing_notes.md §5); a report can be drawn as
of any date, and says whether that date is one of those cut-offs.
"""

from datetime import date

CUTOFFS = ((1, 31), (7, 31))


def is_cutoff(day: date) -> bool:
    return (day.month, day.day) in CUTOFFS


def latest_cutoff(today: date) -> date:
    """The most recent indicator cut-off on or before `today`."""
    candidates = [date(year, m, d) for year in (today.year - 1, today.year) for m, d in CUTOFFS]
    return max(c for c in candidates if c <= today)
