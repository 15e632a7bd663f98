"""The workflow's transitions: apply, submit, ask for changes, resubmit, award, reject,
suspend, reinstate; the award follows onto the organisation's listings and search."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from spdirectory.directory.models import Activity
from spdirectory.extensions import db
from spdirectory.kitemark import services
from spdirectory.kitemark.models import KitemarkComment, KitemarkEvent
from spdirectory.kitemark.questionnaire import active_questions

from .conftest import World, awarded, complete_answers, required_uploads, submitted_application

TODAY = date(2026, 12, 2)


def listing_marks(w: World) -> list[tuple[str, date | None]]:
    db.session.expire_all()
    return [
        (a.kite_mark, a.kite_mark_valid_until)
        for a in db.session.scalars(
            select(Activity).where(Activity.organisation_id == w.org.id).order_by(Activity.id)
        )
    ]


def search_titles(client: Any, **params: Any) -> set[str]:
    response = client.get("/api/v1/activities", query_string=params)
    assert response.status_code == 200
    return {r["title"] for r in response.get_json()["results"]}


def actions(w: World) -> list[str]:
    return [e.action for e in reversed(services.history(w.org.id))]


def test_apply_change_resubmit_award(app: Flask, world: World) -> None:
    w = world
    client = app.test_client()
    application_id = submitted_application(w)
    assert services.award_of(w.org.id).status == "pending"
    # Every listing of the organisation follows, drafts too, and the search index with them.
    assert listing_marks(w) == [("pending", None), ("pending", None)]
    assert search_titles(client, kite_mark="pending") == {"Riverside Tuesday walk"}

    services.decide(
        w.reviewer,
        application_id,
        "changes",
        comments={"safeguarding": "Who is the named lead?", "training": "  "},
    )
    db.session.commit()
    application = services.open_application(w.org.id)
    assert application is not None and application.status == "changes_requested"
    comments = db.session.scalars(select(KitemarkComment)).all()
    assert [(c.question.code, c.body, c.round) for c in comments] == [
        ("safeguarding", "Who is the named lead?", 1)
    ]
    assert services.award_of(w.org.id).status == "pending"

    services.save_answers(w.provider, application_id, {"safeguarding": "Lead: Sam Smith."})
    services.submit(w.provider, application_id)
    db.session.commit()
    assert application.rounds == 2

    services.decide(w.reviewer, application_id, "approve", on=TODAY)
    db.session.commit()
    award = services.award_of(w.org.id)
    assert (award.status, award.valid_until) == ("awarded", date(2027, 12, 2))
    assert application.status == "approved" and application.open_marker is None
    assert listing_marks(w) == [("awarded", date(2027, 12, 2))] * 2
    assert search_titles(client, kite_mark="awarded") == {"Riverside Tuesday walk"}
    assert search_titles(client, kite_mark="pending") == set()
    assert actions(w) == [
        "started",
        "submitted",
        "changes_requested",
        "submitted",
        "approved",
    ]


def test_insurance_expiry_ends_the_award_early(app: Flask, world: World) -> None:
    awarded(world, on=TODAY, insurance_expiry=date(2027, 6, 30))
    award = services.award_of(world.org.id)
    assert (award.status, award.valid_until) == ("awarded", date(2027, 6, 30))


def test_award_length_is_configurable(app: Flask, world: World) -> None:
    app.config["KITEMARK_VALID_MONTHS"] = 24
    awarded(world, on=date(2028, 2, 29))
    assert services.award_of(world.org.id).valid_until == date(2030, 2, 28)


def test_lapsed_insurance_cannot_be_awarded(app: Flask, world: World) -> None:
    application_id = submitted_application(world, insurance_expiry=date(2026, 11, 30))
    with pytest.raises(services.Invalid, match="insurance"):
        services.decide(world.reviewer, application_id, "approve", on=TODAY)
    db.session.rollback()
    assert services.award_of(world.org.id).status == "pending"


def test_reject_returns_to_the_status_before(app: Flask, world: World) -> None:
    application_id = submitted_application(world)
    with pytest.raises(services.Invalid):
        services.decide(world.reviewer, application_id, "reject", note="  ")
    db.session.rollback()
    services.decide(world.reviewer, application_id, "reject", note="No insurance shown.")
    db.session.commit()
    assert services.award_of(world.org.id).status == "none"
    assert listing_marks(world) == [("none", None), ("none", None)]
    assert services.open_application(world.org.id) is None
    # A new application can be started after a rejection, and carries the answers over.
    again = services.start_application(world.provider)
    assert again.id != application_id and len(again.answers) == len(active_questions())


def test_changes_need_a_comment(app: Flask, world: World) -> None:
    application_id = submitted_application(world)
    with pytest.raises(services.Invalid) as caught:
        services.decide(world.reviewer, application_id, "changes", comments={"training": ""})
    assert "note" in caught.value.fields
    with pytest.raises(services.Invalid):
        services.decide(world.reviewer, application_id, "maybe")


def test_submission_needs_every_answer_and_required_evidence(app: Flask, world: World) -> None:
    application = services.start_application(world.provider)
    answers = complete_answers()
    del answers["training"]
    services.save_answers(world.provider, application.id, answers)
    with pytest.raises(services.Invalid) as caught:
        services.submit(world.provider, application.id)
    required = {f"evidence-{q.code}" for q in active_questions() if q.evidence == "required"}
    assert set(caught.value.fields) == {"answer-training"} | required
    db.session.rollback()
    assert services.open_application(world.org.id) is None or (
        services.open_application(world.org.id).status == "draft"
    )


def test_bad_date_answer_is_refused_and_others_kept(app: Flask, world: World) -> None:
    application = services.start_application(world.provider)
    result = services.save_answers(
        world.provider,
        application.id,
        {"insurance_expiry": "31st of never", "training": "Induction for all."},
    )
    assert set(result.errors) == {"answer-insurance_expiry"}
    answers = {a.question.code: a for a in application.answers}
    assert answers["training"].text == "Induction for all."
    assert "insurance_expiry" not in answers
    ok = services.save_answers(world.provider, application.id, {"insurance_expiry": "31/03/2027"})
    assert not ok.errors
    assert {a.question.code: a for a in application.answers}["insurance_expiry"].date_value == (
        date(2027, 3, 31)
    )


def test_a_submitted_application_is_frozen_and_decided_once(app: Flask, world: World) -> None:
    application_id = submitted_application(world)
    with pytest.raises(services.KitemarkError, match="cannot be changed"):
        services.save_answers(world.provider, application_id, {"training": "changed"})
    db.session.rollback()
    services.decide(world.reviewer, application_id, "approve", on=TODAY)
    db.session.commit()
    with pytest.raises(services.KitemarkError, match="not waiting for review"):
        services.decide(world.admin, application_id, "reject", note="too late")
    db.session.rollback()
    assert services.award_of(world.org.id).status == "awarded"


def test_one_open_application_per_organisation(app: Flask, world: World) -> None:
    first = services.start_application(world.provider)
    db.session.commit()
    assert services.start_application(world.provider).id == first.id


def test_self_review_is_refused(app: Flask, world: World) -> None:
    application_id = submitted_application(world)
    for person in (world.member_reviewer, world.provider, world.other_provider, world.link_worker):
        with pytest.raises(services.NotAllowed):
            services.decide(person, application_id, "approve", on=TODAY)
        db.session.rollback()
    with pytest.raises(services.NotAllowed):
        services.suspend(world.member_reviewer, world.org.id, "conflict of interest")
    db.session.rollback()
    assert services.award_of(world.org.id).status == "pending"
    assert (
        db.session.scalars(
            select(KitemarkEvent.action).where(KitemarkEvent.action == "approved")
        ).all()
        == []
    )


def test_an_admin_may_review(app: Flask, world: World) -> None:
    application_id = submitted_application(world)
    services.decide(world.admin, application_id, "approve", on=TODAY)
    db.session.commit()
    assert services.award_of(world.org.id).status == "awarded"


def test_suspend_and_reinstate(app: Flask, world: World) -> None:
    with pytest.raises(services.KitemarkError, match="Only an awarded"):
        services.suspend(world.reviewer, world.org.id, "Complaint received")
    db.session.rollback()
    awarded(world, on=TODAY)
    with pytest.raises(services.Invalid):
        services.suspend(world.reviewer, world.org.id, " ")
    db.session.rollback()
    services.suspend(world.reviewer, world.org.id, "Safeguarding concern raised")
    db.session.commit()
    award = services.award_of(world.org.id)
    assert (award.status, award.suspended_reason) == ("suspended", "Safeguarding concern raised")
    assert listing_marks(world)[0] == ("suspended", date(2027, 12, 2))
    client = app.test_client()
    assert search_titles(client, kite_mark="suspended") == {"Riverside Tuesday walk"}

    with pytest.raises(services.KitemarkError, match="passed"):
        services.reinstate(world.reviewer, world.org.id, "Resolved", on=date(2028, 1, 1))
    db.session.rollback()
    services.reinstate(world.reviewer, world.org.id, "Concern resolved", on=TODAY)
    db.session.commit()
    assert listing_marks(world)[0] == ("awarded", date(2027, 12, 2))
    notes = [(e.action, e.note) for e in services.history(world.org.id)[:2]]
    assert notes == [
        ("reinstated", "Concern resolved"),
        ("suspended", "Safeguarding concern raised"),
    ]


def test_renewal_keeps_the_award_while_reviewed(app: Flask, world: World) -> None:
    awarded(world, on=TODAY)
    application_id = submitted_application(world)
    assert services.award_of(world.org.id).status == "awarded"
    services.decide(world.reviewer, application_id, "reject", note="Out of date policy")
    db.session.commit()
    assert services.award_of(world.org.id).status == "awarded"
    assert listing_marks(world)[0] == ("awarded", date(2027, 12, 2))


def test_a_new_listing_shows_its_organisations_award(app: Flask, world: World, make: Any) -> None:
    awarded(world, on=TODAY)
    added = make.activity(world.org, title="Riverside Sunday walk")
    db.session.commit()
    assert (added.kite_mark, added.kite_mark_valid_until) == ("awarded", date(2027, 12, 2))
    other = make.activity(world.other_org, title="Hilltop new")
    assert other.kite_mark == "none"


def test_decisions_email_the_organisation(app: Flask, world: World) -> None:
    from spdirectory.notifications.models import OutboxEmail

    awarded(world, on=TODAY)
    emails = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
    assert {e.to for e in emails} == {
        "provider@riverside.example.org",
        "hello@riverside.example.org",
    }
    assert all(e.kind == "kitemark_approved" and "2 December 2027" in e.body for e in emails)


def test_uploads_are_attached_to_their_question(app: Flask, world: World) -> None:
    application = services.start_application(world.provider)
    result = services.save_answers(world.provider, application.id, {}, required_uploads())
    assert not result.errors
    files = services.evidence_by_question(application)
    required = [q for q in active_questions() if q.evidence == "required"]
    assert {q.id for q in required} == set(files)
    assert all(f.content_type == "application/pdf" for group in files.values() for f in group)
