"""The portal's only way to programme data: the services' REST APIs, called as the signed-in
user (a short-lived token with the user's roles), so every service checks its own rules."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from services.portal.config import PortalSettings
from shared.auth import Role, TokenService

SERVICES = ("projects", "kpi", "funding", "notifications")


class ServiceError(Exception):
    """A service refused or failed; `detail` is what it said (shown to the user)."""

    def __init__(self, service: str, status: int, detail: Any) -> None:
        super().__init__(f"{service} answered {status}: {detail}")
        self.service, self.status, self.detail = service, status, detail


@dataclass
class Services:
    """One user's view of the services for one page."""

    client: httpx.AsyncClient
    urls: dict[str, str]
    token: str

    async def call(self, method: str, service: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self.client.request(
                method,
                self.urls[service] + path,
                headers={"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})},
                **kwargs,
            )
        except httpx.HTTPError as exc:
            raise ServiceError(
                service, 503, f"{service} is unreachable ({type(exc).__name__})"
            ) from exc
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ServiceError(service, response.status_code, detail)
        return response

    async def get(self, service: str, path: str, **params: Any) -> Any:
        return (await self.call("GET", service, path, params=params)).json()

    async def send(self, method: str, service: str, path: str, body: Any = None) -> Any:
        response = await self.call(method, service, path, json=body)
        return response.json() if response.content else None


def services_for(
    settings: PortalSettings, client: httpx.AsyncClient, username: str, roles: list[str]
) -> Services:
    tokens = TokenService(settings.jwt_secret.get_secret_value(), settings.jwt_issuer)
    token = tokens.mint(username, [Role(r) for r in roles], ttl=timedelta(minutes=5))
    urls = {
        "projects": settings.projects_url.rstrip("/"),
        "kpi": settings.kpi_url.rstrip("/"),
        "funding": settings.funding_url.rstrip("/"),
        "notifications": settings.notifications_url.rstrip("/"),
    }
    return Services(client, urls, token)
