"""Sign-in and CSRF helpers shared by the account, API and permission tests."""

from __future__ import annotations

import itertools
import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash
from werkzeug.test import TestResponse

from spdirectory.accounts.models import ApiToken, User
from spdirectory.directory.models import Organisation
from spdirectory.extensions import db
from tests.clients import IsolatedClient  # noqa: F401  (re-exported)
from tests.factories import PASSWORD

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# scrypt costs about half a second here, per hash and per check; tests that are not about
# hashing use a one-round hash, which check_password_hash accepts just the same.
_CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
_seq = itertools.count(1)


def csrf_from(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "no csrf_token field on the page"
    return found.group(1)


def csrf_token(client: FlaskClient, url: str = "/") -> str:
    """The CSRF token of this client's session, read from a page's form (every page has the
    sign-out form once signed in; /sign-in has one before)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return csrf_from(response.get_data(as_text=True))


def sign_in(
    client: FlaskClient,
    email: str,
    password: str = PASSWORD,
    next_url: str | None = None,
    **extra: Any,
) -> TestResponse:
    """POST the sign-in form with a valid CSRF token; returns the response unchecked."""
    token = csrf_token(client, "/sign-in")
    query = {"next": next_url} if next_url is not None else None
    return client.post(
        "/sign-in",
        query_string=query,
        data={"email": email, "password": password, "csrf_token": token, **extra},
    )


def signed_in(client: FlaskClient, email: str) -> str:
    """Sign in (which must succeed) and return a CSRF token for later POSTs."""
    response = sign_in(client, email)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return csrf_token(client)


def quick_user(
    role: str,
    organisation: Organisation | None = None,
    email: str | None = None,
    **kwargs: Any,
) -> User:
    """A user whose password is PASSWORD, stored with a cheap hash (see _CHEAP_HASH)."""
    person = User(
        email=email or f"{role}-{next(_seq)}@example.org",
        role=role,
        organisation=organisation,
        password_hash=_CHEAP_HASH,
        **kwargs,
    )
    db.session.add(person)
    db.session.flush()
    return person


def issue_token(person: User) -> tuple[ApiToken, str]:
    row, value = ApiToken.issue(person)
    db.session.add(row)
    db.session.flush()
    return row, value


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
