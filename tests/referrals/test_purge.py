"""Data protection: `spdirectory referrals purge --older-than 24m` anonymises closed referrals
and removes the client reference from the email outbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from spdirectory.db_types import utcnow
from spdirectory.extensions import db
from spdirectory.notifications import referrals as referral_emails
from spdirectory.notifications.models import OutboxEmail
from spdirectory.notifications.services import queue_email
from spdirectory.referrals import services
from spdirectory.referrals.models import Referral

from .conftest import World, refer, reload


def close(world: World, referral: Referral, days_ago: int) -> None:
    services.change_status(
        referral.id, "declined", world.provider, reason="other", note="Sam's neighbour"
    )
    db.session.commit()
    row = reload(Referral, referral.id)
    row.closed_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()


def test_purge_anonymises_old_closed_referrals_only(app: Flask, world: World) -> None:
    old = refer(world, client_reference="OLD", person_district="LS1")
    recent = refer(world, client_reference="RECENT")
    still_open = refer(world, client_reference="OPEN")
    close(world, old, days_ago=800)
    close(world, recent, days_ago=100)
    still_open_row = reload(Referral, still_open.id)
    still_open_row.created_at = utcnow() - timedelta(days=1000)
    db.session.commit()

    runner = app.test_cli_runner()
    dry = runner.invoke(args=["referrals", "purge", "--older-than", "24m", "--dry-run"])
    assert dry.exit_code == 0 and "1 closed referral(s) would be" in dry.output
    assert "with 2 email(s) about them" in dry.output  # new (to the provider), declined
    assert reload(Referral, old.id).anonymised_at is None

    result = runner.invoke(args=["referrals", "purge", "--older-than", "24m"])
    assert result.exit_code == 0, result.output
    assert "Anonymised 1" in result.output
    gone = reload(Referral, old.id)
    assert gone.anonymised_at is not None
    assert (gone.client_reference, gone.summary, gone.contact_phone, gone.contact_email) == (
        "",
        "",
        None,
        None,
    )
    assert all(e.note == "" for e in gone.events)
    # What reports need stays.
    assert (gone.status, gone.decline_reason, gone.person_district) == ("declined", "other", "LS1")
    assert gone.needs == ["loneliness"]
    for kept in (recent.id, still_open.id):
        row = reload(Referral, kept)
        assert row.anonymised_at is None and row.contact_phone == "07700 900123"
    again = runner.invoke(args=["referrals", "purge", "--older-than", "24m"])
    assert "Anonymised 0" in again.output


@pytest.mark.parametrize("bad", ["", "24", "two years", "24x", "-3m"])
def test_purge_rejects_unclear_ages(app: Flask, bad: str) -> None:
    result = app.test_cli_runner().invoke(args=["referrals", "purge", "--older-than", bad])
    assert result.exit_code != 0
    assert "--older-than" in result.output


def test_parse_age() -> None:
    assert services.parse_age("24m").days == 730
    assert services.parse_age("2y") == timedelta(days=730.5)
    assert services.parse_age("90d") == timedelta(days=90)
    assert services.parse_age("12w") == timedelta(weeks=12)


def emails_about(referral: Referral) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.ref == f"referral:{referral.id}")
            .order_by(OutboxEmail.id)
        )
    )


def set_status(email: OutboxEmail, status: str) -> None:
    db.session.execute(update(OutboxEmail).where(OutboxEmail.id == email.id).values(status=status))
    db.session.commit()


def test_purge_deletes_sent_emails_and_redacts_queued_ones(app: Flask, world: World) -> None:
    old = refer(world, client_reference="GP-OLD-77")
    recent = refer(world, client_reference="GP-NEW-88")
    close(world, old, days_ago=800)
    close(world, recent, days_ago=100)
    new_email, declined_email = emails_about(old)  # to the provider, then to the referrer
    assert "Client reference: GP-OLD-77" in new_email.body
    set_status(new_email, "sent")
    failed = queue_email(
        "x@example.org",
        "Referral overdue: Canal walk",
        new_email.body,
        kind="referral_overdue",
        ref=new_email.ref,
    )
    failed.status = "failed"
    other = queue_email("y@example.org", "Kite mark", "Not about a referral", kind="kitemark")
    db.session.commit()
    failed_id, other_id = failed.id, other.id

    result = app.test_cli_runner().invoke(args=["referrals", "purge", "--older-than", "24m"])
    assert result.exit_code == 0, result.output
    assert "Anonymised 1" in result.output
    assert "deleted 2 sent or failed email(s)" in result.output
    assert "in 1 queued" in result.output

    # Only the queued email is left: still owed to the link worker, without the reference.
    (left,) = emails_about(old)
    assert left.id == declined_email.id and left.status == "queued"
    assert "GP-OLD-77" not in left.subject + left.body
    assert referral_emails.REDACTED_REFERENCE in left.body
    assert f"/referrals/{old.id}\n" in left.body and "Status: Declined" in left.body
    assert db.session.get(OutboxEmail, failed_id) is None
    # Emails about referrals that stay, and about other things, are untouched.
    assert all("Client reference: GP-NEW-88" in e.body for e in emails_about(recent))
    assert db.session.get(OutboxEmail, other_id).body == "Not about a referral"

    # Once the redacted email has been delivered, the next purge deletes it too.
    set_status(left, "sent")
    again = app.test_cli_runner().invoke(args=["referrals", "purge", "--older-than", "24m"])
    assert "Anonymised 0" in again.output and "deleted 1 sent" in again.output
    assert emails_about(old) == []


def test_purge_cleans_emails_left_by_an_earlier_purge(app: Flask, world: World) -> None:
    # Referrals anonymised before the outbox was cleaned still have their emails.
    earlier = refer(world, client_reference="GP-EARLY-5")
    close(world, earlier, days_ago=900)
    row = reload(Referral, earlier.id)
    row.client_reference, row.anonymised_at = "", utcnow() - timedelta(days=30)
    db.session.commit()
    sent, queued = emails_about(earlier)
    set_status(sent, "sent")

    result = services.purge(timedelta(days=730))
    db.session.commit()
    assert (result.referrals, result.emails_deleted, result.emails_redacted) == (0, 1, 1)
    (left,) = emails_about(earlier)
    assert left.id == queued.id and "GP-EARLY-5" not in left.body
    # Nothing more to do: a second run changes nothing.
    assert services.purge(timedelta(days=730)) == services.PurgeResult()


def test_the_outbox_is_cleaned_in_the_anonymisation_transaction(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = refer(world, client_reference="GP-OLD-77")
    close(world, old, days_ago=800)
    set_status(emails_about(old)[0], "sent")
    real = referral_emails.forget_referral_emails

    def forget_then_fail(ids: Any) -> Any:
        real(ids)
        raise RuntimeError("crash before the commit")

    monkeypatch.setattr(referral_emails, "forget_referral_emails", forget_then_fail)
    with pytest.raises(RuntimeError):
        services.purge(timedelta(days=730))
    db.session.rollback()
    # Both the anonymisation and the outbox changes were undone together.
    assert reload(Referral, old.id).client_reference == "GP-OLD-77"
    emails = emails_about(old)
    assert [e.status for e in emails] == ["sent", "queued"]
    assert all("Client reference: GP-OLD-77" in e.body for e in emails)
