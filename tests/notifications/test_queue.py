"""queue_email / notify_users: rows in the outbox, committed by the caller."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from spdirectory.extensions import db
from spdirectory.notifications.models import OutboxEmail
from spdirectory.notifications.services import notify_users, queue_email


def test_queue_email_adds_a_queued_row_the_caller_commits(app: Any) -> None:
    email = queue_email("a@example.org", "Hello\r\nBcc: x@evil", "Body", kind="test", ref="thing:1")
    assert email in db.session
    db.session.commit()
    row = db.session.scalars(select(OutboxEmail)).one()
    assert row.status == "queued"
    assert row.attempts == 0
    assert row.subject == "Hello Bcc: x@evil"  # one line: no header injection
    assert row.ref == "thing:1"
    assert row.next_attempt_at <= row.created_at or row.next_attempt_at == row.created_at


def test_queue_email_rolls_back_with_the_caller(app: Any) -> None:
    queue_email("a@example.org", "S", "B", kind="test")
    db.session.rollback()
    assert db.session.scalars(select(OutboxEmail)).all() == []


@pytest.mark.parametrize(
    "bad",
    ["not-an-address", "", "a@example.org\nBcc: x@example.org", "Sam <a@example.org>", "a@b,c@d"],
)
def test_queue_email_refuses_a_non_address(app: Any, bad: str) -> None:
    with pytest.raises(ValueError, match="not an email address"):
        queue_email(bad, "S", "B", kind="test")
    assert db.session.scalars(select(OutboxEmail)).all() == []


def test_notify_users_skips_inactive_and_duplicate_addresses(app: Any, make: Any) -> None:
    org = make.organisation()
    a = make.user(role="provider", organisation=org, email="a@example.org")
    b = make.user(role="provider", organisation=org, email="b@example.org", active=False)
    c = make.user(role="provider", organisation=org, email="c@example.org")
    c.email = "broken address"  # stored badly somehow: skipped, the caller's change stands
    queued = notify_users([a, b, a, c, None], "S", "B", kind="test", ref="x:1")
    db.session.commit()
    assert [e.to for e in queued] == ["a@example.org"]
    assert db.session.scalar(select(db.func.count()).select_from(OutboxEmail)) == 1
