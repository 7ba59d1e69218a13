"""Rule settings: every rule's thresholds and whether it is on, editable by an admin."""

from typing import Any

from services.notifications.domain.rules import RULES
from services.notifications.models import RuleSetting
from services.notifications.schemas import RulePublic, RuleUpdate
from services.notifications.services.common import RULE_SETTINGS, SYSTEM
from services.notifications.uow import NotificationsUnitOfWork
from shared.auth import StaffUser
from shared.db import utcnow
from shared.errors import FieldProblem, InvalidInputError, NotFoundError


async def ensure_rule_settings(uow: NotificationsUnitOfWork) -> None:
    """Every rule gets a settings row with its defaults. Existing settings keep their values;
    a parameter a rule gained is added with its default, one it no longer has is dropped
    (so the settings an admin edits are the ones the rule reads)."""
    async with uow:
        await uow.lock(RULE_SETTINGS)  # two workers starting together
        existing = await uow.rules.all()
        for name, spec in RULES.items():
            if name not in existing:
                uow.rules.add(RuleSetting(rule=name, params=dict(spec.defaults), updated_by=SYSTEM))
                continue
            held = existing[name].params
            params = {k: held.get(k, default) for k, default in spec.defaults.items()}
            if params != held:
                existing[name].params = params
                uow.rules.add(existing[name])
        await uow.commit()


async def rule_params(uow: NotificationsUnitOfWork, rule: str) -> dict[str, Any] | None:
    """The rule's thresholds, or None when it is switched off (within an open unit of work)."""
    setting = await uow.rules.get(rule)
    if setting is None:
        return dict(RULES[rule].defaults)
    return dict(setting.params) if setting.enabled else None


async def list_rules(uow: NotificationsUnitOfWork) -> list[RulePublic]:
    async with uow:
        settings = await uow.rules.all()
    return [_rule_public(name, settings.get(name)) for name in RULES]


def _rule_public(name: str, setting: RuleSetting | None) -> RulePublic:
    spec = RULES[name]
    return RulePublic(
        rule=name,
        description=spec.description,
        audiences=[a.value for a in spec.audiences],
        enabled=setting.enabled if setting else True,
        params=setting.params if setting else dict(spec.defaults),
    )


async def update_rule(
    uow: NotificationsUnitOfWork, rule: str, data: RuleUpdate, user: StaffUser
) -> RulePublic:
    if rule not in RULES:
        raise NotFoundError(f"no rule {rule!r}")
    unknown = sorted(set(data.params or {}) - set(RULES[rule].defaults))
    if unknown:
        raise InvalidInputError(
            [FieldProblem(("body", "params", k), f"{rule} has no parameter {k}") for k in unknown]
        )
    async with uow:
        await uow.lock(RULE_SETTINGS)  # parameters merged into the current ones, none lost
        setting = await uow.rules.get(rule) or RuleSetting(
            rule=rule, params=dict(RULES[rule].defaults), updated_by=user.username
        )
        if data.enabled is not None:
            setting.enabled = data.enabled
        if data.params:
            setting.params = {**setting.params, **data.params}
        setting.updated_by, setting.updated_at = user.username, utcnow()
        uow.rules.add(setting)
        await uow.commit()
        return _rule_public(rule, setting)
