"""The public activity page: contact links and the next sessions in England's local time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from spdirectory.directory import views


def test_contact_details_are_links(client: FlaskClient, make: Any) -> None:
    item = make.activity(phone="0113 496 0000", email="hello@example.org", website="example.org")
    make.commit()
    html = client.get(f"/activities/{item.id}").get_data(as_text=True)
    assert 'href="tel:01134960000"' in html
    assert 'href="mailto:hello@example.org"' in html
    assert 'href="https://example.org"' in html


@pytest.mark.parametrize(
    ("utc_now", "first"),
    [
        # 09:30 UTC is 10:30 in London in summer: the 10:00 session has begun, so next week.
        (datetime(2026, 7, 7, 9, 30, tzinfo=UTC), "Tuesday 14 July"),
        # 09:30 UTC is 09:30 in London in winter: today's 10:00 session is still to come.
        (datetime(2026, 12, 1, 9, 30, tzinfo=UTC), "Tuesday 1 December"),
    ],
)
def test_next_sessions_count_from_london_time(
    client: FlaskClient, make: Any, monkeypatch: pytest.MonkeyPatch, utc_now: datetime, first: str
) -> None:
    item = make.activity(schedule="Tue 10:00-11:00")
    make.commit()
    monkeypatch.setattr(views, "utcnow", lambda: utc_now)
    html = client.get(f"/activities/{item.id}").get_data(as_text=True)
    upcoming = html.split("Next sessions:", 1)[1]
    assert upcoming.index(first) < upcoming.index("</ul>")
    assert upcoming.split("<li>", 2)[1].startswith(first)


def _freshness(html: str) -> str:
    """The paragraph under the capacity tags that says how fresh the listing is."""
    return html.split('data-testid="freshness"', 1)[1].split("</p>", 1)[0]


def test_shows_capacity_age_stale_tag_and_last_review(
    app: Flask, client: FlaskClient, make: Any
) -> None:
    assert app.config["STALE_AFTER_DAYS"] == 30
    old = make.activity(capacity_updated_at=make.days_ago(40))
    old.last_reviewed_at = make.days_ago(12)
    fresh = make.activity(capacity_updated_at=make.days_ago(3))
    make.commit()

    stale_part = _freshness(client.get(f"/activities/{old.id}").get_data(as_text=True))
    assert "Capacity updated 40 days ago" in stale_part
    assert '<strong class="nhsuk-tag nhsuk-tag--orange">Stale</strong>' in stale_part
    assert "Listing last reviewed 12 days ago" in stale_part

    fresh_part = _freshness(client.get(f"/activities/{fresh.id}").get_data(as_text=True))
    assert "Capacity updated 3 days ago" in fresh_part
    assert "Stale" not in fresh_part
    assert "Listing not reviewed yet" in fresh_part


@pytest.mark.parametrize(("stale_after", "stale"), [(60, False), (39, True), (10, True)])
def test_stale_after_days_setting_decides_the_stale_tag(
    app: Flask, client: FlaskClient, make: Any, stale_after: int, stale: bool
) -> None:
    item = make.activity(capacity_updated_at=make.days_ago(40))
    make.commit()
    app.config["STALE_AFTER_DAYS"] = stale_after
    part = _freshness(client.get(f"/activities/{item.id}").get_data(as_text=True))
    assert "Capacity updated 40 days ago" in part
    assert ("Stale" in part) is stale
