"""Who may use each report route: panel members and admins see reports and record decisions;
only admins import areas, enter CPI figures and pledges. Everyone else is refused
(anonymous: sign-in redirect or 401; wrong role: 403) and the database is unchanged."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from spdirectory.extensions import db
from spdirectory.reports.models import (
    Area,
    AreaDistrict,
    CpiIndex,
    FundAllocation,
    FundPledge,
    PanelDecision,
)
from tests.accounts.helpers import bearer, csrf_token, issue_token, quick_user, signed_in
from tests.reports.conftest import Known

from .permission_matrix import COVERED

ROLES = ("anonymous", "admin", "link_worker", "provider", "panel", "reviewer")
PANEL = frozenset({"panel", "admin"})
ADMIN = frozenset({"admin"})
AREAS_CSV = "code,name,type,population,postcode_districts\nHIJACK,Hijack,ward,1,LS1\n"


@dataclass(frozen=True)
class Case:
    rule: str
    method: str
    allowed: frozenset[str]
    url: str = ""
    form: dict[str, Any] = field(default_factory=dict)
    upload: bool = False


CASES = [
    Case("/reports/", "GET", PANEL),
    Case("/reports/cell", "GET", PANEL, url="/reports/cell?area=W1&category=walking"),
    Case("/reports/export.csv", "GET", PANEL),
    Case("/reports/export.xlsx", "GET", PANEL),
    Case(
        "/reports/decisions",
        "POST",
        PANEL,
        form={"area": "W1", "category": "walking", "decision": "invest", "note": "x"},
    ),
    Case("/reports/fund", "GET", PANEL, url="/reports/fund?area=LEEDS&year=2025"),
    Case(
        "/reports/fund/pledges",
        "POST",
        ADMIN,
        url="/reports/fund/pledges?area=LEEDS&year=2025",
        form={"source": "nhs", "amount": "1000"},
    ),
    Case(
        "/reports/fund/split",
        "POST",
        PANEL,
        url="/reports/fund/split?area=LEEDS&year=2025",
        form={"priority": "W1|walking", "amount-0": "0", "score-0": "1"},
    ),
    Case("/reports/areas", "GET", ADMIN),
    Case("/reports/areas", "POST", ADMIN, upload=True),
    Case("/reports/areas/template.csv", "GET", ADMIN),
    Case("/reports/cpi", "POST", ADMIN, form={"year": "2030", "rate": "9.9"}),
    Case("/api/v1/reports/capacity-gaps", "GET", PANEL),
]


def test_every_covered_route_has_a_case() -> None:
    assert {(c.rule, c.method) for c in CASES} == COVERED


def fingerprint() -> tuple[int, ...]:
    db.session.expire_all()
    return tuple(
        db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Area, AreaDistrict, CpiIndex, FundPledge, PanelDecision, FundAllocation)
    )


@pytest.fixture
def people(app: Flask, known: Known) -> dict[str, Any]:
    users = {role: quick_user(role) for role in ROLES if role not in ("anonymous", "provider")}
    users["provider"] = quick_user("provider", organisation=known.activities["A1"].organisation)
    tokens = {role: issue_token(user)[1] for role, user in users.items()}
    db.session.commit()
    return {"users": users, "tokens": tokens}


def send(app: Flask, case: Case, role: str, people: dict[str, Any], via: str) -> Any:
    client = app.test_client()
    headers = {}
    csrf = ""
    if role == "anonymous":
        csrf = csrf_token(client, "/sign-in")  # so the check under test is the permission
    else:
        if via == "token":
            headers = bearer(people["tokens"][role])
        else:
            csrf = signed_in(client, people["users"][role].email)
    url = case.url or case.rule
    if case.method == "GET":
        return client.get(url, headers=headers)
    data: dict[str, Any] = {**case.form, "csrf_token": csrf}
    if case.upload:
        data["file"] = (io.BytesIO(AREAS_CSV.encode()), "areas.csv")
    return client.post(url, data=data, headers=headers)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.method} {c.rule}" for c in CASES])
def test_matrix(app: Flask, people: dict[str, Any], case: Case) -> None:
    api = case.rule.startswith("/api/")
    problems = []
    for via in ("session", "token") if api else ("session",):
        for role in sorted(ROLES, key=lambda r: r in case.allowed):
            before = fingerprint()
            response = send(app, case, role, people, via)
            status = response.status_code
            if role in case.allowed:
                if status not in (200, 302) or (
                    status == 302 and urlsplit(response.location).path == "/sign-in"
                ):
                    problems.append(f"{via} {role}: allowed but got {status}")
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
