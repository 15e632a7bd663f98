"""Areas, CPI index, fund pledges, panel decisions and saved fund splits (capacity-gap reports).

Activities and demand map to areas by postcode district (`area_district`). A district may
belong to several areas (a ward, its place and its ICB), never twice to one area.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Float,
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

AREA_TYPES: dict[str, str] = {
    "icb": "Integrated care board",
    "place": "Place",
    "local_authority": "Local authority",
    "ward": "Ward",
    "pcn": "Primary care network",
    "custom": "Custom area",
}

PLEDGE_SOURCES: dict[str, str] = {
    "nhs": "NHS",
    "local_government": "Local government",
    "employer": "Employer",
    "philanthropist": "Philanthropist",
}

DECISIONS: dict[str, str] = {
    "invest": "Invest",
    "consider": "Consider next round",
    "more_information": "Need more information",
    "no_action": "No action",
}


class Area(Audited, db.Model):
    __tablename__ = "area"
    __table_args__ = (
        CheckConstraint("population >= 0", name="population_not_negative"),
        CheckConstraint("need_weight > 0", name="need_weight_positive"),
        Index("ix_area_type_code", "type", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))  # AREA_TYPES
    parent_code: Mapped[str | None] = mapped_column(String(40))
    population: Mapped[int] = mapped_column(Integer, default=0)
    # 1.0 = average need; the ICB allocation formula is the proxy (DOMAIN.md fund rules).
    need_weight: Mapped[float] = mapped_column(Float, default=1.0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    districts: Mapped[list[AreaDistrict]] = relationship(
        back_populates="area", cascade="all, delete-orphan", order_by="AreaDistrict.district"
    )

    @property
    def own_districts(self) -> list[str]:
        return [d.district for d in self.districts if not d.inherited]

    def __repr__(self) -> str:
        return f"<Area {self.code} {self.type}>"


class AreaDistrict(db.Model):
    """A postcode district inside an area; `inherited` rows are a parent's children's."""

    __tablename__ = "area_district"
    __table_args__ = (Index("ix_area_district_district", "district", "area_id"),)

    area_id: Mapped[int] = mapped_column(
        ForeignKey("area.id", ondelete="CASCADE"), primary_key=True
    )
    district: Mapped[str] = mapped_column(String(5), primary_key=True)
    inherited: Mapped[bool] = mapped_column(default=False)

    area: Mapped[Area] = relationship(back_populates="districts")


class CpiIndex(db.Model):
    """CPI annual rate (per cent) for September of `year`; uplifts the following April."""

    __tablename__ = "cpi_index"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rate: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class FundPledge(Audited, db.Model):
    """Money pledged towards an area's local share for a fund year (April to March)."""

    __tablename__ = "fund_pledge"
    __table_args__ = (
        CheckConstraint("amount_pence > 0", name="amount_positive"),
        Index("ix_fund_pledge_area_year", "area_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)  # fund year starting in April of `year`
    source: Mapped[str] = mapped_column(String(20))  # PLEDGE_SOURCES
    pledger: Mapped[str] = mapped_column(String(200), default="")
    amount_pence: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    area: Mapped[Area] = relationship()


class PanelDecision(Audited, db.Model):
    """A panel's decision on one priority (area × category); the latest one counts."""

    __tablename__ = "panel_decision"
    __table_args__ = (Index("ix_panel_decision_priority", "area_id", "category", "decided_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(30))  # DECISIONS
    note: Mapped[str] = mapped_column(Text, default="")
    period_from: Mapped[str] = mapped_column(String(7), default="")  # the report it was made on
    period_to: Mapped[str] = mapped_column(String(7), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_by: Mapped[str] = mapped_column(String(254), default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    area: Mapped[Area] = relationship()


class FundAllocation(Audited, db.Model):
    """A saved split of a fund area's pot for a year across priorities."""

    __tablename__ = "fund_allocation"
    __table_args__ = (
        UniqueConstraint("fund_area_id", "year", "area_id", "category"),
        CheckConstraint("amount_pence >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    amount_pence: Mapped[int] = mapped_column(Integer)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    area: Mapped[Area] = relationship(foreign_keys=[area_id])
