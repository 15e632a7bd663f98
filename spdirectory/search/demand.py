"""Demand signal: searches and matches that found nothing (or nothing with space) are logged
anonymously — the query, filters, postcode district and time; never who asked — for the
capacity-gap reports."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db_types import UTCDateTime, utcnow
from ..extensions import db
from ..geo import PostcodeLocation


class UnmetSearch(db.Model):
    __tablename__ = "unmet_search"
    __table_args__ = (Index("ix_unmet_search_at_district", "at", "postcode_district"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(10))  # search | match
    query_text: Mapped[str] = mapped_column(String(500), default="")
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    postcode_district: Mapped[str] = mapped_column(String(5), default="")
    results: Mapped[int] = mapped_column(Integer, default=0)
    # nothing = no results at all; none_available = results, but none with a place or waitlist
    outcome: Mapped[str] = mapped_column(String(20))


# What a link worker might type into a search or a person's interests that identifies
# someone: email addresses, phone and other long numbers, full postcodes (the district is
# kept separately), and names after a title ("Mrs Ada Smith").
_PERSONAL = [
    re.compile(r"\S+@\S+"),
    re.compile(r"\+?\d[\d\s().-]{4,}\d"),
    re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE),
    re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\b\.?(?:\s+[A-Z][\w'-]*){1,3}"),
    re.compile(r"\d{3,}"),
]


def anonymise_text(text: str) -> str:
    """Text for the demand log with anything that looks like personal data removed."""
    for pattern in _PERSONAL:
        text = pattern.sub(" ", text)
    return " ".join(text.split())


def record(
    kind: str,
    *,
    text: str,
    filters: dict[str, Any],
    district: str,
    results: int,
    outcome: str,
) -> None:
    """Log and commit in its own small transaction; a logging failure never fails a search."""
    try:
        db.session.add(
            UnmetSearch(
                kind=kind,
                query_text=anonymise_text(text)[:500],
                filters=filters,
                postcode_district=district,
                results=results,
                outcome=outcome,
            )
        )
        db.session.commit()
    except Exception:  # pragma: no cover - logging must never break a search
        db.session.rollback()


def log_if_unmet(kind: str, query: Any, results: Any, place: PostcodeLocation | None) -> None:
    """Log a search that found nothing, or nothing available (first page tells us enough
    only when everything fits on it; otherwise availability is unknown, so not logged)."""
    if query.page != 1:
        return
    filters = {
        key: value
        for key, value in (
            ("category", query.categories),
            ("need", query.needs),
            ("mode", query.mode),
            ("day", query.day),
            ("kite_mark", query.kite_mark),
            ("available", query.available or None),
            ("free", query.free or None),
            ("within_km", query.within_km),
        )
        if value
    }
    district = place.district if place else ""
    if results.total == 0:
        record(
            kind, text=query.text, filters=filters, district=district, results=0, outcome="nothing"
        )
    elif query.available:
        return  # everything shown is available
    elif results.total <= len(results.hits) and not _any_available(results):
        record(
            kind,
            text=query.text,
            filters=filters,
            district=district,
            results=results.total,
            outcome="none_available",
        )


def _any_available(results: Any) -> bool:
    from ..search.models import search_document as doc

    ids = [h.activity_id for h in results.hits]
    if not ids:
        return False
    row = db.session.execute(
        db.select(db.func.count())
        .select_from(doc)
        .where(doc.c.activity_id.in_(ids), (doc.c.spare_places > 0) | doc.c.waitlist_open)
    ).scalar()
    return bool(row)
