"""A recorded unmet need: needs, postcode district, reasons, categories and a short note.

Deliberately anonymous: never a full postcode, a name or contact details, so the record can
feed the capacity-gap reports (`reports/queries.py` reads `postcode_district`,
`recorded_at`, `categories` and `reasons`) without becoming personal data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db_types import CodeList, UTCDateTime, utcnow
from ..extensions import db

SOURCES: dict[str, str] = {
    "search": "Search page",
    "match": "Matching page",
    "form": "Unmet-need form",
    "api": "API",
}
MAX_NOTE = 500


class UnmetNeed(db.Model):
    __tablename__ = "unmet_need"
    __table_args__ = (
        # Reports scan by period; the district index serves drill-downs by area.
        Index("ix_unmet_need_recorded_at", "recorded_at"),
        Index("ix_unmet_need_district_recorded_at", "postcode_district", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Kept when the account goes (the record stays useful for reports).
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), default=None
    )
    needs: Mapped[list[str]] = mapped_column(CodeList, default=list)  # vocab.NEEDS
    categories: Mapped[list[str]] = mapped_column(CodeList, default=list)  # vocab.CATEGORIES
    reasons: Mapped[list[str]] = mapped_column(CodeList, default=list)  # UNMET_NEED_REASONS
    postcode_district: Mapped[str] = mapped_column(String(5), default="")  # "LS6", never more
    note: Mapped[str] = mapped_column(String(MAX_NOTE), default="")
    source: Mapped[str] = mapped_column(String(10), default="form")  # SOURCES

    def __repr__(self) -> str:
        return f"<UnmetNeed {self.id} {self.postcode_district}>"
