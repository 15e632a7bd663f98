"""The whole state machine (DOMAIN.md): every status × every status, legal or 409."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from spdirectory import vocab
from spdirectory.extensions import db
from spdirectory.referrals import states
from spdirectory.referrals.models import Referral, ReferralEvent
from tests.api.helpers import assert_error

from .conftest import World, api_status, refer, reload

# How to reach each status from "sent", and who does each step.
PATHS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "sent": [],
    "accepted": [("provider", "accepted", {})],
    "waitlisted": [("provider", "waitlisted", {})],
    "declined": [("provider", "declined", {"reason": "unsuitable"})],
    "attended": [("provider", "accepted", {}), ("provider", "attended", {})],
    "did_not_attend": [("provider", "accepted", {}), ("provider", "did_not_attend", {})],
    "completed": [
        ("provider", "accepted", {}),
        ("provider", "attended", {}),
        ("provider", "completed", {}),
    ],
    "dropped_out": [
        ("provider", "accepted", {}),
        ("provider", "attended", {}),
        ("provider", "dropped_out", {}),
    ],
    "withdrawn": [("link_worker", "withdrawn", {})],
}

EXPECTED = {
    ("sent", "accepted"),
    ("sent", "waitlisted"),
    ("sent", "declined"),
    ("sent", "withdrawn"),
    ("waitlisted", "accepted"),
    ("waitlisted", "withdrawn"),
    ("accepted", "attended"),
    ("accepted", "did_not_attend"),
    ("accepted", "withdrawn"),
    ("attended", "completed"),
    ("attended", "dropped_out"),
    ("attended", "withdrawn"),
}


def test_transitions_are_exactly_the_domain_ones() -> None:
    # Written out by hand from DOMAIN.md (plus promotion from the waiting list, issue 4).
    assert set(states.TRANSITIONS) == EXPECTED
    assert set(PATHS) == set(vocab.REFERRAL_STATUS)


@pytest.fixture
def roomy(world: World) -> World:
    world.activity.capacity = 500
    world.activity.spare_places = 400
    db.session.commit()
    return world


def drive(client: FlaskClient, world: World, referral_id: int, status: str) -> None:
    for who, to, body in PATHS[status]:
        response = api_status(client, world, who, referral_id, to, **body)
        assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("from_status", list(PATHS))
def test_every_transition_from(client: FlaskClient, roomy: World, from_status: str) -> None:
    world = roomy
    for to_status in vocab.REFERRAL_STATUS:
        referral = refer(world, client_reference=f"{from_status}-{to_status}")
        drive(client, world, referral.id, from_status)
        events_before = db.session.scalar(
            select(func.count()).where(ReferralEvent.referral_id == referral.id)
        )
        body = {"reason": "other"} if to_status == "declined" else {}
        # An admin may make any transition, so only legality decides here.
        response = api_status(client, world, "admin", referral.id, to_status, **body)
        after = reload(Referral, referral.id)
        if (from_status, to_status) in EXPECTED:
            assert response.status_code == 200, (from_status, to_status, response.get_json())
            assert response.get_json()["status"] == to_status
            assert after.status == to_status
            last = after.events[-1]
            assert (last.from_status, last.to_status) == (from_status, to_status)
            assert last.actor_id == world.admin.id and last.at is not None
        else:
            error = assert_error(response, 409, "illegal_transition")
            assert to_status in error["message"] or "cannot become" in error["message"]
            assert after.status == from_status
            assert len(after.events) == events_before


def test_each_step_records_who_and_when(client: FlaskClient, world: World) -> None:
    referral = refer(world)
    for who, to in (("provider", "accepted"), ("provider", "attended"), ("provider", "completed")):
        assert api_status(client, world, who, referral.id, to).status_code == 200
    after = reload(Referral, referral.id)
    steps = [(e.from_status, e.to_status, e.actor_id) for e in after.events]
    assert steps == [
        (None, "sent", world.link_worker.id),
        ("sent", "accepted", world.provider.id),
        ("accepted", "attended", world.provider.id),
        ("attended", "completed", world.provider.id),
    ]
    times = [e.at for e in after.events]
    assert times == sorted(times)
    assert after.responded_at == after.events[1].at
    assert after.closed_at == after.events[-1].at


def test_decline_needs_a_known_reason(client: FlaskClient, world: World) -> None:
    referral = refer(world)
    assert_error(api_status(client, world, "provider", referral.id, "declined"), 422, "invalid")
    assert_error(api_status(client, world, "provider", referral.id, "declined", reason="busy"), 422)
    assert reload(Referral, referral.id).status == "sent"
    response = api_status(
        client, world, "provider", referral.id, "declined", reason="out_of_area", note="LS only"
    )
    assert response.status_code == 200
    after = reload(Referral, referral.id)
    assert (after.status, after.decline_reason) == ("declined", "out_of_area")
    assert after.events[-1].note == "LS only"
    assert after.closed_at is not None and after.responded_at is not None


def test_unknown_status_is_invalid_not_a_conflict(client: FlaskClient, world: World) -> None:
    referral = refer(world)
    assert_error(api_status(client, world, "admin", referral.id, "lost"), 422, "invalid")


@pytest.mark.parametrize(
    ("who", "to_status"),
    [
        ("link_worker", "accepted"),
        ("link_worker", "declined"),
        ("provider", "withdrawn"),
        ("other_link_worker", "withdrawn"),
    ],
)
def test_transitions_belong_to_one_side(
    client: FlaskClient, world: World, who: str, to_status: str
) -> None:
    referral = refer(world)
    response = api_status(client, world, who, referral.id, to_status, reason="full")
    # The other link worker cannot see the referral at all.
    assert response.status_code == (404 if who == "other_link_worker" else 403)
    assert reload(Referral, referral.id).status == "sent"
