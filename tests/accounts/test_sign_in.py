"""Signing in and out, where sign-in leads, and the `next` parameter."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from spdirectory.accounts.models import User
from spdirectory.extensions import db
from tests.accounts.helpers import bearer, csrf_from, csrf_token, quick_user, sign_in
from tests.factories import PASSWORD

WRONG = "The email address or password is not correct"


def is_signed_in(client: FlaskClient) -> bool:
    response = client.get("/account")
    if response.status_code == 302:
        assert urlsplit(response.location).path == "/sign-in"
        return False
    assert response.status_code == 200
    return True


def test_sign_in_page_has_a_csrf_protected_form(client: FlaskClient) -> None:
    response = client.get("/sign-in")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert csrf_from(html)
    assert 'name="email"' in html and 'name="password"' in html


def test_sign_in_and_out(client: FlaskClient, make: Any) -> None:
    # A real scrypt hash here; other tests use a cheap one (quick_user) for speed.
    person = make.user("provider", email="walks@example.org")
    make.commit()
    assert not is_signed_in(client)
    response = sign_in(client, "walks@example.org")
    assert response.status_code == 302
    assert response.location == "/manage/"
    assert is_signed_in(client)
    db.session.expire_all()
    assert db.session.get(User, person.id).last_login_at is not None

    token = csrf_token(client)
    response = client.post("/sign-out", data={"csrf_token": token})
    assert response.status_code == 302 and response.location == "/"
    assert not is_signed_in(client)


@pytest.mark.parametrize(
    "role, home",
    [
        ("admin", "/admin/"),
        ("provider", "/manage/"),
        ("link_worker", "/activities"),
        ("panel", "/activities"),
        ("reviewer", "/activities"),
    ],
)
def test_each_role_lands_on_its_home_page(
    client: FlaskClient, make: Any, role: str, home: str
) -> None:
    organisation = make.organisation() if role == "provider" else None
    person = quick_user(role, organisation=organisation)
    make.commit()
    response = sign_in(client, person.email)
    assert response.status_code == 302 and response.location == home
    # Signed in, the sign-in page sends you home rather than showing the form again.
    again = client.get("/sign-in")
    assert again.status_code == 302 and again.location == home


def test_email_is_matched_without_case_or_spaces(client: FlaskClient, make: Any) -> None:
    quick_user("link_worker", email="kim@example.org")
    make.commit()
    assert sign_in(client, "  Kim@Example.ORG ").status_code == 302
    assert is_signed_in(client)


@pytest.mark.parametrize(
    "email, password",
    [
        ("kim@example.org", "wrong password"),
        ("kim@example.org", PASSWORD.upper()),
        ("nobody@example.org", PASSWORD),  # same answer: no hint which accounts exist
        ("kim@example.org", ""),
    ],
)
def test_wrong_credentials_are_refused(
    client: FlaskClient, make: Any, email: str, password: str
) -> None:
    quick_user("link_worker", email="kim@example.org")
    make.commit()
    response = sign_in(client, email, password)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert (WRONG in html) if password else ("Enter your password" in html)
    assert not is_signed_in(client)


def test_unknown_email_takes_as_long_as_a_wrong_password(
    client: FlaskClient, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown address still costs one scrypt check, so timing reveals no accounts."""
    from spdirectory.accounts import auth

    checked: list[str] = []
    real = auth.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(auth, "check_password_hash", counting)
    response = sign_in(client, "nobody@example.org", "a guess")
    assert WRONG in response.get_data(as_text=True)
    assert len(checked) == 1 and checked[0].startswith("scrypt:")


def test_inactive_user_is_refused(client: FlaskClient, make: Any) -> None:
    quick_user("link_worker", email="gone@example.org", active=False)
    make.commit()
    response = sign_in(client, "gone@example.org")
    assert response.status_code == 200
    assert WRONG in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_deactivating_a_user_ends_their_session(client: FlaskClient, make: Any) -> None:
    person = quick_user("link_worker")
    make.commit()
    assert sign_in(client, person.email).status_code == 302
    assert is_signed_in(client)
    person.active = False
    make.commit()
    assert not is_signed_in(client)


def test_signing_in_on_one_client_does_not_sign_in_another(
    app: Flask, client: FlaskClient, make: Any
) -> None:
    person = quick_user("admin")
    make.commit()
    assert sign_in(client, person.email).status_code == 302
    stranger = app.test_client()
    assert not is_signed_in(stranger)
    assert stranger.get("/admin/").status_code == 302


def test_anonymous_page_visit_signs_in_and_comes_back(client: FlaskClient, make: Any) -> None:
    person = quick_user("provider", organisation=make.organisation())
    make.commit()
    response = client.get("/manage/organisation")
    assert response.status_code == 302
    target = urlsplit(response.location)
    assert target.path == "/sign-in"
    (next_url,) = parse_qs(target.query)["next"]
    assert next_url == "/manage/organisation"
    response = sign_in(client, person.email, next_url=next_url)
    assert response.status_code == 302 and response.location == "/manage/organisation"


@pytest.mark.parametrize(
    "next_url",
    ["/manage/activities/5/edit", "/activities?category=walking&day=mon", "/account"],
)
def test_next_accepts_relative_paths(client: FlaskClient, make: Any, next_url: str) -> None:
    person = quick_user("link_worker")
    make.commit()
    response = sign_in(client, person.email, next_url=next_url)
    assert response.status_code == 302 and response.location == next_url


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.example",
        "//evil.example/manage/",
        "///evil.example",
        "https://evil.example",
        "http://evil.example/account",
        "HTTPS://evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "\\/evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        " //evil.example",
        "javascript:alert(1)",
        "evil.example",
        "https:evil.example",
        "//localhost@evil.example",
    ],
)
def test_next_refuses_other_sites(client: FlaskClient, make: Any, next_url: str) -> None:
    person = quick_user("link_worker")
    make.commit()
    response = sign_in(client, person.email, next_url=next_url)
    assert response.status_code == 302
    assert response.location == "/activities", response.location
    assert is_signed_in(client)


def test_tokens_made_on_the_account_page_work_until_revoked(client: FlaskClient, make: Any) -> None:
    organisation = make.organisation()
    person = quick_user("provider", organisation=organisation)
    draft = make.activity(organisation, status="draft")
    make.commit()
    assert sign_in(client, person.email).status_code == 302
    response = client.post("/account/tokens", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    found = re.search(r"spd_[A-Za-z0-9_-]{40,}", html)
    assert found, "the new token is not shown"
    token = found.group(0)
    # The page shows the token once; the account page afterwards shows only its prefix.
    assert token not in client.get("/account").get_data(as_text=True)

    api = make_api_client(client)
    url = f"/api/v1/activities/{draft.id}"
    assert api.get(url, headers=bearer(token)).status_code == 200

    from spdirectory.accounts.models import ApiToken

    row = db.session.query(ApiToken).filter_by(user_id=person.id).one()
    response = client.post(
        f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302 and response.location == "/account"
    assert api.get(url, headers=bearer(token)).status_code == 404  # anonymous now


def make_api_client(client: FlaskClient) -> FlaskClient:
    """A cookie-less client, so only the bearer token identifies the caller."""
    return client.application.test_client()
