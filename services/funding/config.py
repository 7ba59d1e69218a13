"""Settings of the funding service; environment variables start with FUNDING_."""

from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class FundingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FUNDING_", extra="ignore")

    service_name: str = "funding"
    port: int = 8003
