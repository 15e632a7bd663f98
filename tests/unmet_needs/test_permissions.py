"""Only link workers and admins record unmet needs. Everyone else is refused (anonymous:
sign-in redirect or 401 JSON; other roles: 403) and nothing is stored."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from spdirectory.extensions import db
from spdirectory.reports.summary import DemandMonth
from spdirectory.unmet_needs.models import UnmetNeed
from tests.accounts.helpers import bearer, csrf_token, issue_token, quick_user, signed_in

from .permission_matrix import COVERED

ROLES = ("anonymous", "admin", "link_worker", "provider", "panel", "reviewer")
ALLOWED = frozenset({"link_worker", "admin"})
FORM = {
    "unmet-needs": ["loneliness"],
    "unmet-reasons": ["none_exists"],
    "unmet-postcode_district": "LS6",
    "unmet-note": "",
}
BODY = {"needs": ["loneliness"], "reasons": ["too_far"], "postcode_district": "LS6"}
CASES = [
    ("/unmet-needs/new", "GET"),
    ("/unmet-needs/new", "POST"),
    ("/api/v1/unmet-needs", "POST"),
]


def test_every_covered_route_has_a_case() -> None:
    assert set(CASES) == COVERED


def fingerprint() -> tuple[int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(UnmetNeed)) or 0,
        db.session.scalar(select(func.count()).select_from(DemandMonth)) or 0,
    )


@pytest.fixture
def people(app: Flask, make: Any) -> dict[str, Any]:
    org = make.organisation("Provider org")
    users = {role: quick_user(role) for role in ROLES if role not in ("anonymous", "provider")}
    users["provider"] = quick_user("provider", organisation=org)
    tokens = {role: issue_token(user)[1] for role, user in users.items()}
    db.session.commit()
    return {"users": users, "tokens": tokens}


def send(app: Flask, rule: str, method: str, role: str, people: dict[str, Any], via: str) -> Any:
    client = app.test_client()
    headers: dict[str, str] = {}
    csrf = ""
    if role == "anonymous":
        csrf = csrf_token(client, "/sign-in")
    elif via == "token":
        headers = bearer(people["tokens"][role])
    else:
        csrf = signed_in(client, people["users"][role].email)
    if method == "GET":
        return client.get(rule, headers=headers)
    if rule.startswith("/api/"):
        return client.post(rule, json=BODY, headers={**headers, "X-CSRFToken": csrf})
    return client.post(rule, data={**FORM, "unmet-csrf_token": csrf}, headers=headers)


@pytest.mark.parametrize(("rule", "method"), CASES, ids=[f"{m} {r}" for r, m in CASES])
def test_matrix(app: Flask, people: dict[str, Any], rule: str, method: str) -> None:
    api = rule.startswith("/api/")
    problems = []
    for via in ("session", "token") if api else ("session",):
        for role in sorted(ROLES, key=lambda r: r in ALLOWED):  # refused roles first
            before = fingerprint()
            response = send(app, rule, method, role, people, via)
            status = response.status_code
            if role in ALLOWED:
                expected = 201 if api else 302 if method == "POST" else 200
                if status != expected:
                    problems.append(f"{via} {role}: allowed but got {status}")
                elif method == "POST" and fingerprint()[0] != before[0] + 1:
                    problems.append(f"{via} {role}: allowed but nothing was recorded")
                continue
            if role == "anonymous":
                if api:
                    ok = status == 401 and response.is_json
                else:
                    ok = status == 302 and urlsplit(response.location).path == "/sign-in"
            else:
                ok = status == 403
                if api:
                    ok = ok and response.get_json()["error"]["code"] == "forbidden"
            if not ok:
                problems.append(f"{via} {role}: expected refusal, got {status}")
            if fingerprint() != before:
                problems.append(f"{via} {role}: refused, but the database changed")
    assert not problems, "\n".join(problems)
