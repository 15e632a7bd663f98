"""Capacity integrity: accepting consumes a place atomically; full → conflict offering the
waiting list; the waiting list keeps its order; history records every change."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from spdirectory.directory.models import Activity, CapacityChange
from spdirectory.extensions import db
from spdirectory.referrals import services
from spdirectory.referrals.models import Referral
from tests.api.helpers import assert_error

from .conftest import World, api_status, refer, reload


def history(activity_id: int) -> list[tuple[int, str]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(CapacityChange.spare_places, CapacityChange.reason)
        .where(CapacityChange.activity_id == activity_id)
        .order_by(CapacityChange.id)
    ).all()
    return [(r.spare_places, r.reason) for r in rows]


def test_accept_consumes_a_place_and_records_history(client: FlaskClient, world: World) -> None:
    referral = refer(world)
    before = history(world.activity.id)
    assert api_status(client, world, "provider", referral.id, "accepted").status_code == 200
    assert reload(Activity, world.activity.id).spare_places == 1
    assert history(world.activity.id) == [*before, (1, "referral")]


def test_full_activity_answers_conflict_offering_the_waitlist(
    client: FlaskClient, world: World
) -> None:
    first, second, third = (refer(world, client_reference=f"R{i}") for i in range(3))
    for r in (first, second):
        assert api_status(client, world, "provider", r.id, "accepted").status_code == 200
    changes = len(history(world.activity.id))
    error = assert_error(
        api_status(client, world, "provider", third.id, "accepted"), 409, "no_place_left"
    )
    assert "waiting list" in error["message"]
    after = reload(Referral, third.id)
    assert after.status == "sent" and len(after.events) == 1
    assert reload(Activity, world.activity.id).spare_places == 0
    assert len(history(world.activity.id)) == changes
    # Taking up the offer works.
    response = api_status(client, world, "provider", third.id, "waitlisted")
    assert response.status_code == 200
    assert response.get_json()["waitlist_position"] == 1


def test_full_with_closed_waitlist_says_so(client: FlaskClient, world: World) -> None:
    world.activity.spare_places = 0
    world.activity.waitlist_open = False
    db.session.commit()
    referral = refer(world)
    error = assert_error(
        api_status(client, world, "provider", referral.id, "accepted"), 409, "no_place_left"
    )
    assert "waiting list is closed" in error["message"]


def test_waitlist_keeps_order_and_promotion_takes_the_first(
    client: FlaskClient, world: World
) -> None:
    world.activity.spare_places = 0
    db.session.commit()
    queue = [refer(world, client_reference=f"W{i}") for i in range(4)]
    for r in queue:
        assert api_status(client, world, "provider", r.id, "waitlisted").status_code == 200
    ranks = [
        client.get(f"/api/v1/referrals/{r.id}", headers=world.headers("provider")).get_json()[
            "waitlist_position"
        ]
        for r in queue
    ]
    assert ranks == [1, 2, 3, 4]
    # The second leaves: the others keep their order, closing the gap.
    assert api_status(client, world, "link_worker", queue[1].id, "withdrawn").status_code == 200
    assert [r.id for r in services.waitlist(world.activity.id)] == [
        queue[0].id,
        queue[2].id,
        queue[3].id,
    ]
    # Promoting needs a free place.
    assert_error(api_status(client, world, "provider", queue[0].id, "accepted"), 409)
    world.activity = reload(Activity, world.activity.id)
    world.activity.spare_places = 1
    db.session.commit()
    promoted = services.promote_next(world.activity.id, world.provider)
    db.session.commit()
    assert promoted is not None and promoted.id == queue[0].id
    assert reload(Referral, queue[0].id).status == "accepted"
    assert reload(Referral, queue[0].id).waitlist_position is None
    assert [r.id for r in services.waitlist(world.activity.id)] == [queue[2].id, queue[3].id]
    response = client.get(f"/api/v1/referrals/{queue[3].id}", headers=world.headers("provider"))
    assert response.get_json()["waitlist_position"] == 2
    assert reload(Activity, world.activity.id).spare_places == 0


def test_withdrawing_an_accepted_referral_frees_its_place(
    client: FlaskClient, world: World
) -> None:
    referral = refer(world)
    assert api_status(client, world, "provider", referral.id, "accepted").status_code == 200
    assert reload(Activity, world.activity.id).spare_places == 1
    assert api_status(client, world, "link_worker", referral.id, "withdrawn").status_code == 200
    assert reload(Activity, world.activity.id).spare_places == 2
    assert history(world.activity.id)[-2:] == [(1, "referral"), (2, "referral")]


def test_completion_does_not_change_places(client: FlaskClient, world: World) -> None:
    referral = refer(world)
    for to in ("accepted", "attended", "completed"):
        assert api_status(client, world, "provider", referral.id, to).status_code == 200
    assert reload(Activity, world.activity.id).spare_places == 1


def _accept_in_thread(
    app: Flask, referral_id: int, user_id: int, barrier: threading.Barrier, out: list[Any]
) -> None:
    from spdirectory.accounts.models import User

    with app.app_context():
        try:
            user = db.session.get(User, user_id)
            barrier.wait(timeout=30)
            services.change_status(referral_id, "accepted", user)
            db.session.commit()
            out.append("accepted")
        except services.NoPlaceLeft:
            db.session.rollback()
            out.append("full")
        except Exception as exc:  # noqa: BLE001 - reported by the test
            db.session.rollback()
            out.append(repr(exc))
        finally:
            db.session.remove()


@pytest.mark.postgres_only
@pytest.mark.parametrize(("places", "callers"), [(3, 12), (1, 8)])
def test_parallel_accepts_never_oversubscribe(
    app: Flask, world: World, db_backend: str, places: int, callers: int
) -> None:
    if db_backend != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises every writer")
    world.activity.spare_places = places
    db.session.commit()
    referrals = [refer(world, client_reference=f"P{i}") for i in range(callers)]
    barrier = threading.Barrier(callers)
    out: list[Any] = []
    threads = [
        threading.Thread(
            target=_accept_in_thread, args=(app, r.id, world.provider.id, barrier, out)
        )
        for r in referrals
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(out) == sorted(["accepted"] * places + ["full"] * (callers - places)), out
    db.session.expire_all()
    accepted = db.session.scalar(
        select(func.count()).where(
            Referral.activity_id == world.activity.id, Referral.status == "accepted"
        )
    )
    assert accepted == places
    assert db.session.get(Activity, world.activity.id).spare_places == 0
    assert [s for s, reason in history(world.activity.id) if reason == "referral"] == list(
        range(places - 1, -1, -1)
    )


def test_parallel_accepts_on_sqlite_too(app: Flask, world: World, db_backend: str) -> None:
    """SQLite has no row locks; the write lock taken first gives the same guarantee."""
    if db_backend != "sqlite":
        pytest.skip("the PostgreSQL variant is above")
    world.activity.spare_places = 2
    db.session.commit()
    referrals = [refer(world, client_reference=f"S{i}") for i in range(6)]
    barrier = threading.Barrier(6)
    out: list[Any] = []
    threads = [
        threading.Thread(
            target=_accept_in_thread, args=(app, r.id, world.provider.id, barrier, out)
        )
        for r in referrals
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(out) == sorted(["accepted"] * 2 + ["full"] * 4), out
    assert reload(Activity, world.activity.id).spare_places == 0
