"""Organisations, activities, their weekly sessions and capacity history."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import Audited
from ..db_types import CodeList, UTCDateTime, utcnow
from ..extensions import db

if TYPE_CHECKING:
    from ..accounts.models import User


def new_uuid() -> str:
    return str(uuid.uuid4())


class Organisation(Audited, db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    org_type: Mapped[str] = mapped_column(String(30), default="community_group")
    charity_number: Mapped[str] = mapped_column(String(20), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    activities: Mapped[list[Activity]] = relationship(back_populates="organisation")
    members: Mapped[list[User]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.name}>"


class Activity(Audited, db.Model):
    __tablename__ = "activity"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint("spare_places >= 0", name="spare_places_not_negative"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        Index("ix_activity_status_district", "status", "postcode_district"),
        Index("ix_activity_lat_lon", "latitude", "longitude"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    categories: Mapped[list[str]] = mapped_column(CodeList, default=list)
    needs: Mapped[list[str]] = mapped_column(CodeList, default=list)
    modes: Mapped[list[str]] = mapped_column(CodeList, default=list)
    languages: Mapped[list[str]] = mapped_column(CodeList, default=list)
    referral_routes: Mapped[list[str]] = mapped_column(CodeList, default=list)
    # Canonical text of the weekly sessions ("Mon 10:00-12:00; Thu 18:30-20:00"); the
    # ActivitySession rows are derived from it so that queries can use days and times.
    schedule: Mapped[str] = mapped_column(Text, default="")

    address: Mapped[str] = mapped_column(String(500), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    postcode_district: Mapped[str] = mapped_column(String(5), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    # Pence; 0 is free, None is unknown.
    cost_pence: Mapped[int | None] = mapped_column(Integer)
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    wheelchair_accessible: Mapped[bool | None] = mapped_column(Boolean)

    capacity: Mapped[int | None] = mapped_column(Integer)
    spare_places: Mapped[int] = mapped_column(Integer, default=0)
    waitlist_open: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity_updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    status: Mapped[str] = mapped_column(String(20), default="published", index=True)
    kite_mark: Mapped[str] = mapped_column(String(20), default="none")
    kite_mark_valid_until: Mapped[date | None] = mapped_column(Date)

    contact_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    website: Mapped[str] = mapped_column(String(500), default="")

    source: Mapped[str] = mapped_column(String(200), default="local")
    external_id: Mapped[str | None] = mapped_column(String(200))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="activities")
    sessions: Mapped[list[ActivitySession]] = relationship(
        back_populates="activity",
        cascade="all, delete-orphan",
        order_by="(ActivitySession.day_index, ActivitySession.starts)",
    )

    @property
    def is_free(self) -> bool:
        return self.cost_pence == 0

    @property
    def has_space(self) -> bool:
        return self.spare_places > 0

    @property
    def available(self) -> bool:
        return self.spare_places > 0 or self.waitlist_open

    def days_since_capacity_update(self, now: datetime | None = None) -> int:
        return ((now or utcnow()) - self.capacity_updated_at).days

    def is_stale(self, stale_after_days: int, now: datetime | None = None) -> bool:
        return (now or utcnow()) - self.capacity_updated_at > timedelta(days=stale_after_days)

    def __repr__(self) -> str:
        return f"<Activity {self.id} {self.title!r}>"


class ActivitySession(db.Model):
    """One weekly session: day of week and times (derived from Activity.schedule)."""

    __tablename__ = "activity_session"
    __table_args__ = (Index("ix_activity_session_day", "day_index", "starts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activity.id", ondelete="CASCADE"), index=True
    )
    day_index: Mapped[int] = mapped_column(Integer)  # 0 = Monday, as datetime.weekday()
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)

    activity: Mapped[Activity] = relationship(back_populates="sessions")


class CapacityChange(db.Model):
    """Every change of capacity, spare places or waitlist, kept for supply reports."""

    __tablename__ = "capacity_change"
    __table_args__ = (Index("ix_capacity_change_activity_at", "activity_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    capacity: Mapped[int | None] = mapped_column(Integer)
    spare_places: Mapped[int] = mapped_column(Integer)
    waitlist_open: Mapped[bool] = mapped_column(Boolean)
    # What caused it: edit, quick_update, confirm, import, api, referral.
    reason: Mapped[str] = mapped_column(String(20), default="edit")
