"""Automatic expiry and renewal reminders, driven by the cron commands with --today."""

from __future__ import annotations

from datetime import date

from flask import Flask
from sqlalchemy import select

from spdirectory.directory.models import Activity
from spdirectory.extensions import db
from spdirectory.kitemark import services
from spdirectory.notifications.models import OutboxEmail

from .conftest import World, awarded

AWARDED_ON = date(2026, 1, 15)
VALID_UNTIL = date(2027, 1, 15)


def run(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["kitemark", *args])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def reminders() -> list[OutboxEmail]:
    return list(
        db.session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.kind == "kitemark_reminder")
            .order_by(OutboxEmail.id)
        )
    )


def listing_mark(w: World) -> str:
    db.session.expire_all()
    return db.session.get(Activity, w.listings[0].id).kite_mark


def test_reminder_30_days_ahead_once(app: Flask, world: World) -> None:
    awarded(world, on=AWARDED_ON)
    assert "Reminded 0" in run(app, "remind", "--today", "2026-12-15")  # 31 days ahead
    assert reminders() == []

    assert "Reminded 1" in run(app, "remind", "--today", "2026-12-16")  # 30 days ahead
    sent = reminders()
    assert {e.to for e in sent} == {"provider@riverside.example.org", "hello@riverside.example.org"}
    assert all("15 January 2027" in e.subject and "30 days" in e.body for e in sent)
    assert all(e.ref == f"kitemark:{world.org.id}:2027-01-15" for e in sent)

    # Running again (the next day's cron) does not repeat it.
    assert "Reminded 0" in run(app, "remind", "--today", "2026-12-17")
    assert len(reminders()) == 2
    assert services.award_of(world.org.id).reminded_for == VALID_UNTIL
    assert services.history(world.org.id)[0].action == "reminded"


def test_a_renewed_award_is_reminded_again(app: Flask, world: World) -> None:
    awarded(world, on=AWARDED_ON)
    run(app, "remind", "--today", "2027-01-01")
    awarded(world, on=date(2027, 1, 2))  # renewed: valid until 2 January 2028
    assert "Reminded 0" in run(app, "remind", "--today", "2027-01-10")
    assert "Reminded 1" in run(app, "remind", "--today", "2027-12-20")
    assert len(reminders()) == 4


def test_expiry_the_day_after_valid_until(app: Flask, world: World) -> None:
    awarded(world, on=AWARDED_ON)
    assert "Expired 0" in run(app, "expire", "--today", "2027-01-15")  # last valid day
    assert listing_mark(world) == "awarded"

    assert "Expired 1" in run(app, "expire", "--today", "2027-01-16")
    award = services.award_of(world.org.id)
    assert (award.status, award.valid_until) == ("expired", VALID_UNTIL)
    assert listing_mark(world) == "expired"
    response = app.test_client().get("/api/v1/activities", query_string={"kite_mark": "expired"})
    assert [r["title"] for r in response.get_json()["results"]] == ["Riverside Tuesday walk"]
    assert services.history(world.org.id)[0].action == "expired"
    expired_emails = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.kind == "kitemark_expired")
    ).all()
    assert len(expired_emails) == 2

    # Idempotent: nothing more to do the next day.
    assert "Expired 0" in run(app, "expire", "--today", "2027-01-17")
    # An expired kite mark is not reminded.
    assert "Reminded 0" in run(app, "remind", "--today", "2027-01-17")


def test_a_suspended_award_also_expires(app: Flask, world: World) -> None:
    awarded(world, on=AWARDED_ON)
    services.suspend(world.reviewer, world.org.id, "Concern")
    db.session.commit()
    assert "Reminded 0" in run(app, "remind", "--today", "2027-01-01")
    run(app, "expire", "--today", "2027-02-01")
    assert services.award_of(world.org.id).status == "expired"


def test_run_expires_then_reminds(app: Flask, world: World, make: object) -> None:
    awarded(world, on=AWARDED_ON)
    output = run(app, "run", "--today", "2027-01-16")
    assert "Expired 1 kite mark(s). Reminded 0 organisation(s)." in output


def test_a_bad_date_is_a_clear_error(app: Flask, world: World) -> None:
    result = app.test_cli_runner().invoke(args=["kitemark", "expire", "--today", "31/01/2027"])
    assert result.exit_code != 0
    assert "is not a date like 2027-03-31" in result.output


def test_without_today_the_real_clock_is_used(app: Flask, world: World) -> None:
    # Awarded today: nothing expires or is due for a reminder.
    awarded(world)
    assert "Expired 0 kite mark(s). Reminded 0" in run(app, "run")
