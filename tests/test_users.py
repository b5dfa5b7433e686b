"""Local logins: validation, argon2 hashing, per-user lock, disable, password change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from intake.web.testing import PASSWORD, migrated_engine
from models.tables import AuditEvent, utcnow
from models.users import (
    UserError,
    add_user,
    disable_user,
    get_user,
    set_password,
    user_areas,
    verify_login,
)
from parsers.errors import IntakeError


@pytest.fixture()
def session(tmp_path):
    with Session(migrated_engine(tmp_path / "users.db")) as db:
        yield db


def test_add_user_hashes_with_argon2_and_audits(session):
    user = add_user(session=session, name="ene-aio", role="aio", areas=["ene", "South"],
                    password=PASSWORD)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert user_areas(user) == ["ENE", "South"]
    actions = [e.action for e in session.exec(select(AuditEvent))]
    assert actions == ["user_added"]


@pytest.mark.parametrize("changes, reason", [
    ({"role": "boss"}, "unknown role"),
    ({"areas": ["North"]}, "unknown area"),
    ({"areas": []}, "needs at least one --area"),
    ({"password": "short"}, "too short"),
    ({"name": "  "}, "1 to 120"),
])
def test_add_user_refuses_bad_input_with_an_intake_error(session, changes, reason):
    arguments = {"name": "x", "role": "aio", "areas": ["ENE"], "password": PASSWORD, **changes}
    with pytest.raises(UserError, match=reason) as caught:
        add_user(session=session, **arguments)
    assert isinstance(caught.value, IntakeError)


def test_duplicate_name_is_refused(session):
    add_user(session=session, name="manager", role="manager", password=PASSWORD)
    with pytest.raises(UserError, match="already exists"):
        add_user(session=session, name="manager", role="manager", password=PASSWORD)


def test_verify_login_right_and_wrong(session):
    add_user(session=session, name="manager", role="manager", password=PASSWORD)
    assert verify_login(session=session, name="manager", password=PASSWORD) is not None
    assert verify_login(session=session, name="manager", password="wrong " + PASSWORD) is None
    assert verify_login(session=session, name="nobody", password=PASSWORD) is None


def test_lock_after_repeated_failures_then_unlock_after_the_period(session):
    add_user(session=session, name="manager", role="manager", password=PASSWORD)
    for _ in range(3):
        assert verify_login(session=session, name="manager", password="nope",
                            max_failures=3) is None
    # Locked: even the right password fails.
    assert verify_login(session=session, name="manager", password=PASSWORD,
                        max_failures=3) is None
    user = get_user(session=session, name="manager")
    assert user.locked_until is not None
    user.locked_until = utcnow() - timedelta(seconds=1)
    session.add(user)
    session.commit()
    assert verify_login(session=session, name="manager", password=PASSWORD,
                        max_failures=3) is not None
    assert "login_locked" in [e.action for e in session.exec(select(AuditEvent))]


def test_disabled_user_cannot_sign_in(session):
    add_user(session=session, name="ene-aio", role="aio", areas=["ENE"], password=PASSWORD)
    disable_user(session=session, name="ene-aio", actor="admin")
    assert verify_login(session=session, name="ene-aio", password=PASSWORD) is None


def test_set_password_replaces_the_old_one_and_clears_a_lock(session):
    add_user(session=session, name="manager", role="manager", password=PASSWORD)
    for _ in range(5):
        verify_login(session=session, name="manager", password="nope")
    set_password(session=session, name="manager", password="a brand new passphrase")
    assert verify_login(session=session, name="manager", password=PASSWORD) is None
    assert verify_login(session=session, name="manager",
                        password="a brand new passphrase") is not None


def test_changes_to_unknown_users_are_refused(session):
    with pytest.raises(UserError, match="no user"):
        disable_user(session=session, name="ghost")
    with pytest.raises(UserError, match="no user"):
        set_password(session=session, name="ghost", password=PASSWORD)


def test_functions_take_an_engine_as_the_cli_does(tmp_path):
    engine = migrated_engine(tmp_path / "cli.db")
    add_user(engine, name="manager", role="manager", password=PASSWORD, actor="cli")
    assert verify_login(engine, name="manager", password=PASSWORD) is not None
    set_password(engine, name="manager", password="another long passphrase", actor="cli")
    disable_user(engine, name="manager", actor="cli")
    assert verify_login(engine, name="manager", password="another long passphrase") is None
