"""Who may use each kite-mark route. Providers work on their own organisation's application;
reviewers and admins review, but never an organisation they belong to (`reviewer_member`);
evidence is for the organisation and reviewers only. Everyone else is refused (anonymous:
sign-in redirect; wrong role: 403; another organisation's application: 404) and the database
is unchanged."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from spdirectory.extensions import db
from spdirectory.kitemark import services
from spdirectory.kitemark.models import (
    KitemarkAnswer,
    KitemarkApplication,
    KitemarkAward,
    KitemarkComment,
    KitemarkEvent,
    KitemarkEvidence,
    KitemarkQuestion,
)
from spdirectory.kitemark.questionnaire import active_questions
from tests.accounts.helpers import csrf_token, signed_in

from .conftest import PDF, World, awarded, complete_answers, required_uploads
from .permission_matrix import COVERED

ROLES = (
    "anonymous",
    "admin",
    "link_worker",
    "panel",
    "provider_own",
    "provider_other",
    "reviewer",
    "reviewer_member",
)
PROVIDERS = frozenset({"provider_own", "provider_other"})
OWN = frozenset({"provider_own"})
REVIEWERS = frozenset({"reviewer", "admin"})  # not reviewer_member: self-review refused
VIEWERS = frozenset({"provider_own", "reviewer", "reviewer_member", "admin"})
ADMIN = frozenset({"admin"})
APP = "/kite-mark/applications/<int:application_id>"
QUESTION = {
    "code": "hijack",
    "text": "Hijacked question",
    "kind": "text",
    "evidence": "none",
    "position": "1",
    "active": "y",
}
ORG = "/kite-mark/organisations/<int:organisation_id>"


@dataclass(frozen=True)
class Case:
    rule: str
    method: str
    allowed: frozenset[str]
    state: str = "draft"  # draft, submitted, awarded, suspended
    form: dict[str, Any] = field(default_factory=dict)
    upload: bool = False
    hidden: frozenset[str] = frozenset()  # refused with 404 rather than 403
    forbidden: frozenset[str] = frozenset()  # refused with 403 although the role may use
    # routes of this kind elsewhere (a reviewer of the organisation)


CASES = [
    Case("/kite-mark/your-organisation", "GET", PROVIDERS),
    Case("/kite-mark/applications", "POST", PROVIDERS, state="none"),
    Case(APP, "GET", VIEWERS, state="submitted", hidden=frozenset({"provider_other"})),
    Case(f"{APP}/edit", "GET", OWN, hidden=frozenset({"provider_other"})),
    Case(
        f"{APP}/edit",
        "POST",
        OWN,
        form={"answer-training": "Hijacked", "action": "save"},
        upload=True,
        hidden=frozenset({"provider_other"}),
    ),
    Case(
        f"{APP}/evidence/<int:evidence_id>/delete",
        "POST",
        OWN,
        hidden=frozenset({"provider_other"}),
    ),
    Case(
        "/kite-mark/evidence/<int:evidence_id>",
        "GET",
        VIEWERS,
        hidden=frozenset({"provider_other"}),
    ),
    Case("/kite-mark/review", "GET", REVIEWERS | {"reviewer_member"}),
    Case(
        f"{APP}/decision",
        "POST",
        REVIEWERS,
        state="submitted",
        form={"decision": "approve"},
    ),
    Case(ORG, "GET", REVIEWERS | {"reviewer_member"}, state="awarded"),
    Case(f"{ORG}/suspend", "POST", REVIEWERS, state="awarded", form={"reason": "Hijack"}),
    Case(f"{ORG}/reinstate", "POST", REVIEWERS, state="suspended", form={"reason": "Hijack"}),
    Case("/kite-mark/questions", "GET", ADMIN),
    Case("/kite-mark/questions/new", "GET", ADMIN),
    Case("/kite-mark/questions/new", "POST", ADMIN, form=QUESTION),
    Case("/kite-mark/questions/<int:question_id>/edit", "GET", ADMIN),
    Case("/kite-mark/questions/<int:question_id>/edit", "POST", ADMIN, form=QUESTION),
]


def test_every_covered_route_has_a_case() -> None:
    assert {(c.rule, c.method) for c in CASES} == COVERED


def fingerprint() -> tuple[Any, ...]:
    db.session.expire_all()
    counts = tuple(
        db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (
            KitemarkApplication,
            KitemarkAnswer,
            KitemarkEvidence,
            KitemarkComment,
            KitemarkEvent,
        )
    )
    statuses = tuple(db.session.execute(select(KitemarkApplication.status)).scalars())
    awards = tuple(db.session.execute(select(KitemarkAward.status)).scalars())
    answers = tuple(sorted(db.session.execute(select(KitemarkAnswer.text)).scalars()))
    questions = tuple(
        db.session.execute(
            select(KitemarkQuestion.code, KitemarkQuestion.text, KitemarkQuestion.active)
        ).all()
    )
    return counts, statuses, awards, answers, questions


def build(w: World, state: str) -> dict[str, int]:
    """The organisation's kite-mark record in the state the case needs; ids for the URL."""
    ids = {"organisation_id": w.org.id, "question_id": active_questions()[0].id}
    if state == "none":
        return ids
    if state in ("awarded", "suspended"):
        application_id = awarded(w, on=date.today())
        if state == "suspended":
            services.suspend(w.reviewer, w.org.id, "Concern")
    else:
        application = services.start_application(w.provider)
        services.save_answers(w.provider, application.id, complete_answers(), required_uploads())
        application_id = application.id
        if state == "submitted":
            services.submit(w.provider, application_id)
    db.session.commit()
    ids["application_id"] = application_id
    ids["evidence_id"] = db.session.scalars(
        select(KitemarkEvidence.id).where(KitemarkEvidence.application_id == application_id)
    ).first()
    return ids


def people(w: World) -> dict[str, str]:
    return {
        "admin": w.admin.email,
        "link_worker": w.link_worker.email,
        "panel": w.panel.email,
        "provider_own": w.provider.email,
        "provider_other": w.other_provider.email,
        "reviewer": w.reviewer.email,
        "reviewer_member": w.member_reviewer.email,
    }


def url_for_case(case: Case, ids: dict[str, int]) -> str:
    url = case.rule
    for name, value in ids.items():
        url = url.replace(f"<int:{name}>", str(value))
    assert "<" not in url, url
    return url


def send(app: Flask, case: Case, role: str, url: str, emails: dict[str, str]) -> Any:
    client = app.test_client()
    if role == "anonymous":
        csrf = csrf_token(client, "/sign-in")  # so the check under test is the permission
    else:
        csrf = signed_in(client, emails[role])
    if case.method == "GET":
        response = client.get(url)
        response.close()
        return response
    data: dict[str, Any] = {**case.form, "csrf_token": csrf}
    if case.upload:
        data["evidence-complaints"] = (io.BytesIO(PDF), "hijack.pdf")
    return client.post(url, data=data)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.method} {c.rule}" for c in CASES])
def test_matrix(app: Flask, world: World, case: Case) -> None:
    ids = build(world, case.state)
    url = url_for_case(case, ids)
    emails = people(world)
    problems = []
    # Refused roles first, so that an allowed POST has not changed anything yet.
    for role in sorted(ROLES, key=lambda r: r in case.allowed):
        before = fingerprint()
        response = send(app, case, role, url, emails)
        status = response.status_code
        if role in case.allowed:
            if status not in (200, 302) or (
                status == 302 and urlsplit(response.location).path == "/sign-in"
            ):
                problems.append(f"{role}: allowed but got {status}")
            continue
        if role == "anonymous":
            ok = status == 302 and urlsplit(response.location).path == "/sign-in"
        elif role in case.hidden:
            ok = status == 404
        else:
            ok = status == 403
        if not ok:
            problems.append(f"{role}: expected refusal, got {status}")
        if fingerprint() != before:
            problems.append(f"{role}: refused, but the database changed")
    assert not problems, "\n".join(problems)
