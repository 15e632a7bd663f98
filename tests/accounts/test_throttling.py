"""Sign-in throttling: per email address, and (looser) per client address."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from spdirectory.accounts.models import LoginFailure
from spdirectory.db_types import utcnow
from spdirectory.extensions import db
from tests.accounts.helpers import quick_user, sign_in

LIMIT = 3
TOO_MANY = "Too many failed attempts"


@pytest.fixture
def limited(app: Flask, make: Any) -> dict[str, str]:
    app.config["LOGIN_MAX_FAILURES"] = LIMIT
    people = {
        name: quick_user("link_worker", email=f"{name}@example.org").email
        for name in ("kim", "sam")
    }
    make.commit()
    return people


def guesses(count: int) -> list[str]:
    """Email addresses to fail with; they exist, because an unknown address costs a full
    scrypt check (see authenticate) and these tests only count failures."""
    emails = [quick_user("link_worker").email for _ in range(count)]
    db.session.commit()
    return emails


def fail(client: FlaskClient, email: str, times: int = 1) -> None:
    for _ in range(times):
        response = sign_in(client, email, "not the password")
        assert response.status_code == 200, response.status_code


def test_correct_password_refused_after_the_limit(
    client: FlaskClient, limited: dict[str, str]
) -> None:
    fail(client, limited["kim"], LIMIT - 1)
    # One short of the limit, the right password still works.
    assert sign_in(client, limited["kim"]).status_code == 302
    client.post("/sign-out", data={"csrf_token": _token(client)})

    fail(client, limited["kim"], LIMIT)
    response = sign_in(client, limited["kim"])
    assert response.status_code == 429
    assert TOO_MANY in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302  # not signed in


def test_limit_is_per_email_ignoring_case(client: FlaskClient, limited: dict[str, str]) -> None:
    fail(client, "KIM@example.org", LIMIT)
    assert sign_in(client, limited["kim"]).status_code == 429
    # Another account from the same address is not affected.
    assert sign_in(client, limited["sam"]).status_code == 302


def test_unknown_emails_are_throttled_too(client: FlaskClient, limited: dict[str, str]) -> None:
    fail(client, "ghost@example.org", LIMIT)
    response = sign_in(client, "ghost@example.org", "anything")
    assert response.status_code == 429


def test_success_clears_the_email_count(client: FlaskClient, limited: dict[str, str]) -> None:
    fail(client, limited["kim"], LIMIT - 1)
    assert sign_in(client, limited["kim"]).status_code == 302
    client.post("/sign-out", data={"csrf_token": _token(client)})
    fail(client, limited["kim"], LIMIT - 1)
    assert sign_in(client, limited["kim"]).status_code == 302


def test_old_failures_expire(app: Flask, client: FlaskClient, limited: dict[str, str]) -> None:
    window = timedelta(minutes=app.config["LOGIN_FAILURE_WINDOW_MINUTES"])
    long_ago = utcnow() - window - timedelta(minutes=1)
    for _ in range(LIMIT * 10):
        db.session.add(LoginFailure(key=f"email:{limited['kim']}", at=long_ago))
        db.session.add(LoginFailure(key="ip:127.0.0.1", at=long_ago))
    db.session.commit()
    assert sign_in(client, limited["kim"]).status_code == 302


def test_address_limit_applies_to_every_email_from_that_address(
    app: Flask, client: FlaskClient, limited: dict[str, str]
) -> None:
    address_limit = LIMIT * 4  # looser: a GP practice may share one address
    # Spread over many emails, so no single email reaches its own limit.
    for email in guesses(address_limit):
        fail(client, email)
    assert sign_in(client, limited["sam"]).status_code == 429
    # The same account from another address is fine.
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.10"
    assert sign_in(elsewhere, limited["sam"]).status_code == 302


def test_address_limit_is_looser_than_the_email_limit(
    client: FlaskClient, limited: dict[str, str]
) -> None:
    for email in guesses(LIMIT * 4 - 1):
        fail(client, email)
    assert sign_in(client, limited["sam"]).status_code == 302


def _token(client: FlaskClient) -> str:
    from tests.accounts.helpers import csrf_token

    return csrf_token(client)
