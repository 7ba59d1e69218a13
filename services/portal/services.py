"""The portal's use cases: sign-in and sessions, users, and each page's data gathered from
the services (as the signed-in user) into the view models."""

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.clients import ServiceError, Services
from services.portal.domain import views
from services.portal.domain.charts import Series, line_chart
from services.portal.domain.formatting import number
from services.portal.models import User, WebSession
from services.portal.security import hash_password, new_token, token_hash, verify_password
from shared.db import advisory_locks, utcnow
from shared.sqlite import WRITE_INTENT

ROLES = ("viewer", "programme_manager", "finance_officer", "admin")
ORGANISATION_KINDS = (
    "company",
    "municipality",
    "province",
    "national_government",
    "knowledge_institution",
    "school",
    "foundation_association",
    "other",
)


@dataclass(frozen=True)
class SignedIn:
    username: str
    roles: list[str]
    language: str
    csrf: str

    def has(self, *roles: str) -> bool:
        return "admin" in self.roles or any(r in self.roles for r in roles)


# --- users and sessions ---------------------------------------------------------------------

# Staff users change under this lock (ADR 24), and every writing request checks its session
# under it: a user switched off while a request of theirs is under way is switched off after
# it, and none of their requests starts working afterwards. On PostgreSQL the portal's writing
# requests then follow one another, as they do on SQLite (its one write lock); staff clicks
# are few.
STAFF_LOCK = "portal.staff"


def _writes(session: AsyncSession) -> bool:
    """Whether `session` is a writing request's (bound to `shared.db.writing(engine)`)."""
    bind = session.bind
    return isinstance(bind, AsyncEngine) and bool(
        bind.get_execution_options().get(WRITE_INTENT, False)
    )


async def _lock_staff(session: AsyncSession) -> None:
    """Hold STAFF_LOCK to the end of the transaction; on SQLite a writing session holds the
    write lock from its first read already."""
    if session.get_bind().dialect.name != "sqlite":
        await advisory_locks(session, [STAFF_LOCK], shared=False)


async def sign_in(
    session: AsyncSession, username: str, password: str, minutes: int
) -> tuple[str, SignedIn] | None:
    user = (await session.exec(select(User).where(User.username == username))).first()
    if user is None or not user.active or not verify_password(user.password_hash, password):
        return None
    await _lock_staff(session)  # not switched off since the password was checked
    await session.refresh(user)
    if not user.active:
        return None
    await session.exec(delete(WebSession).where(col(WebSession.expires_at) < utcnow()))
    token = new_token()
    row = WebSession(
        token_hash=token_hash(token),
        username=user.username,
        csrf_token=new_token(),
        expires_at=utcnow() + timedelta(minutes=minutes),
    )
    session.add(row)
    await session.commit()
    return token, SignedIn(user.username, user.roles, user.language, row.csrf_token)


async def signed_in(session: AsyncSession, token: str | None) -> SignedIn | None:
    """The user of a live session who is active, read in one statement; a writing request
    checks it under STAFF_LOCK, which it holds until it ends. Expired sessions are removed at
    the next sign-in (a reading request writes nothing)."""
    if not token:
        return None
    if _writes(session):
        await _lock_staff(session)
    found = (
        await session.exec(
            select(WebSession, User)
            .join(User, col(User.username) == col(WebSession.username))
            .where(WebSession.token_hash == token_hash(token))
        )
    ).first()
    if found is None:
        return None
    row, user = found
    expires = (
        row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=utcnow().tzinfo)
    )
    if expires < utcnow() or not user.active:
        return None
    return SignedIn(user.username, user.roles, user.language, row.csrf_token)


async def sign_out(session: AsyncSession, token: str | None) -> None:
    if token and (row := await session.get(WebSession, token_hash(token))):
        await session.delete(row)
        await session.commit()


async def set_language(session: AsyncSession, username: str, language: str) -> None:
    user = (await session.exec(select(User).where(User.username == username))).first()
    if user is not None and language in ("nl", "en"):
        user.language = language
        session.add(user)
        await session.commit()


async def users(session: AsyncSession) -> list[User]:
    return list((await session.exec(select(User).order_by(col(User.username)))).all())


async def create_user(
    session: AsyncSession, username: str, password: str, roles: list[str]
) -> str | None:
    """A new staff user; returns a problem to show, or None."""
    username = username.strip()
    if not username or len(username) > 100:
        return "username: 1 to 100 characters"
    if len(password) < 12:
        return "password: at least 12 characters"
    if not roles or any(r not in ROLES for r in roles):
        return "roles: choose at least one known role"
    await _lock_staff(session)  # usernames are unique: checked, then added, under the lock
    if (await session.exec(select(User).where(User.username == username))).first():
        return "username: exists already"
    session.add(User(username=username, password_hash=hash_password(password), roles=roles))
    await session.commit()
    return None


async def set_active(session: AsyncSession, username: str, active: bool, by: str) -> str | None:
    """Switch a user off (their sessions end) or on again; nobody switches themselves off."""
    if username == by and not active:
        return "you cannot deactivate yourself"
    await _lock_staff(session)  # after the requests of `username` under way; before the next
    user = (await session.exec(select(User).where(User.username == username))).first()
    if user is None:
        return "no such user"
    user.active = active
    session.add(user)
    if not active:
        for row in (
            await session.exec(select(WebSession).where(WebSession.username == username))
        ).all():
            await session.delete(row)
    await session.commit()
    return None


# --- pages ----------------------------------------------------------------------------------


@dataclass
class LineView:
    goal: dict[str, Any]
    money: list[dict[str, Any]]
    outputs: list[views.OutputRow]
    chart: str | None
    children: list[dict[str, Any]] = field(default_factory=list)


async def programmes(services: Services) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await services.get("projects", "/v1/programmes")
    return found


async def overview(services: Services, programme_id: str, language: str) -> dict[str, Any]:
    """Per programme line: money by fund, outputs against targets, a chart of the headline."""
    programme = await services.get("projects", f"/v1/programmes/{programme_id}")
    tree = await services.get("projects", f"/v1/programmes/{programme_id}/goals")
    budgets = await _optional(services.get("funding", f"/v1/programmes/{programme_id}/budgets"), [])
    freshness = await _optional(services.get("kpi", "/v1/freshness"), {})
    periods = views.quarters(programme["period_start"], programme["period_end"])
    lines = await asyncio.gather(
        *(_line(services, node, budgets, periods, language) for node in tree)
    )
    return {"programme": programme, "lines": lines, "freshness": freshness, "periods": periods}


async def _line(
    services: Services,
    node: dict[str, Any],
    budgets: list[dict[str, Any]],
    periods: list[str],
    language: str,
) -> LineView:
    chain, approved = await asyncio.gather(
        services.get("kpi", f"/v1/goals/{node['id']}/results-chain"),
        services.get("kpi", "/v1/aggregates", goal=node["id"], approved_only="true"),
    )
    rows = views.output_rows(chain["outputs"], approved, chain["progress"])
    return LineView(
        goal=node,
        money=[b for b in budgets if b["goal_id"] == node["id"]],
        outputs=rows,
        chart=_chart(chain["outputs"], views.headline(rows), periods, language),
        children=node.get("children", []),
    )


def _chart(
    aggregates: list[dict[str, Any]], row: views.OutputRow | None, periods: list[str], language: str
) -> str | None:
    if row is None:
        return None
    aggregate = next(a for a in aggregates if a["indicator_code"] == row.indicator)
    realised = views.cumulative(views.quarterly(aggregate), periods, row.kind)
    series = [
        Series(
            f"{row.indicator} ({'gerealiseerd' if language == 'nl' else 'realised'})",
            realised,
            "realised",
        )
    ]
    if row.target:
        label = "doeltraject" if language == "nl" else "target trajectory"
        series.append(Series(label, views.trajectory(periods, row.target), "target"))
    return line_chart(row.indicator, periods, series, lambda v: number(v, language, 0)).svg


async def goal_page(services: Services, goal_id: str, language: str) -> dict[str, Any]:
    chain = await services.get("kpi", f"/v1/goals/{goal_id}/results-chain")
    approved = await services.get("kpi", "/v1/aggregates", goal=goal_id, approved_only="true")
    projects = (await services.get("projects", "/v1/projects", goal=goal_id, limit=500))["data"]
    rows = views.output_rows(chain["outputs"], approved, chain["progress"])
    chart = None
    if projects:
        programme = await services.get("projects", f"/v1/programmes/{projects[0]['programme_id']}")
        periods = views.quarters(programme["period_start"], programme["period_end"])
        chart = _chart(chain["outputs"], views.headline(rows), periods, language)
    return {"chain": chain, "outputs": rows, "projects": projects, "chart": chart}


async def project_page(services: Services, project_id: str, language: str) -> dict[str, Any]:
    project = await services.get("projects", f"/v1/projects/{project_id}")
    progress, reports, money, feed = await asyncio.gather(
        services.get("kpi", f"/v1/projects/{project_id}/progress"),
        services.get("kpi", f"/v1/projects/{project_id}/reports"),
        _optional(services.get("funding", f"/v1/projects/{project_id}/funding"), None),
        _optional(services.get("notifications", "/v1/feed", language=language, limit=200), []),
    )
    efficiency = await _optional(
        services.get("funding", f"/v1/programmes/{project['programme_id']}/efficiency"), []
    )
    partners = await asyncio.gather(
        *(
            services.get("projects", f"/v1/organisations/{m['organisation_id']}")
            for m in project["members"]
        )
    )
    charts = {}
    for kpi in progress:
        periods = [s["period"] for s in kpi["series"]]
        if periods and kpi["kind"] != "qualitative":
            values = {
                s["period"]: Decimal(str(s["value"]))
                for s in kpi["series"]
                if s["value"] is not None
            }
            realised = views.cumulative(values, periods, kpi["kind"])
            charts[kpi["indicator_code"]] = line_chart(
                kpi["indicator_code"],
                periods,
                [Series(kpi["indicator_code"], realised, "realised")],
                lambda v: number(v, language, 0),
            )
    return {
        "project": project,
        "partners": [
            {**p, "role": m["role"]} for p, m in zip(partners, project["members"], strict=True)
        ],
        "progress": progress,
        "charts": charts,
        "reports": sorted(reports, key=lambda r: (r["indicator_code"], r["period"], -r["version"])),
        "money": money,
        "efficiency": next(
            (e for e in efficiency if e["scope"] == "project" and e["id"] == project_id), None
        ),
        "notifications": [n for n in feed if n.get("project_id") == project_id],
    }


async def review_queue(services: Services) -> list[dict[str, Any]]:
    queue = (await services.get("kpi", "/v1/reports", state="submitted", limit=200))["data"]
    codes = {}
    for project_id in {r["project_id"] for r in queue}:
        project = await _optional(services.get("projects", f"/v1/projects/{project_id}"), None)
        codes[project_id] = project["code"] if project else project_id
    return [{**r, "project_code": codes[r["project_id"]]} for r in queue]


async def _optional(call: Any, default: Any) -> Any:
    """A part of a page that may be missing (a service down or not yet knowing the thing)."""
    try:
        return await call
    except ServiceError:
        return default
