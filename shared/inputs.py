"""Field types every service's input schemas share, so that a kind of input is read the same
way at every edge and the OpenAPI schema says exactly what is accepted.

- `IsoDate`: a calendar date written as an ISO string (`2024-03-31`) and nothing else.
  Pydantic on its own also takes a number (`0` became 1970-01-01), a numeric string (read as a
  Unix timestamp) or a date-time; none of those is a date a partner or member of staff means.
  Years lie between `MIN_YEAR` and `MAX_YEAR`: date arithmetic (the day after, the quarter
  after) near year 1 or 9999 overflows, and no programme reports that far away.
- `Omittable[T]`: a field of a partial update (PATCH) that may be left out — keeping what is
  stored — but not sent as null. The schema shows it as not nullable, and a null is a 422
  naming the field, where it used to reach a NOT NULL column and answer 500. A field for
  which null has a meaning (clearing it) is declared `T | None` instead.
"""

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, Union

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

# Where they were first declared; the bounds live in a pure module the domain can import.
from shared.years import MAX_YEAR as MAX_YEAR
from shared.years import MIN_YEAR as MIN_YEAR

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

T = TypeVar("T")


def parse_iso_date(value: object) -> date:
    """An ISO date string (or a `date` built in code) as a date; anything else is refused."""
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise _date_error("no such day in the calendar") from None
    else:
        raise _date_error("a date is a string like 2024-03-31")
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise _date_error(f"the year must lie between {MIN_YEAR} and {MAX_YEAR}")
    return day


def _date_error(reason: str) -> PydanticCustomError:
    return PydanticCustomError("date_format", "{reason}", {"reason": reason})


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError(
            "null_refused", "may not be null: leave the field out to keep its value"
        )
    return value


def _without_default(schema: dict[str, Any]) -> None:
    """The stored value, not null, is what an omitted field keeps: no default to document."""
    schema.pop("default", None)


IsoDate = Annotated[date, BeforeValidator(parse_iso_date)]

if TYPE_CHECKING:
    # To the type checker an omitted field is None, which the code reads as "keep it".
    Omittable = Union[T, None]  # noqa: UP007 - a generic alias needs the subscriptable form
else:

    class Omittable:
        """To pydantic, `Omittable[T]` is T itself (so the schema is not nullable and a wrong
        value's error names the field alone), with null refused by name and no default."""

        def __class_getitem__(cls, item: Any) -> Any:
            return Annotated[
                item,
                BeforeValidator(_refuse_null),
                Field(json_schema_extra=_without_default),
            ]
