"""Two people acting on the same record at once: exactly one wins, the other is told."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from spdirectory.accounts.models import User
from spdirectory.extensions import db
from spdirectory.kitemark import services
from spdirectory.kitemark.models import KitemarkEvent

from .conftest import World, submitted_application


def _decide_in_thread(
    app: Flask,
    application_id: int,
    user_id: int,
    decision: str,
    barrier: threading.Barrier,
    out: list[Any],
) -> None:
    with app.app_context():
        try:
            user = db.session.get(User, user_id)
            barrier.wait(timeout=30)
            services.decide(
                user, application_id, decision, note="Not enough evidence", on=date(2026, 12, 2)
            )
            db.session.commit()
            out.append(decision)
        except services.KitemarkError:
            db.session.rollback()
            out.append("refused")
        except Exception as exc:  # noqa: BLE001 - reported by the test
            db.session.rollback()
            out.append(repr(exc))
        finally:
            db.session.remove()


def test_two_reviewers_decide_one_application(app: Flask, world: World, db_backend: str) -> None:
    """On PostgreSQL the row lock decides; on SQLite the first writer's lock does."""
    application_id = submitted_application(world)
    barrier = threading.Barrier(2)
    out: list[Any] = []
    threads = [
        threading.Thread(
            target=_decide_in_thread,
            args=(app, application_id, person.id, decision, barrier, out),
        )
        for person, decision in ((world.reviewer, "approve"), (world.admin, "reject"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(out) == 2 and "refused" in out, out
    winner = next(o for o in out if o != "refused")
    assert winner in ("approve", "reject"), out
    db.session.expire_all()
    decisions = db.session.scalar(
        select(func.count(KitemarkEvent.id)).where(
            KitemarkEvent.action.in_(("approved", "rejected"))
        )
    )
    assert decisions == 1
    expected = "awarded" if winner == "approve" else "none"
    assert services.award_of(world.org.id).status == expected


@pytest.mark.postgres_only
def test_expiry_does_not_undo_a_renewal_awarded_meanwhile(
    app: Flask, world: World, db_backend: str
) -> None:
    if db_backend != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises every writer")
    from .conftest import awarded

    awarded(world, on=date(2025, 12, 1))  # valid until 1 December 2026
    renewal = submitted_application(world)
    barrier = threading.Barrier(2)
    out: list[Any] = []

    def expire() -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                out.append(len(services.expire(on=date(2026, 12, 2))))
                db.session.commit()
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=expire),
        threading.Thread(
            target=_decide_in_thread,
            args=(app, renewal, world.reviewer.id, "approve", barrier, out),
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    db.session.expire_all()
    award = services.award_of(world.org.id)
    # Whichever ran first, the renewal stands: awarded, valid until a year after the decision.
    assert (award.status, award.valid_until) == ("awarded", date(2027, 12, 2)), out
