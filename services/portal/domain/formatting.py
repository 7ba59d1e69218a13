"""Numbers, money, dates and percentages the way each language writes them.

Dutch: 1.705 and € 12.500,00; English: 1,705 and €12,500.00. Values are exact decimals
from the services; they are only rounded here, for the eye.
"""

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

MISSING = "\u2013"  # an en dash: no value (never shown as 0)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")  # the services answer in UTC; staff read local time
MONTHS = {
    "nl": ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}


def _group(digits: str, separator: str) -> str:
    out: list[str] = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return separator.join(out)


def number(
    value: Decimal | int | float | str | None, language: str = "nl", places: int | None = None
) -> str:
    """1705 → "1.705" (nl) / "1,705" (en); decimals only where the value has them."""
    if value is None or value == "":
        return MISSING
    amount = Decimal(str(value))
    if places is None:
        places = 0 if amount == amount.to_integral_value() else _decimals(amount)
    quantised = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if quantised < 0 else ""
    whole, _, fraction = f"{abs(quantised):f}".partition(".")
    thousands, point = (".", ",") if language == "nl" else (",", ".")
    text = _group(whole, thousands)
    return f"{sign}{text}{point}{fraction}" if fraction else f"{sign}{text}"


def _decimals(amount: Decimal) -> int:
    exponent = amount.normalize().as_tuple().exponent
    return min(-exponent, 2) if isinstance(exponent, int) else 0


def money(value: Decimal | int | str | None, language: str = "nl") -> str:
    """€ 12.500,00 (nl) / €12,500.00 (en)."""
    if value is None or value == "":
        return MISSING
    text = number(value, language, places=2)
    return f"€ {text}" if language == "nl" else f"€{text}"


def percent(value: Decimal | float | str | None, language: str = "nl", places: int = 1) -> str:
    """113.7 → "113,7%" (nl) / "113.7%" (en)."""
    if value is None or value == "":
        return MISSING
    return number(Decimal(str(value)), language, places) + "%"


def share(value: Decimal | str | None, language: str = "nl") -> str:
    """A fraction as a percentage: 0.475 → "47,5%"."""
    if value is None or value == "":
        return MISSING
    return percent(Decimal(str(value)) * 100, language)


def day(value: date | datetime | str | None, language: str = "nl") -> str:
    """29 nov 2026 (nl) / 29 Nov 2026 (en); a point in time on its day in Amsterdam (a key
    revoked at 23:30 UTC on 31 December was revoked on 1 January there)."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, str):
        value = (
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            if "T" in value
            else date.fromisoformat(value)
        )
    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(AMSTERDAM)
    return f"{value.day} {MONTHS.get(language, MONTHS['en'])[value.month - 1]} {value.year}"


def moment(value: datetime | str | None, language: str = "nl") -> str:
    """A point in time as staff in Drenthe read it: 5 dec 2026 14:56 (Europe/Amsterdam)."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(AMSTERDAM)
    return f"{day(local, language)} {local:%H:%M}"


def change(value: Decimal | int | str | None, language: str = "nl") -> str:
    """A difference with its sign: +12 / \u221212 (a real minus sign, read aloud as minus)."""
    if value is None or value == "":
        return MISSING
    amount = Decimal(str(value))
    text = number(abs(amount), language)
    return f"+{text}" if amount > 0 else f"\u2212{text}" if amount < 0 else "0"
