"""Settings of the registry; environment variables start with PROJECTS_."""

from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class ProjectsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROJECTS_", extra="ignore")

    service_name: str = "projects"
    port: int = 8001
