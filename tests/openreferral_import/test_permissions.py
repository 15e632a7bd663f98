"""Only administrators review likely duplicates. Everyone else is refused (anonymous: sign-in
redirect; any other role: 403) and a refused decision changes nothing."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select

from spdirectory.directory.models import Activity
from spdirectory.extensions import db
from spdirectory.openreferral.aggregation import DuplicateCandidate
from tests.accounts.helpers import csrf_token, quick_user, signed_in

from .permission_matrix import COVERED

ROLES = ("anonymous", "admin", "link_worker", "provider", "panel", "reviewer")
CASES = [("/admin/duplicates/", "GET"), ("/admin/duplicates/<int:candidate_id>", "POST")]


def test_every_covered_route_has_a_case() -> None:
    assert set(CASES) == COVERED


def fingerprint() -> list[tuple[object, ...]]:
    db.session.expire_all()
    return [
        *db.session.execute(
            select(DuplicateCandidate.id, DuplicateCandidate.status, DuplicateCandidate.kept_id)
        ).all(),
        *db.session.execute(select(Activity.id, Activity.status).order_by(Activity.id)).all(),
    ]


@pytest.fixture
def pair(app: Flask, make: object) -> int:
    org = make.organisation("Hilltop Walkers")  # type: ignore[attr-defined]
    a = make.activity(org, title="Walk")  # type: ignore[attr-defined]
    b = make.activity(org, title="Walk")  # type: ignore[attr-defined]
    a.source, b.source = "one", "two"
    candidate = DuplicateCandidate(
        first_id=min(a.id, b.id), second_id=max(a.id, b.id), score=1.5, reasons="x"
    )
    db.session.add(candidate)
    for role in ROLES[1:]:
        quick_user(role, email=f"{role}@example.org",
                   organisation=org if role == "provider" else None)  # fmt: skip
    db.session.commit()
    return candidate.id


@pytest.mark.parametrize("case", CASES, ids=[f"{m} {r}" for r, m in CASES])
@pytest.mark.parametrize("role", ROLES)
def test_matrix(app: Flask, pair: int, case: tuple[str, str], role: str) -> None:
    rule, method = case
    url = rule.replace("<int:candidate_id>", str(pair))
    client = app.test_client()
    token = (
        csrf_token(client, "/sign-in")
        if role == "anonymous"
        else signed_in(client, f"{role}@example.org")
    )
    before = fingerprint()
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"decision": "keep_first", "csrf_token": token})
    if role == "admin":
        assert response.status_code in (200, 302), response.status_code
        if method == "POST":
            assert fingerprint() != before  # the admin's decision was made
        return
    if role == "anonymous":
        assert response.status_code == 302
        assert urlsplit(response.location).path == "/sign-in"
    else:
        assert response.status_code == 403
    assert fingerprint() == before
