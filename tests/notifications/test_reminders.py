"""Overdue referrals: one reminder to both sides, never twice, working days respected; the
`notifications remind` / `run` commands with a controllable clock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from spdirectory.db_types import utcnow
from spdirectory.extensions import db
from spdirectory.notifications.referrals import remind_overdue
from spdirectory.referrals import services
from spdirectory.referrals.models import Referral
from tests.accounts.helpers import signed_in
from tests.referrals.conftest import World, reload

from .conftest import SmtpServer, outbox
from .test_referral_emails import PHONE, assert_private

THU = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)  # due Tuesday 8 December 10:00


def sent_at(world: World, when: datetime, reference: str = "GP-0001") -> Referral:
    clean, errors = services.validate_new(
        {
            "activity_id": world.activity.id,
            "client_reference": reference,
            "summary": "Would like to get out of the house and meet people",
            "contact_phone": PHONE,
            "contact_consent": True,
        }
    )
    assert clean is not None, errors
    referral = services.create_referral(world.link_worker, clean, now=when)
    db.session.commit()
    return referral


def overdue_emails() -> list[Any]:
    return outbox(kind="referral_overdue")


def test_one_reminder_to_both_sides_once_overdue(app: Flask, world: World) -> None:
    referral = sent_at(world, THU)
    assert referral.respond_by == datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
    updated = referral.updated_at

    assert remind_overdue(now=referral.respond_by - timedelta(minutes=1)) == 0
    assert overdue_emails() == []

    late = referral.respond_by + timedelta(minutes=1)
    assert remind_overdue(now=late) == 1
    emails = overdue_emails()
    assert sorted(e.to for e in emails) == sorted([world.provider.email, world.link_worker.email])
    assert {e.ref for e in emails} == {f"referral:{referral.id}"}
    assert_private(emails)
    assert all("Response was due by: 8 December 2026" in e.body for e in emails)
    again = reload(Referral, referral.id)
    assert again.overdue_notified_at == late
    assert again.updated_at == updated  # a reminder is not activity on the referral

    # Cron runs again (and again): nothing more is queued.
    assert remind_overdue(now=late + timedelta(hours=1)) == 0
    assert remind_overdue(now=late + timedelta(days=30)) == 0
    assert len(overdue_emails()) == 2


def test_answered_referrals_are_not_reminded(client: FlaskClient, world: World) -> None:
    referral = sent_at(world, THU)
    services.change_status(referral.id, "accepted", world.provider, now=THU + timedelta(days=1))
    db.session.commit()
    assert remind_overdue(now=THU + timedelta(days=30)) == 0
    assert overdue_emails() == []


def test_bank_holidays_do_not_count_towards_overdue(app: Flask, world: World) -> None:
    # Sent Thursday 24 December 2026: Christmas, Boxing Day (Saturday) and its substitute
    # Monday 28th are not working days, so three working days end on Thursday 31st.
    referral = sent_at(world, datetime(2026, 12, 24, 10, 0, tzinfo=UTC))
    assert referral.respond_by == datetime(2026, 12, 31, 10, 0, tzinfo=UTC)
    assert remind_overdue(now=datetime(2026, 12, 30, 10, 1, tzinfo=UTC)) == 0
    assert remind_overdue(now=datetime(2026, 12, 31, 10, 1, tzinfo=UTC)) == 1


def test_the_working_days_setting_is_used(app: Flask, world: World) -> None:
    app.config["REFERRAL_RESPONSE_WORKING_DAYS"] = "1"  # as the environment gives it
    referral = sent_at(world, THU)
    assert referral.respond_by == datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def test_two_reminder_runs_at_once_remind_once(app: Flask, world: World) -> None:
    for i in range(6):
        sent_at(world, THU, reference=f"GP-{i}")
    late = THU + timedelta(days=10)
    counts: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            with app.app_context():
                start.wait(timeout=10)
                counts.append(remind_overdue(now=late, batch=2))
                db.session.remove()
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sum(counts) == 6
    assert len(overdue_emails()) == 12  # provider + link worker, once per referral


def test_overdue_shows_in_inbox_and_caseload(app: Flask, world: World) -> None:
    sent_at(world, utcnow() - timedelta(days=14), reference="LATE-1")
    sent_at(world, utcnow(), reference="FRESH-1")
    for who, url in (
        (world.provider, "/referrals/inbox?tab=overdue"),
        (world.link_worker, "/referrals/caseload?tab=overdue"),
    ):
        client = app.test_client()
        signed_in(client, who.email)
        html = client.get(url).get_data(as_text=True)
        assert "LATE-1" in html and "FRESH-1" not in html
        assert "Overdue" in html


def test_cli_remind_with_a_clock(app: Flask, world: World) -> None:
    sent_at(world, THU)
    runner = app.test_cli_runner()
    early = runner.invoke(args=["notifications", "remind", "--now", "2026-12-08T09:59"])
    assert early.exit_code == 0 and "for 0 referral(s)" in early.output
    late = runner.invoke(args=["notifications", "remind", "--now", "2026-12-08T10:01:00+00:00"])
    assert late.exit_code == 0 and "for 1 referral(s)" in late.output
    again = runner.invoke(args=["notifications", "remind", "--now", "2026-12-09T10:00"])
    assert again.exit_code == 0 and "for 0 referral(s)" in again.output
    assert len(overdue_emails()) == 2


def test_cli_run_reminds_then_sends(app: Flask, world: World, smtp_server: SmtpServer) -> None:
    smtp_server.configure(app)
    sent_at(world, THU)
    result = app.test_cli_runner().invoke(
        args=["notifications", "run", "--now", "2026-12-09T08:00"]
    )
    assert result.exit_code == 0, result.output
    assert "for 1 referral(s)" in result.output
    # The new-referral email and both reminders went out through the server.
    subjects = sorted(m["Subject"] for m in smtp_server.mailbox.messages)
    assert subjects == [
        "New referral: Canal walk",
        "Referral not yet answered: Canal walk",
        "Referral overdue: Canal walk",
    ]
    for message in smtp_server.mailbox.messages:
        body = message.get_payload(decode=True).decode()
        assert PHONE not in body and "meet people" not in body
    assert {e.status for e in outbox()} == {"sent"}
