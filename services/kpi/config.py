"""Settings of the KPI service; environment variables start with KPI_."""

from decimal import Decimal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.kpi.domain.plausibility import Thresholds
from services.kpi.domain.progress import Tolerances
from shared.config import ServiceSettings


class KpiSettings(ServiceSettings):
    @property
    def key_secret(self) -> bytes:
        secret = self.api_key_secret or self.jwt_secret
        return secret.get_secret_value().encode()

    @property
    def identifier_secret(self) -> bytes:
        """Keys the hashes of listed KvK numbers and participant identifiers. Set it once
        and keep it: the numbers are not stored, so hashes under another secret would not
        match (each enterprise would count again)."""
        secret = self.identifier_hash_secret or self.api_key_secret or self.jwt_secret
        return b"identifiers:" + secret.get_secret_value().encode()

    model_config = SettingsConfigDict(env_prefix="KPI_", extra="ignore")

    service_name: str = "kpi"
    port: int = 8002
    # Progress status: a shortfall within this share of the expected value is on track,
    # within the second at risk, beyond it off track.
    on_track_tolerance: Decimal = Decimal("0.15")
    at_risk_tolerance: Decimal = Decimal("0.30")
    # Periods lock by themselves this many days after they end (None: only by hand).
    lock_after_days: int | None = None
    # Plausibility (domain.plausibility): values are accepted but flagged when the total to
    # date exceeds this % of the target, or a value this many times the previous period's.
    # Each indicator may set its own (PUT /v1/indicators/{code}/plausibility).
    plausibility_target_percent: Decimal = Field(default=Decimal(200), gt=0)
    plausibility_jump_factor: Decimal = Field(default=Decimal(5), gt=0)

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(self.plausibility_target_percent, self.plausibility_jump_factor)

    @property
    def tolerances(self) -> Tolerances:
        return Tolerances(self.on_track_tolerance, self.at_risk_tolerance)

    batch_max_reports: int = Field(default=1000, le=5000)
    # Partner API keys: requests per minute per key and per address (429 beyond, with
    # Retry-After). Per instance: size them for the number of API replicas.
    # The secret partner API keys are hashed with (HMAC); the JWT secret when not set.
    # Changing it invalidates every issued key.
    api_key_secret: SecretStr | None = None
    identifier_hash_secret: SecretStr | None = None  # see identifier_secret
    requests_per_key_per_minute: int = 600
    requests_per_address_per_minute: int = 1200
