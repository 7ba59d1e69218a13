"""Settings of the notification service; environment variables start with NOTIFICATIONS_."""

from typing import Literal

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    service_name: str = "notifications"
    port: int = 8004
    # E-mail over SMTP.
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "koersmonitor@localhost"
    smtp_timeout_s: float = 10.0
    # Webhooks to partner systems.
    webhook_timeout_s: float = 10.0
    webhook_max_attempts: int = 5
    webhook_backoff_s: float = 30.0  # doubles after each failed attempt
    allow_http_webhooks: bool = False  # development only: plain http:// targets
    # The worker's loops.
    tick_interval_s: float = 60.0  # the clock-driven rules
    delivery_interval_s: float = 1.0
    digest_hour: int = 7  # local hour after which the daily digest goes out
