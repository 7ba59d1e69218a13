"""Settings of the staff portal; environment variables start with PORTAL_."""

from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class PortalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore")

    service_name: str = "portal"
    port: int = 8000
    # The services' APIs (the portal never reads their databases).
    projects_url: str = "http://127.0.0.1:8001"
    kpi_url: str = "http://127.0.0.1:8002"
    funding_url: str = "http://127.0.0.1:8003"
    notifications_url: str = "http://127.0.0.1:8004"
    service_timeout_s: float = 15.0
    session_minutes: int = 480  # a session ends this long after sign-in
    secure_cookies: bool = True  # off only on a developer's machine (plain http)
    login_attempts_per_minute: int = 10
