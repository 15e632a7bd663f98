"""Who may use each referral route: every role × every route, refused ones change nothing.

Roles: anonymous; admin; the referring link worker; another link worker; a provider of the
receiving organisation; a provider of another organisation; panel; reviewer.
Refusals: anonymous → sign-in redirect (pages) or 401 (API); wrong role → 403; someone else's
referral → 404 (its existence is not confirmed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from spdirectory.audit import AuditEvent
from spdirectory.directory.models import Activity, CapacityChange
from spdirectory.extensions import db
from spdirectory.referrals.models import Referral, ReferralEvent, ReferralOutcome
from tests.accounts.helpers import bearer, signed_in

from .conftest import World, refer
from .permission_matrix import COVERED

ROLES = {
    "anonymous": None,
    "admin": "admin",
    "referrer": "link_worker",
    "link_worker_other": "other_link_worker",
    "provider_own": "provider",
    "provider_other": "other_provider",
    "panel": "panel",
    "reviewer": "reviewer",
}
SIGN_IN = "sign in"
OUTCOME = {
    "stage": "end",
    "life_satisfaction": "7",
    "worthwhile": "7",
    "happy": "7",
    "anxious": "2",
}


@dataclass(frozen=True)
class Case:
    rule: str
    method: str
    allowed: frozenset[str]
    # What each refused signed-in role gets (default 403).
    refused: dict[str, int] = field(default_factory=dict)
    form: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    accepted_first: bool = False  # the referral is accepted before the request

    @property
    def api(self) -> bool:
        return self.rule.startswith("/api/")


HIDDEN = {"link_worker_other": 404, "provider_other": 404}
R = "/referrals/<int:referral_id>"
CASES = [
    Case(
        "/referrals/new/<int:activity_id>",
        "GET",
        frozenset({"admin", "referrer", "link_worker_other"}),
    ),
    Case(
        "/referrals/new/<int:activity_id>",
        "POST",
        frozenset({"admin", "referrer", "link_worker_other"}),
        form={"client_reference": "NEW-1", "needs": "loneliness"},
    ),
    Case(R, "GET", frozenset({"admin", "referrer", "provider_own"}), refused=HIDDEN),
    # Before acceptance only the referrer; admins never (they run the service, not care).
    Case(f"{R}/contact", "GET", frozenset({"referrer"}), refused=HIDDEN),
    Case(
        f"{R}/contact",
        "GET",
        frozenset({"referrer", "provider_own"}),
        refused=HIDDEN,
        accepted_first=True,
    ),
    Case(
        f"{R}/status",
        "POST",
        frozenset({"admin", "provider_own"}),
        refused=HIDDEN,
        form={"status": "accepted"},
    ),
    Case(
        f"{R}/status",
        "POST",
        frozenset({"admin", "referrer"}),
        refused=HIDDEN,
        form={"status": "withdrawn"},
    ),
    Case(f"{R}/outcomes", "POST", frozenset({"referrer"}), refused=HIDDEN, form=OUTCOME),
    Case(
        f"{R}/outcomes",
        "POST",
        frozenset({"referrer", "provider_own"}),
        refused=HIDDEN,
        form=OUTCOME,
        accepted_first=True,
    ),
    Case(
        "/referrals/activities/<int:activity_id>/promote",
        "POST",
        frozenset({"admin", "provider_own"}),
    ),
    Case("/referrals/inbox", "GET", frozenset({"admin", "provider_own", "provider_other"})),
    Case("/referrals/caseload", "GET", frozenset({"admin", "referrer", "link_worker_other"})),
    Case(
        "/api/v1/referrals",
        "POST",
        frozenset({"admin", "referrer", "link_worker_other"}),
        json={"activity_id": "{activity_id}", "client_reference": "API-1", "needs": []},
    ),
    Case(
        "/api/v1/referrals/<int:referral_id>",
        "GET",
        frozenset({"admin", "referrer", "provider_own"}),
        refused=HIDDEN,
    ),
    Case(
        "/api/v1/referrals/<int:referral_id>/status",
        "POST",
        frozenset({"admin", "provider_own"}),
        refused=HIDDEN,
        json={"status": "accepted"},
    ),
    Case(
        "/api/v1/referrals/<int:referral_id>/status",
        "POST",
        frozenset({"admin", "referrer"}),
        refused=HIDDEN,
        json={"status": "withdrawn"},
    ),
]


def test_every_covered_route_has_cases(app: Flask) -> None:
    assert {(c.rule, c.method) for c in CASES} == COVERED
    rules = {(r.rule, m) for r in app.url_map.iter_rules() for m in r.methods or ()}
    assert rules >= COVERED


def fingerprint() -> tuple[Any, ...]:
    db.session.expire_all()

    def count(model: Any) -> int:
        return db.session.scalar(select(func.count()).select_from(model)) or 0

    return (
        tuple(db.session.execute(select(Referral.id, Referral.status).order_by(Referral.id))),
        tuple(db.session.execute(select(Activity.id, Activity.spare_places).order_by(Activity.id))),
        count(ReferralEvent),
        count(ReferralOutcome),
        count(CapacityChange),
        db.session.scalar(select(func.count()).where(AuditEvent.action == "viewed_contact")),
    )


def _fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{"):
        return ids[value.strip("{}")]
    return value


def _request(client: FlaskClient, case: Case, world: World, role: str, ids: dict[str, int]) -> Any:
    url = case.rule.replace("<int:referral_id>", str(ids["referral_id"])).replace(
        "<int:activity_id>", str(ids["activity_id"])
    )
    who = ROLES[role]
    if case.api:
        headers = bearer(world.tokens[who]) if who else {}
        if case.method == "GET":
            return client.get(url, headers=headers)
        return client.post(url, json=_fill(case.json, ids), headers=headers)
    token = None
    if who:
        token = signed_in(client, getattr(world, who).email)
    if case.method == "GET":
        return client.get(url)
    if token is None:
        from tests.accounts.helpers import csrf_token

        token = csrf_token(client, "/sign-in")
    return client.post(url, data={**_fill(case.form, ids), "csrf_token": token})


@pytest.mark.parametrize(
    "case",
    CASES,
    ids=lambda c: (
        f"{c.method} {c.rule}{' [accepted]' if c.accepted_first else ''} {sorted(c.allowed)}"
    ),
)
def test_route_permissions(app: Flask, world: World, case: Case) -> None:
    for role in ROLES:
        referral = refer(world, client_reference=f"{role}")
        # Places and a waiting list for the promote route.
        waiting = refer(world, client_reference=f"{role}-w")
        from spdirectory.referrals import services

        services.change_status(waiting.id, "waitlisted", world.provider)
        if case.accepted_first:
            services.change_status(referral.id, "accepted", world.provider)
        world.activity.spare_places = 5
        db.session.commit()
        ids = {"referral_id": referral.id, "activity_id": world.activity.id}
        before = fingerprint()
        client = app.test_client()
        response = _request(client, case, world, role, ids)
        if role in case.allowed:
            assert response.status_code in (200, 201, 302), (role, response.status_code)
            if response.status_code == 302:
                assert "/sign-in" not in response.headers["Location"], role
            continue
        if role == "anonymous":
            if case.api:
                assert response.status_code == 401, role
            else:
                assert response.status_code == 302, role
                assert "/sign-in" in response.headers["Location"]
        else:
            expected = case.refused.get(role, 403)
            assert response.status_code == expected, (role, response.status_code)
        assert fingerprint() == before, f"{role} changed the database"
