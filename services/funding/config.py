"""Settings of the funding service; environment variables start with FUNDING_."""

from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class FundingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FUNDING_", extra="ignore")

    service_name: str = "funding"
    port: int = 8003
    # Late data (ADR 30): the policy each transmission is sealed with and carries to the KPI
    # service. A report or revision for a period before a transmitted cut-off then needs a
    # reason (422 at `reason`), and finance is notified of it.
    late_data_reason_required: bool = True
    late_data_notify: bool = True
