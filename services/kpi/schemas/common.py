"""What every KPI schema shares: the field types, the input base, a page, freshness."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

T = TypeVar("T")

Number = Annotated[Decimal, Field(max_digits=19, decimal_places=6, allow_inf_nan=False)]
PositiveNumber = Annotated[
    Decimal, Field(gt=0, max_digits=12, decimal_places=2, allow_inf_nan=False)
]
Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
    ),
]
PeriodText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=7)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    data: list[T]
    count: int
    limit: int
    offset: int


class Freshness(BaseModel):
    """How current the totals are, from figures at most a second old (ADR 0028)."""

    last_event_processed_at: datetime | None = Field(
        description="when this service last applied an event"
    )
    events_waiting: int | None = Field(
        description="accepted and not yet in the totals: the outbox backlog plus the lag of the "
        "aggregation (kpi.events.v1) and registry replica (projects.events.v1); none if the "
        "broker is away"
    )
    caught_up: bool = Field(
        description="everything accepted here, and every registry change published, is in the "
        "totals (false when it cannot be told: broker away)"
    )
    newest_applied_accepted_at: datetime | None = Field(
        description="when the newest event in the totals was accepted (to the millisecond)"
    )
    outbox_backlog: int = Field(description="accepted events not yet published")
    consumer_lag: int | None = Field(
        description="published events the two groups have not yet applied (produced marks "
        "minus committed offsets); none if the broker is away"
    )
    as_of: datetime = Field(description="when these figures were read")
