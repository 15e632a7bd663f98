"""Data protection: `spdirectory referrals purge --older-than 24m` anonymises closed referrals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from spdirectory.db_types import utcnow
from spdirectory.extensions import db
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
