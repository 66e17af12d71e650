"""Local accounts: argon2 passwords, API tokens hashed at rest, console sessions that expire."""

from __future__ import annotations

import pytest

from services.alerting.adapters.memory import MemoryUnitOfWork
from services.alerting.bootstrap import AlertingService
from services.alerting.domain.access import Role
from services.alerting.domain.accounts import TOKEN_PREFIX, secret_digest
from services.alerting.errors import AuthenticationFailed, InvalidAccount
from services.alerting.service_layer.accounts import NewUser
from services.alerting.testing import SAMPLE_PASSWORD, ManualClock, add_sample_users


def test_a_user_logs_in_with_the_right_password_only(service: AlertingService) -> None:
    add_sample_users(service)
    assert service.authenticate("officer", SAMPLE_PASSWORD).school_id == "500102001"
    with pytest.raises(AuthenticationFailed) as wrong_password:
        service.authenticate("officer", "not the password")
    with pytest.raises(AuthenticationFailed) as unknown_user:
        service.authenticate("nobody", SAMPLE_PASSWORD)
    assert str(wrong_password.value) == str(unknown_user.value), "no hint whether the name exists"


def test_passwords_are_stored_as_argon2id_hashes(
    service: AlertingService, uow: MemoryUnitOfWork
) -> None:
    user = add_sample_users(service)["inspector"]
    stored = uow.state.accounts.users[user.id].password_hash
    assert stored.startswith("$argon2id$") and SAMPLE_PASSWORD not in stored


@pytest.mark.parametrize(
    ("username", "password"),
    [("Bad Name", "long enough password"), ("ok", "short"), ("x", "long enough password")],
)
def test_weak_or_malformed_accounts_are_refused(
    service: AlertingService, username: str, password: str
) -> None:
    with pytest.raises(InvalidAccount):
        service.add_user(NewUser(username, "", Role.AUDITOR, password))


def test_a_user_name_is_taken_once(service: AlertingService) -> None:
    add_sample_users(service)
    with pytest.raises(InvalidAccount, match="taken"):
        service.add_user(NewUser("inspector", "", Role.AUDITOR, SAMPLE_PASSWORD))


def test_a_token_is_shown_once_and_stored_as_its_digest(
    service: AlertingService, uow: MemoryUnitOfWork
) -> None:
    add_sample_users(service)
    secret, token = service.issue_token("auditor", "nightly export")
    assert secret.startswith(TOKEN_PREFIX)
    assert list(uow.state.accounts.tokens) == [secret_digest(secret)] == [token.digest]
    assert service.user_for_token(secret).username == "auditor"
    with pytest.raises(AuthenticationFailed):
        service.user_for_token(secret + "x")


def test_a_session_ends_at_logout_or_expiry(service: AlertingService, clock: ManualClock) -> None:
    user = add_sample_users(service)["inspector"]
    first, second = service.start_session(user), service.start_session(user)
    assert service.user_for_session(first) == user
    service.end_session(first)
    with pytest.raises(AuthenticationFailed):
        service.user_for_session(first)
    clock.advance(hours=service.session_lifetime.total_seconds() / 3600)
    with pytest.raises(AuthenticationFailed):
        service.user_for_session(second)
