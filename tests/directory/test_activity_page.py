"""The public activity page: contact links and the next sessions in England's local time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
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
