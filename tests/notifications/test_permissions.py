"""/admin/outbox is for admins only: staff addresses and message texts are not for other
roles. Anonymous users are sent to sign in, every other role gets 403, and a refused retry
changes nothing. Also: the admin's list, filter, message view and retry (with CSRF)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select

from spdirectory.extensions import db
from spdirectory.notifications.models import OutboxEmail
from spdirectory.notifications.services import queue_email
from tests.accounts.helpers import csrf_token, quick_user, signed_in
from tests.factories import organisation

from .conftest import outbox
from .permission_matrix import COVERED

ROLES = ("anonymous", "admin", "link_worker", "provider", "panel", "reviewer")


@dataclass(frozen=True)
class Case:
    rule: str
    method: str
    url: str


CASES = [
    Case("/admin/outbox/", "GET", "/admin/outbox/?status=failed"),
    Case("/admin/outbox/<int:email_id>", "GET", "/admin/outbox/{id}"),
    Case("/admin/outbox/<int:email_id>/retry", "POST", "/admin/outbox/{id}/retry"),
]


def test_every_covered_route_has_a_case() -> None:
    assert {(c.rule, c.method) for c in CASES} == COVERED


@pytest.fixture
def failed_email(app: Flask) -> OutboxEmail:
    email = queue_email("someone@example.org", "Private subject", "Private body", kind="test")
    email.status = "failed"
    email.attempts = 6
    email.last_error = "SMTP 554: rejected"
    db.session.commit()
    return email


@pytest.fixture
def people(app: Flask) -> dict[str, Any]:
    users = {role: quick_user(role) for role in ROLES if role not in ("anonymous", "provider")}
    users["provider"] = quick_user("provider", organisation=organisation())
    db.session.commit()
    return users


def state() -> list[tuple[Any, ...]]:
    db.session.expire_all()
    return [
        (e.id, e.status, e.attempts, e.next_attempt_at, e.last_error)
        for e in db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id))
    ]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.method} {c.rule}" for c in CASES])
def test_matrix(app: Flask, people: dict[str, Any], failed_email: OutboxEmail, case: Case) -> None:
    url = case.url.format(id=failed_email.id)
    problems = []
    for role in sorted(ROLES, key=lambda r: r == "admin"):  # admin last: it may change rows
        before = state()
        client = app.test_client()
        if role == "anonymous":
            token = csrf_token(client, "/sign-in")
        else:
            token = signed_in(client, people[role].email)
        if case.method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token})
        status = response.status_code
        body = response.get_data(as_text=True)
        if role == "admin":
            if status not in (200, 302):
                problems.append(f"admin: allowed but got {status}")
            continue
        if role == "anonymous":
            ok = status == 302 and urlsplit(response.location).path == "/sign-in"
        else:
            ok = status == 403
        if not ok:
            problems.append(f"{role}: expected refusal, got {status}")
        if "Private subject" in body or "someone@example.org" in body:
            problems.append(f"{role}: refused page shows the email")
        if state() != before:
            problems.append(f"{role}: refused, but the database changed")
    assert not problems, "\n".join(problems)


def test_admin_lists_filters_views_and_retries(
    app: Flask, people: dict[str, Any], failed_email: OutboxEmail
) -> None:
    queue_email("other@example.org", "Queued one", "Body", kind="test")
    db.session.commit()
    client = app.test_client()
    token = signed_in(client, people["admin"].email)

    html = client.get("/admin/outbox/").get_data(as_text=True)
    assert "Private subject" in html and "Queued one" in html
    assert "No mail server is configured" in html
    failed_only = client.get("/admin/outbox/?status=failed").get_data(as_text=True)
    assert "Private subject" in failed_only and "Queued one" not in failed_only
    # An unknown filter shows everything rather than failing.
    assert "Queued one" in client.get("/admin/outbox/?status=bogus").get_data(as_text=True)

    page = client.get(f"/admin/outbox/{failed_email.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Private body" in html and "SMTP 554: rejected" in html and "Retry sending" in html
    assert client.get("/admin/outbox/999999").status_code == 404

    # Without the CSRF token the retry is refused and nothing changes.
    before = state()
    assert client.post(f"/admin/outbox/{failed_email.id}/retry").status_code == 400
    assert state() == before

    response = client.post(f"/admin/outbox/{failed_email.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    (row,) = outbox(id=failed_email.id)
    assert (row.status, row.attempts) == ("queued", 0)
    follow = client.get(response.location).get_data(as_text=True)
    assert "is queued again" in follow and "Retry sending" not in follow

    # Retrying what has not failed is explained, not an error page, and changes nothing.
    before = state()
    response = client.post(f"/admin/outbox/{failed_email.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    assert "nothing to retry" in client.get(response.location).get_data(as_text=True)
    assert state() == before
    assert client.post("/admin/outbox/999999/retry", data={"csrf_token": token}).status_code == 404
