"""Kite-mark tables: the questionnaire (as data), applications with their answers, evidence
and review comments, each organisation's award, and the full history of what happened.

The award belongs to the organisation; its listings' `Activity.kite_mark` and
`Activity.kite_mark_valid_until` are copies kept in step by services.sync_listings.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import Audited
from ..db_types import UTCDateTime, utcnow
from ..extensions import db

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..directory.models import Organisation

# Application statuses (the award's statuses are vocab.KITE_MARK, as DOMAIN.md lists them).
APPLICATION_STATUSES: dict[str, str] = {
    "draft": "Draft",
    "submitted": "Waiting for review",
    "changes_requested": "Changes requested",
    "approved": "Approved",
    "rejected": "Rejected",
}
OPEN_APPLICATION_STATUSES = ("draft", "submitted", "changes_requested")
EDITABLE_STATUSES = ("draft", "changes_requested")

QUESTION_KINDS: dict[str, str] = {"text": "Written answer", "date": "A date"}
EVIDENCE_RULES: dict[str, str] = {
    "required": "Evidence required",
    "optional": "Evidence optional",
    "none": "No evidence",
}


class KitemarkQuestion(Audited, db.Model):
    """One question of the questionnaire. Never deleted: retired questions are inactive, so
    old applications keep their answers."""

    __tablename__ = "kitemark_question"
    __table_args__ = (
        CheckConstraint("kind IN ('text', 'date')", name="kind_known"),
        CheckConstraint("evidence IN ('required', 'optional', 'none')", name="evidence_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    hint: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(10), default="text")
    evidence: Mapped[str] = mapped_column(String(10), default="optional")
    # A date answer that ends the award early (public liability insurance expiry).
    caps_validity: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class KitemarkApplication(Audited, db.Model):
    __tablename__ = "kitemark_application"
    __table_args__ = (
        # At most one open application per organisation: open_marker is 1 while the
        # application is open and NULL after, and NULLs never clash in a unique constraint
        # (the same on SQLite and PostgreSQL, unlike partial indexes' syntax).
        UniqueConstraint("organisation_id", "open_marker"),
        CheckConstraint("open_marker IS NULL OR open_marker = 1", name="open_marker_one"),
        Index("ix_kitemark_application_status_submitted", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="draft")
    open_marker: Mapped[int | None] = mapped_column(Integer, default=1)
    rounds: Mapped[int] = mapped_column(Integer, default=0)  # times submitted
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    valid_until: Mapped[date | None] = mapped_column(Date)

    organisation: Mapped[Organisation] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    answers: Mapped[list[KitemarkAnswer]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )
    evidence: Mapped[list[KitemarkEvidence]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="KitemarkEvidence.id",
    )
    comments: Mapped[list[KitemarkComment]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="KitemarkComment.id",
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_APPLICATION_STATUSES

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


class KitemarkAnswer(Audited, db.Model):
    __tablename__ = "kitemark_answer"
    __table_args__ = (UniqueConstraint("application_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("kitemark_application.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("kitemark_question.id", ondelete="RESTRICT")
    )
    text: Mapped[str] = mapped_column(Text, default="")
    date_value: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    application: Mapped[KitemarkApplication] = relationship(back_populates="answers")
    question: Mapped[KitemarkQuestion] = relationship()


class KitemarkEvidence(Audited, db.Model):
    """An uploaded document. The file lives under the instance folder (never static/), named
    by `stored_name`; only the organisation's users and reviewers/admins may fetch it."""

    __tablename__ = "kitemark_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("kitemark_application.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("kitemark_question.id", ondelete="RESTRICT")
    )
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[KitemarkApplication] = relationship(back_populates="evidence")
    question: Mapped[KitemarkQuestion] = relationship()


class KitemarkComment(db.Model):
    """A reviewer's comment, on one question (question_id) or on the whole application."""

    __tablename__ = "kitemark_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("kitemark_application.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("kitemark_question.id", ondelete="RESTRICT")
    )
    round: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    body: Mapped[str] = mapped_column(Text)

    application: Mapped[KitemarkApplication] = relationship(back_populates="comments")
    question: Mapped[KitemarkQuestion | None] = relationship()
    author: Mapped[User | None] = relationship()


class KitemarkAward(db.Model):
    """An organisation's kite-mark status (vocab.KITE_MARK codes) and its valid-until date.

    Not audited row by row: KitemarkEvent is its history, with reasons."""

    __tablename__ = "kitemark_award"
    __table_args__ = (
        CheckConstraint(
            "status IN ('none', 'pending', 'awarded', 'expired', 'suspended')",
            name="status_known",
        ),
        Index("ix_kitemark_award_status_valid_until", "status", "valid_until"),
    )

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(20), default="none")
    valid_until: Mapped[date | None] = mapped_column(Date)
    awarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("kitemark_application.id", ondelete="SET NULL")
    )
    # What the status was before an application made it "pending" (a rejection returns to it).
    status_before_pending: Mapped[str | None] = mapped_column(String(20))
    suspended_reason: Mapped[str] = mapped_column(Text, default="")
    # The valid-until date a renewal reminder was sent for (once per award).
    reminded_for: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()


class KitemarkEvent(db.Model):
    """The full history: every submission, decision, suspension, expiry and reminder."""

    __tablename__ = "kitemark_event"
    __table_args__ = (Index("ix_kitemark_event_org_at", "organisation_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("kitemark_application.id", ondelete="SET NULL"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(200), default="system")
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    valid_until: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")


EVENT_LABELS: dict[str, str] = {
    "started": "Application started",
    "submitted": "Application submitted for review",
    "changes_requested": "Reviewer asked for changes",
    "approved": "Kite mark awarded",
    "rejected": "Application rejected",
    "suspended": "Kite mark suspended",
    "reinstated": "Suspension lifted",
    "expired": "Kite mark expired",
    "reminded": "Renewal reminder sent",
    "imported": "Status recorded by an admin (imported)",
}
