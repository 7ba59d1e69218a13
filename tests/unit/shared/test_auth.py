from datetime import timedelta

import jwt
import pytest

from shared.auth import Role, StaffUser, TokenService


def test_token_names_the_user_and_roles() -> None:
    service = TokenService("k" * 32)
    user = service.verify(service.mint("anna", [Role.FINANCE_OFFICER]))
    assert user == StaffUser(username="anna", roles=frozenset({Role.FINANCE_OFFICER}))


def test_token_signed_with_another_key_is_refused() -> None:
    token = TokenService("a" * 32).mint("anna", [Role.ADMIN])
    with pytest.raises(jwt.InvalidSignatureError):
        TokenService("b" * 32).verify(token)


def test_expired_token_is_refused() -> None:
    service = TokenService("k" * 32)
    token = service.mint("anna", [Role.ADMIN], ttl=timedelta(seconds=-1))
    with pytest.raises(jwt.ExpiredSignatureError):
        service.verify(token)


def test_admin_may_do_what_any_role_may() -> None:
    admin = StaffUser(username="root", roles=frozenset({Role.ADMIN}))
    viewer = StaffUser(username="v", roles=frozenset({Role.VIEWER}))
    assert admin.has_any([Role.PROGRAMME_MANAGER])
    assert not viewer.has_any([Role.PROGRAMME_MANAGER])
