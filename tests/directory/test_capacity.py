"""Spare capacity: validation, history, confirmation, staleness and concurrent updates."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from spdirectory.audit import acting_as
from spdirectory.directory.capacity import (
    CapacityError,
    confirm_still_accurate,
    lock_activity,
    update_capacity,
    validate_capacity,
)
from spdirectory.directory.models import Activity, CapacityChange
from spdirectory.extensions import db

WHEN = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def history(activity_id: int) -> list[CapacityChange]:
    return list(
        db.session.scalars(
            select(CapacityChange)
            .where(CapacityChange.activity_id == activity_id)
            .order_by(CapacityChange.id)
        )
    )


@pytest.mark.parametrize(
    ("capacity", "spare", "field", "message"),
    [
        (10, None, "spare_places", "Enter the number of spare places (0 if full)"),
        (10, -1, "spare_places", "Spare places cannot be negative"),
        (-5, 0, "capacity", "Places per week cannot be negative"),
        (10, 11, "spare_places", "Spare places (11) cannot be more than places per week (10)"),
    ],
)
def test_validate_capacity_refuses(
    capacity: int | None, spare: int | None, field: str, message: str
) -> None:
    with pytest.raises(CapacityError) as caught:
        validate_capacity(capacity, spare)
    assert (caught.value.field, str(caught.value)) == (field, message)


@pytest.mark.parametrize(("capacity", "spare"), [(10, 10), (10, 0), (None, 500), (0, 0)])
def test_validate_capacity_accepts(capacity: int | None, spare: int) -> None:
    assert validate_capacity(capacity, spare) is None  # and no CapacityError


def test_update_capacity_sets_fields_and_writes_history(app: Flask, make: Any) -> None:
    provider = make.user("provider")
    walk = make.activity(provider.organisation, capacity="10", spare_places="3")
    make.commit()
    with acting_as(provider):
        update_capacity(walk, spare_places=0, waitlist_open=True, reason="quick_update", now=WHEN)
        db.session.commit()
    db.session.expire_all()
    assert (walk.capacity, walk.spare_places, walk.waitlist_open) == (10, 0, True)
    assert walk.capacity_updated_at == WHEN
    rows = history(walk.id)
    assert [(r.reason, r.capacity, r.spare_places, r.waitlist_open) for r in rows] == [
        ("create", 10, 3, False),
        ("quick_update", 10, 0, True),
    ]
    assert rows[-1].at == WHEN
    assert rows[-1].user_id == provider.id
    assert rows[0].user_id is None


def test_update_capacity_can_change_capacity_and_keeps_waitlist(app: Flask, make: Any) -> None:
    walk = make.activity(capacity="10", spare_places="3", waitlist="yes")
    make.commit()
    before = walk.capacity_updated_at
    update_capacity(walk, spare_places=15, capacity=20, reason="api")
    db.session.commit()
    db.session.expire_all()
    assert (walk.capacity, walk.spare_places, walk.waitlist_open) == (20, 15, True)
    assert walk.capacity_updated_at > before
    assert history(walk.id)[-1].reason == "api"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"spare_places": -1}, "Spare places cannot be negative"),
        ({"spare_places": 11}, "Spare places (11) cannot be more than places per week (10)"),
        ({"spare_places": 6, "capacity": 5}, "cannot be more than places per week (5)"),
        ({"spare_places": 0, "capacity": -1}, "Places per week cannot be negative"),
    ],
)
def test_update_capacity_refuses_and_changes_nothing(
    app: Flask, make: Any, changes: dict[str, int], message: str
) -> None:
    walk = make.activity(capacity="10", spare_places="3", capacity_updated_at=WHEN)
    make.commit()
    with pytest.raises(CapacityError, match=message.replace("(", r"\(").replace(")", r"\)")):
        update_capacity(walk, waitlist_open=True, **changes)
    db.session.commit()
    db.session.expire_all()
    assert (walk.capacity, walk.spare_places, walk.waitlist_open) == (10, 3, False)
    assert walk.capacity_updated_at == WHEN
    assert [r.reason for r in history(walk.id)] == ["create"]


def test_confirm_still_accurate(app: Flask, make: Any) -> None:
    walk = make.activity(capacity="10", spare_places="3", capacity_updated_at=make.days_ago(40))
    make.commit()
    assert walk.is_stale(30)
    confirm_still_accurate(walk, now=WHEN)
    db.session.commit()
    db.session.expire_all()
    assert walk.capacity_updated_at == WHEN
    assert not walk.is_stale(30, now=WHEN + timedelta(days=1))
    last = history(walk.id)[-1]
    assert (last.reason, last.at, last.capacity, last.spare_places) == ("confirm", WHEN, 10, 3)


def test_staleness(app: Flask, make: Any) -> None:
    walk = make.activity(capacity_updated_at=WHEN)
    assert not walk.is_stale(30, now=WHEN + timedelta(days=30))  # on the day: still fresh
    assert walk.is_stale(30, now=WHEN + timedelta(days=30, seconds=1))
    assert walk.days_since_capacity_update(now=WHEN + timedelta(days=12, hours=23)) == 12
    fresh = make.activity()
    assert not fresh.is_stale(app.config["STALE_AFTER_DAYS"])


def test_history_reasons_do_not_leak_between_flushes(app: Flask, make: Any) -> None:
    walk = make.activity(capacity="10", spare_places="3")
    make.commit()
    update_capacity(walk, spare_places=2, reason="referral")
    db.session.commit()
    walk.spare_places = 1  # a plain edit afterwards
    db.session.commit()
    walk.title = "Renamed"  # not a capacity field: no history
    db.session.commit()
    assert [r.reason for r in history(walk.id)] == ["create", "referral", "edit"]
    assert [r.spare_places for r in history(walk.id)] == [3, 2, 1]


def test_lock_activity_loads_or_returns_none(app: Flask, make: Any) -> None:
    walk = make.activity()
    make.commit()
    assert lock_activity(walk.id) is walk
    assert lock_activity(walk.id + 1000) is None
    db.session.rollback()


def test_concurrent_updates_are_serialised(app: Flask, make: Any, db_backend: str) -> None:
    if db_backend != "postgresql":
        pytest.skip(
            "needs PostgreSQL: SQLite has no row locks (SELECT … FOR UPDATE is ignored) and "
            "allows one writer at a time, so there is no race to test"
        )
    start = 50
    workers = 8
    walk = make.activity(capacity="100", spare_places=str(start))
    make.commit()
    activity_id = walk.id
    barrier = threading.Barrier(workers)
    failures: list[BaseException] = []

    def take_a_place() -> None:
        # Each thread has its own app context, so its own session and connection.
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                activity = lock_activity(activity_id)
                assert activity is not None
                # Read-modify-write, as when a referral takes a place: without the lock,
                # two threads would read the same number and one update would be lost.
                update_capacity(activity, spare_places=activity.spare_places - 1, reason="referral")
                time.sleep(0.02)  # hold the lock long enough for the others to queue
                db.session.commit()
            except BaseException as exc:  # reported in the main thread
                failures.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=take_a_place) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert failures == []

    db.session.expire_all()
    final = db.session.get(Activity, activity_id)
    assert final is not None
    rows = [r for r in history(activity_id) if r.reason == "referral"]
    # Every update recorded, one place fewer each time, in commit order.
    assert [r.spare_places for r in rows] == list(range(start - 1, start - 1 - workers, -1))
    assert [r.at for r in rows] == sorted(r.at for r in rows)
    # The final value is the last committed one.
    assert final.spare_places == start - workers == rows[-1].spare_places
    assert final.capacity_updated_at == rows[-1].at
