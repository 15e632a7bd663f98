"""The email outbox: every notification is a row first, delivered later by `notifications send`.

Keeping the row after delivery makes the outbox the record of what was told to whom; when no
SMTP server is configured the rows simply stay queued and are visible at /admin/outbox.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db_types import UTCDateTime, utcnow
from ..extensions import db

STATUSES: dict[str, str] = {
    "queued": "Queued",
    "sent": "Sent",
    "failed": "Failed",
}


class OutboxEmail(db.Model):
    __tablename__ = "outbox_email"
    __table_args__ = (
        # The sender's sweep: due queued rows, oldest first.
        Index("ix_outbox_email_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_outbox_email_created_at", "created_at"),
        Index("ix_outbox_email_ref", "ref"),
        CheckConstraint("status IN ('queued', 'sent', 'failed')", name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(50))  # e.g. "referral_new"
    ref: Mapped[str | None] = mapped_column(String(100))  # related object, e.g. "referral:12"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A sender's claim: its token and when the claim lapses (a crashed sender's rows come back).
    claimed_by: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutboxEmail {self.id} {self.kind} {self.status}>"
