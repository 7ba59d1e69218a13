"""Settings of the KPI service; environment variables start with KPI_."""

from decimal import Decimal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class KpiSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KPI_", extra="ignore")

    service_name: str = "kpi"
    port: int = 8002
    # Progress status: a shortfall within this share of the expected value is on track,
    # within the second at risk, beyond it off track.
    on_track_tolerance: Decimal = Decimal("0.15")
    at_risk_tolerance: Decimal = Decimal("0.30")
    # Periods lock by themselves this many days after they end (None: only by hand).
    lock_after_days: int | None = None
    batch_max_reports: int = Field(default=1000, le=5000)
    # Partner API keys: requests per minute per key and per address (429 beyond, with
    # Retry-After). Per instance: size them for the number of API replicas.
    requests_per_key_per_minute: int = 600
    requests_per_address_per_minute: int = 1200
