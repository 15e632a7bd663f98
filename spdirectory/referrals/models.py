"""Referrals from a link worker to an activity, their status history and ONS4 outcomes.

Other areas read these tables (capacity-gap reports, reminders): the column names are a
contract between areas — add columns freely, never rename.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import Audited
from ..db_types import CodeList, UTCDateTime, utcnow
from ..extensions import db

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..directory.models import Activity, Organisation

# Statuses in which the referral still waits for something (DOMAIN.md: "open").
OPEN_STATUSES = ("sent", "accepted", "waitlisted", "attended")
CLOSED_STATUSES = ("declined", "did_not_attend", "completed", "dropped_out", "withdrawn")

ONS4_STAGES = ("baseline", "end", "follow_up")
ONS4_FIELDS = ("life_satisfaction", "worthwhile", "happy", "anxious")


class Referral(Audited, db.Model):
    __tablename__ = "referral"
    __table_args__ = (
        # Provider inbox: one organisation's referrals by status, newest first.
        Index("ix_referral_org_status_created", "organisation_id", "status", "created_at"),
        Index("ix_referral_org_created", "organisation_id", "created_at"),
        # Link-worker caseload.
        Index("ix_referral_referrer_status", "referrer_id", "status", "created_at"),
        Index("ix_referral_referrer_created", "referrer_id", "created_at"),
        # Waitlist order per activity, and per-activity report counts.
        Index("ix_referral_activity_status", "activity_id", "status", "waitlist_position"),
        # Reports by period; overdue sweeps.
        Index("ix_referral_created_at", "created_at"),
        Index("ix_referral_status_respond_by", "status", "respond_by"),
        # "Find by client reference" in the inbox and caseload.
        Index("ix_referral_client_reference", "client_reference"),
        CheckConstraint(
            "waitlist_position IS NULL OR waitlist_position >= 1", name="waitlist_position_positive"
        ),
    )
    # Personal data stays out of the audit trail (it would outlive the purge).
    audit_exclude = frozenset(
        {
            "updated_at",
            "client_reference",
            "summary",
            "contact_phone",
            "contact_email",
            "preferred_times",
        }
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"))
    # The activity's organisation, copied so the provider inbox needs no join.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    # The link worker who referred (kept when the account goes: SET NULL).
    referrer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    client_reference: Mapped[str] = mapped_column(String(64), default="")
    summary: Mapped[str] = mapped_column(Text, default="")  # short "what matters"
    needs: Mapped[list[str]] = mapped_column(CodeList, default=list)

    # Stored only with the person's consent (contact_consent, consent_recorded_at).
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    preferred_contact: Mapped[str] = mapped_column(String(20), default="")
    preferred_times: Mapped[str] = mapped_column(String(200), default="")
    # Postcode district of the person (e.g. "GL1"), optional, for demand reports.
    person_district: Mapped[str | None] = mapped_column(String(5))

    status: Mapped[str] = mapped_column(String(20), default="sent")  # vocab.REFERRAL_STATUS
    decline_reason: Mapped[str | None] = mapped_column(String(30))  # vocab.DECLINE_REASONS
    waitlist_position: Mapped[int | None] = mapped_column(Integer)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # = sent
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first provider answer
    respond_by: Mapped[datetime] = mapped_column(UTCDateTime)  # acknowledgement deadline
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    activity: Mapped[Activity] = relationship()
    organisation: Mapped[Organisation] = relationship()
    referrer: Mapped[User | None] = relationship()
    events: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral",
        cascade="all, delete-orphan",
        order_by="(ReferralEvent.at, ReferralEvent.id)",
    )
    outcomes: Mapped[list[ReferralOutcome]] = relationship(
        back_populates="referral", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def has_contact(self) -> bool:
        return bool(self.contact_phone or self.contact_email)

    def is_overdue(self, now: datetime | None = None) -> bool:
        """Not acknowledged by the provider in time."""
        return (
            self.status == "sent"
            and self.responded_at is None
            and self.respond_by is not None
            and (now or utcnow()) > self.respond_by
        )

    def __repr__(self) -> str:
        return f"<Referral {self.id} {self.status}>"


class ReferralEvent(db.Model):
    """One status change (or the creation, from_status None): who, when, why."""

    __tablename__ = "referral_event"
    __table_args__ = (
        Index("ix_referral_event_referral_at", "referral_id", "at"),
        Index("ix_referral_event_to_status_at", "to_status", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    referral: Mapped[Referral] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class ReferralOutcome(db.Model):
    """ONS4 personal wellbeing at one stage; each score 0–10 (anxious: lower is better)."""

    __tablename__ = "referral_outcome"
    __table_args__ = (
        UniqueConstraint("referral_id", "stage"),
        CheckConstraint("stage IN ('baseline', 'end', 'follow_up')", name="stage_known"),
        *(CheckConstraint(f"{f} BETWEEN 0 AND 10", name=f"{f}_0_to_10") for f in ONS4_FIELDS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[str] = mapped_column(String(12))
    life_satisfaction: Mapped[int] = mapped_column(Integer)
    worthwhile: Mapped[int] = mapped_column(Integer)
    happy: Mapped[int] = mapped_column(Integer)
    anxious: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    referral: Mapped[Referral] = relationship(back_populates="outcomes")
