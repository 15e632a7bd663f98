"""Password storage, CSRF, security headers, cookies and the generated SECRET_KEY."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from spdirectory import create_app
from spdirectory.extensions import db
from tests.accounts.helpers import csrf_token, quick_user, sign_in
from tests.factories import PASSWORD


def test_passwords_are_stored_as_salted_scrypt(make: Any) -> None:
    one = make.user("link_worker")
    two = make.user("link_worker")
    assert one.password_hash.startswith("scrypt:")
    assert PASSWORD not in one.password_hash
    assert one.password_hash != two.password_hash  # salted
    assert one.check_password(PASSWORD)
    assert not one.check_password(PASSWORD + " ")
    assert not one.check_password("")


def test_user_without_a_password_cannot_sign_in(make: Any) -> None:
    from spdirectory.accounts.models import User

    person = User(email="nopass@example.org", role="link_worker")
    db.session.add(person)
    db.session.flush()
    assert not person.check_password("")
    assert not person.check_password(PASSWORD)


class TestCsrf:
    def test_sign_in_without_token_is_refused(self, client: FlaskClient, make: Any) -> None:
        person = quick_user("admin")
        make.commit()
        response = client.post("/sign-in", data={"email": person.email, "password": PASSWORD})
        assert response.status_code == 400
        assert client.get("/admin/").status_code == 302  # still not signed in

    def test_sign_in_with_a_forged_token_is_refused(self, client: FlaskClient, make: Any) -> None:
        person = quick_user("admin")
        make.commit()
        client.get("/sign-in")
        response = client.post(
            "/sign-in",
            data={"email": person.email, "password": PASSWORD, "csrf_token": "forged"},
        )
        assert response.status_code == 400

    def test_signed_in_form_posts_need_the_token(self, client: FlaskClient, make: Any) -> None:
        person = quick_user("link_worker")
        make.commit()
        assert sign_in(client, person.email).status_code == 302
        assert client.post("/sign-out").status_code == 400
        assert client.post("/account/tokens").status_code == 400
        assert client.get("/account").status_code == 200  # the refused sign-out did nothing
        token = csrf_token(client)
        assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302

    def test_token_may_come_in_the_header(self, client: FlaskClient, make: Any) -> None:
        organisation = make.organisation()
        person = quick_user("provider", organisation=organisation)
        listing = make.activity(organisation)
        make.commit()
        assert sign_in(client, person.email).status_code == 302
        headers = {"X-CSRFToken": csrf_token(client)}
        response = client.post(f"/manage/activities/{listing.id}/confirm", headers=headers)
        assert response.status_code == 302


@pytest.mark.parametrize("url", ["/", "/sign-in", "/api/v1/activities", "/no-such-page"])
def test_security_headers(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "'unsafe-eval'" not in csp
    assert "script-src 'self'" in csp and "script-src 'self' 'unsafe-inline'" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_security_headers_on_redirects(client: FlaskClient) -> None:
    response = client.get("/manage/")
    assert response.status_code == 302
    assert response.headers["X-Frame-Options"] == "DENY"


def _cookie_header(response: Any, name: str) -> str:
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert found, f"no {name} cookie set"
    return found[-1]


def test_session_cookie_is_httponly_and_lax(client: FlaskClient, make: Any) -> None:
    person = quick_user("link_worker")
    make.commit()
    response = sign_in(client, person.email, remember="y")
    assert response.status_code == 302
    for name in ("session", "remember_token"):
        cookie = _cookie_header(response, name)
        assert "HttpOnly" in cookie, cookie
        assert "SameSite=Lax" in cookie, cookie


def test_secure_cookies_and_hsts_when_configured(app: Flask, tmp_path: Path) -> None:
    secure = create_app(
        {
            "DATABASE_URL": app.config["DATABASE_URL"],
            "SECRET_KEY": "x",
            "SESSION_COOKIE_SECURE": True,
        },
        instance_path=tmp_path / "secure",
    )
    response = secure.test_client().get("/sign-in", base_url="https://localhost")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    assert "Secure" in _cookie_header(response, "session")


class TestSecretKey:
    """With no SECRET_KEY configured, one is generated once and kept in the instance folder."""

    @pytest.fixture(autouse=True)
    def _unconfigured(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
        monkeypatch.delenv("SPDIRECTORY_CONFIG", raising=False)

    @staticmethod
    def _app(instance: Path, **config: Any) -> Flask:
        return create_app({"DATABASE_URL": "sqlite://", **config}, instance_path=instance)

    def test_generated_once_and_kept(self, tmp_path: Path) -> None:
        first = self._app(tmp_path).config["SECRET_KEY"]
        second = self._app(tmp_path).config["SECRET_KEY"]
        assert first == second
        assert len(first) >= 32
        key_file = tmp_path / "secret_key"
        assert key_file.read_text().strip() == first

    def test_file_is_private(self, tmp_path: Path) -> None:
        self._app(tmp_path)
        mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
        assert mode & 0o077 == 0, oct(mode)

    def test_each_installation_gets_its_own(self, tmp_path: Path) -> None:
        one = self._app(tmp_path / "one").config["SECRET_KEY"]
        two = self._app(tmp_path / "two").config["SECRET_KEY"]
        assert one != two

    def test_configured_key_wins_and_no_file_is_written(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("SECRET_KEY", "from-the-environment")
        assert self._app(tmp_path).config["SECRET_KEY"] == "from-the-environment"
        assert not (tmp_path / "secret_key").exists()
