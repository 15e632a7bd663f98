"""Referral emails: who is told about which event, and that no email ever carries the
person's contact details, summary, preferred times or notes — only the activity, the
client reference, the status and a link behind sign-in."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from spdirectory.extensions import db
from spdirectory.notifications.models import OutboxEmail
from spdirectory.referrals import services
from tests.accounts.helpers import quick_user
from tests.referrals.conftest import World, api_status, refer

from .conftest import outbox

PHONE = "07700 900123"
PERSON_EMAIL = "sam.person@example.com"
SUMMARY = "Would like to get out of the house and meet people"
TIMES = "Tuesday mornings after ten"
NOTE = "Sam Jones phoned to say they feel anxious"
SECRETS = (PHONE, "900123", PERSON_EMAIL, SUMMARY, TIMES, NOTE, "Sam Jones")


def assert_private(emails: list[OutboxEmail]) -> None:
    assert emails, "expected some emails to check"
    for email in emails:
        text = f"{email.subject}\n{email.body}"
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked into email {email.kind}"


def make_referral(world: World) -> Any:
    return refer(
        world,
        email=PERSON_EMAIL,
        phone=PHONE,
        preferred_times=TIMES,
        client_reference="GP-0042",
    )


def test_new_referral_tells_the_providers_only(app: Flask, world: World) -> None:
    colleague = quick_user("provider", organisation=world.org)
    quick_user("provider", organisation=world.org, active=False)
    db.session.commit()
    app.config["BASE_URL"] = "https://directory.example.org/"
    referral = make_referral(world)
    assert referral.contact_consent and referral.contact_phone == PHONE

    emails = outbox()
    assert sorted(e.to for e in emails) == sorted([world.provider.email, colleague.email])
    email = emails[0]
    assert email.kind == "referral_new" and email.ref == f"referral:{referral.id}"
    assert email.subject == "New referral: Canal walk"
    assert "Client reference: GP-0042" in email.body
    assert "Status: Sent" in email.body
    assert f"https://directory.example.org/referrals/{referral.id}\n" in email.body
    assert_private(emails)


def test_answers_tell_the_referrer(client: FlaskClient, world: World) -> None:
    referral = make_referral(world)
    before = {e.id for e in outbox()}
    response = api_status(
        client, world, "provider", referral.id, "declined", reason="full", note=NOTE
    )
    assert response.status_code == 200, response.get_json()
    new = [e for e in outbox() if e.id not in before]
    assert [(e.to, e.kind) for e in new] == [(world.link_worker.email, "referral_declined")]
    assert new[0].subject == "Referral declined: Canal walk"
    assert "Reason: No places left" in new[0].body
    assert_private(new)


def test_each_later_step_tells_the_referrer(client: FlaskClient, world: World) -> None:
    referral = make_referral(world)
    for status in ("accepted", "attended", "completed"):
        assert api_status(client, world, "provider", referral.id, status).status_code == 200
    kinds = [e.kind for e in outbox(to=world.link_worker.email)]
    assert kinds == ["referral_accepted", "referral_attended", "referral_completed"]
    assert_private(outbox())


def test_waitlisted_tells_the_referrer(client: FlaskClient, world: World) -> None:
    referral = make_referral(world)
    assert api_status(client, world, "provider", referral.id, "waitlisted").status_code == 200
    (email,) = outbox(to=world.link_worker.email)
    assert email.kind == "referral_waitlisted"
    assert "Status: Waitlisted" in email.body


def test_withdrawal_tells_the_providers_not_the_referrer(client: FlaskClient, world: World) -> None:
    referral = make_referral(world)
    assert api_status(client, world, "link_worker", referral.id, "withdrawn").status_code == 200
    kinds = [(e.to, e.kind) for e in outbox()]
    assert (world.provider.email, "referral_withdrawn") in kinds
    assert all(to != world.link_worker.email for to, _ in kinds)


def test_nobody_is_told_about_their_own_action(app: Flask, world: World) -> None:
    # An admin referring and then answering: the providers hear of the referral, and the
    # admin (who is the referrer and the actor) gets nothing about the answer.
    referral = refer(world, by=world.admin)
    services.change_status(referral.id, "accepted", world.admin)
    db.session.commit()
    assert [e.kind for e in outbox()] == ["referral_new"]
    assert all(e.to != world.admin.email for e in outbox())


def test_a_refused_change_queues_nothing(client: FlaskClient, world: World) -> None:
    referral = make_referral(world)
    before = len(outbox())
    assert api_status(client, world, "provider", referral.id, "completed").status_code == 409
    assert api_status(client, world, "other_provider", referral.id, "accepted").status_code in (
        403,
        404,
    )
    assert len(outbox()) == before


def test_without_base_url_links_point_at_the_demo_server(app: Flask, world: World) -> None:
    assert not app.config["BASE_URL"]
    referral = make_referral(world)
    assert f"http://127.0.0.1:5000/referrals/{referral.id}" in outbox()[0].body
