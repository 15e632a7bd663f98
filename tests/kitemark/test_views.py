"""The pages: a provider applies, a reviewer asks for changes and awards; errors are shown
with an error summary; the badge appears on listings and search results."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import select

from spdirectory.extensions import db
from spdirectory.kitemark import services
from spdirectory.kitemark.models import KitemarkApplication
from spdirectory.kitemark.questionnaire import active_questions
from tests.accounts.helpers import signed_in

from .conftest import PDF, World, complete_answers, submitted_application


def form_for_all(token: str, action: str) -> dict[str, Any]:
    data: dict[str, Any] = {"csrf_token": token, "action": action}
    for code, value in complete_answers(date(2099, 1, 1)).items():
        data[f"answer-{code}"] = value
    for q in active_questions():
        if q.evidence == "required":
            data[f"evidence-{q.code}"] = (io.BytesIO(PDF), f"{q.code}.pdf")
    return data


def test_provider_applies_through_the_pages(app: Flask, world: World) -> None:
    client = app.test_client()
    token = signed_in(client, world.provider.email)
    page = client.get("/kite-mark/your-organisation").get_data(as_text=True)
    assert "Not kite-marked" in page and "Apply for the kite mark" in page

    started = client.post("/kite-mark/applications", data={"csrf_token": token})
    assert started.status_code == 302
    application = db.session.scalars(select(KitemarkApplication)).one()
    db.session.commit()  # end this read: SQLite writers wait for readers
    edit_url = f"/kite-mark/applications/{application.id}/edit"
    assert started.location.endswith(edit_url)
    page = client.get(edit_url).get_data(as_text=True)
    for q in active_questions():
        assert q.text.replace("'", "&#39;") in page

    # Submitting with nothing answered: every gap is listed, linked to its field.
    refused = client.post(edit_url, data={"csrf_token": token, "action": "submit"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "There is a problem" in page
    assert 'href="#answer-safeguarding"' in page and 'href="#evidence-public_liability"' in page

    done = client.post(edit_url, data=form_for_all(token, "submit"))
    assert done.status_code == 302
    db.session.expire_all()
    assert application.status == "submitted"
    page = client.get("/kite-mark/your-organisation").get_data(as_text=True)
    assert "Kite mark pending" in page and "Application submitted for review" in page
    # Submitted: no more changes.
    frozen = client.get(edit_url)
    assert frozen.status_code == 302 and frozen.location.endswith(f"/applications/{application.id}")


def test_reviewer_asks_for_changes_then_awards(app: Flask, world: World) -> None:
    application_id = submitted_application(world)
    reviewer = app.test_client()
    token = signed_in(reviewer, world.reviewer.email)
    queue = reviewer.get("/kite-mark/review").get_data(as_text=True)
    assert "Riverside Walkers" in queue
    page = reviewer.get(f"/kite-mark/applications/{application_id}").get_data(as_text=True)
    assert "Record decision" in page and 'name="comment-safeguarding"' in page

    url = f"/kite-mark/applications/{application_id}/decision"
    missing = reviewer.post(url, data={"csrf_token": token, "decision": "reject"})
    assert missing.status_code == 422
    assert "Give the reason for rejecting" in missing.get_data(as_text=True)

    asked = reviewer.post(
        url,
        data={
            "csrf_token": token,
            "decision": "changes",
            "comment-safeguarding": "Please name your safeguarding lead.",
        },
    )
    assert asked.status_code == 302

    provider = app.test_client()
    provider_token = signed_in(provider, world.provider.email)
    edit_url = f"/kite-mark/applications/{application_id}/edit"
    page = provider.get(edit_url).get_data(as_text=True)
    assert "Please name your safeguarding lead." in page
    resubmitted = provider.post(
        edit_url,
        data={
            "csrf_token": provider_token,
            "action": "submit",
            "answer-safeguarding": "Our lead is Sam Smith.",
        },
    )
    assert resubmitted.status_code == 302

    awarded = reviewer.post(url, data={"csrf_token": token, "decision": "approve"})
    assert awarded.status_code == 302
    award = services.award_of(world.org.id)
    assert award.status == "awarded"
    until = f"{award.valid_until:%-d %B %Y}"
    # The badge, with its valid-until date, on the search results and the listing.
    results = app.test_client().get("/activities?kite_mark=awarded").get_data(as_text=True)
    assert "Riverside Tuesday walk" in results and "Kite-marked" in results and until in results
    listing = app.test_client().get(f"/activities/{world.listings[0].id}").get_data(as_text=True)
    assert "Kite-marked" in listing and until in listing
    history = reviewer.get(f"/kite-mark/applications/{application_id}").get_data(as_text=True)
    for label in ("Kite mark awarded", "Reviewer asked for changes", "Application submitted"):
        assert label in history


def test_a_reviewer_of_the_organisation_sees_no_decision_form(app: Flask, world: World) -> None:
    application_id = submitted_application(world)
    client = app.test_client()
    token = signed_in(client, world.member_reviewer.email)
    page = client.get(f"/kite-mark/applications/{application_id}").get_data(as_text=True)
    assert "You cannot review this application" in page and "Record decision" not in page
    refused = client.post(
        f"/kite-mark/applications/{application_id}/decision",
        data={"csrf_token": token, "decision": "approve"},
    )
    assert refused.status_code == 403
    assert services.award_of(world.org.id).status == "pending"


def test_suspend_through_the_page(app: Flask, world: World) -> None:
    from .conftest import awarded

    awarded(world)
    client = app.test_client()
    token = signed_in(client, world.reviewer.email)
    url = f"/kite-mark/organisations/{world.org.id}"
    assert "Suspend the kite mark" in client.get(url).get_data(as_text=True)
    empty = client.post(f"{url}/suspend", data={"csrf_token": token, "reason": ""})
    assert empty.status_code == 422 and "Give the reason" in empty.get_data(as_text=True)
    done = client.post(f"{url}/suspend", data={"csrf_token": token, "reason": "Complaint"})
    assert done.status_code == 302
    assert services.award_of(world.org.id).status == "suspended"
    page = client.get(url).get_data(as_text=True)
    assert "Lift the suspension" in page and "Complaint" in page
    listing = app.test_client().get(f"/activities/{world.listings[0].id}").get_data(as_text=True)
    assert "Kite mark suspended" in listing


def test_the_public_page_says_what_it_means_and_does_not(app: Flask) -> None:
    page = app.test_client().get("/kite-mark").get_data(as_text=True)
    assert "What it means" in page and "What it does not mean" in page
    assert "12 months" in page
