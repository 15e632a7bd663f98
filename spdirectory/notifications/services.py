"""Queueing emails: other areas call these inside their own transaction (the caller commits).

Queueing in the same transaction as the change it reports means an email exists exactly when
the change was committed: a rollback drops both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..db_types import utcnow
from ..extensions import db
from .models import OutboxEmail

if TYPE_CHECKING:
    from ..accounts.models import User

SUBJECT_MAX = 300
# One address, no display name, nothing that could start another header.
_ADDRESS_RE = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")


def is_address(value: str | None) -> bool:
    return bool(value) and len(value or "") <= 254 and bool(_ADDRESS_RE.fullmatch(value or ""))


def queue_email(
    to: str, subject: str, body: str, *, kind: str, ref: str | None = None
) -> OutboxEmail:
    """Add one email to the outbox (session only; the caller commits)."""
    to = (to or "").strip()
    if not is_address(to):
        raise ValueError(f"not an email address: {to!r}")
    # Header injection guard: a subject is one line.
    subject = " ".join(subject.split())[:SUBJECT_MAX]
    now = utcnow()
    email = OutboxEmail(
        to=to,
        subject=subject,
        body=body,
        kind=kind,
        ref=ref,
        status="queued",
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    db.session.add(email)
    return email


def notify_users(
    users: Iterable[User], subject: str, body: str, *, kind: str, ref: str | None = None
) -> list[OutboxEmail]:
    """Queue the same email to each active user with an address, once per address."""
    queued: list[OutboxEmail] = []
    seen: set[str] = set()
    for user in users:
        if user is None or not getattr(user, "active", True):
            continue
        address = (user.email or "").strip()
        # A bad stored address must not undo the change being reported: skip it.
        if not is_address(address) or address.lower() in seen:
            continue
        seen.add(address.lower())
        queued.append(queue_email(address, subject, body, kind=kind, ref=ref))
    return queued
