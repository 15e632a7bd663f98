"""Provider inbox and link-worker caseload: filtered, paged lists that stay fast with large
histories (every list is one index range of ix_referral_org_* / ix_referral_referrer_*,
no COUNT over closed referrals, and pages fetched one row beyond the page size)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import selectinload

from ..db_types import utcnow
from ..extensions import db
from .models import CLOSED_STATUSES, Referral

PER_PAGE = 50

INBOX_TABS: dict[str, str] = {
    "new": "New",
    "overdue": "Overdue",
    "waitlist": "Waiting list",
    "accepted": "Accepted",
    "attended": "Attending",
    "closed": "Closed",
}
CASELOAD_TABS: dict[str, str] = {
    "open": "Open",
    "overdue": "Overdue",
    "follow_up": "Follow-up due",
    "sent": "Sent",
    "waitlist": "Waiting list",
    "accepted": "Accepted",
    "attended": "Attending",
    "closed": "Closed",
}
COUNTED = ("sent", "waitlisted", "accepted", "attended")


@dataclass
class Page:
    items: list[Referral]
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def follow_up_cutoff(now: datetime) -> datetime:
    return now - timedelta(days=int(current_app.config.get("REFERRAL_FOLLOW_UP_DAYS", 14)))


def _tab_filter(stmt: Select[Any], tab: str, now: datetime) -> Select[Any]:
    if tab == "new":
        return stmt.where(Referral.status == "sent", Referral.respond_by >= now)
    if tab == "overdue":
        return stmt.where(Referral.status == "sent", Referral.respond_by < now)
    if tab == "sent":
        return stmt.where(Referral.status == "sent")
    if tab == "waitlist":
        return stmt.where(Referral.status == "waitlisted")
    if tab in ("accepted", "attended"):
        return stmt.where(Referral.status == tab)
    if tab == "closed":
        return stmt.where(Referral.status.in_(CLOSED_STATUSES))
    if tab == "follow_up":
        return stmt.where(
            Referral.status.in_(("waitlisted", "accepted", "attended")),
            Referral.updated_at < follow_up_cutoff(now),
        )
    # "open"
    return stmt.where(Referral.status.in_(COUNTED))


def _order(stmt: Select[Any], tab: str) -> Select[Any]:
    if tab in ("new", "overdue", "sent"):
        return stmt.order_by(Referral.created_at, Referral.id)  # oldest first: answer in turn
    if tab == "waitlist":
        return stmt.order_by(Referral.activity_id, Referral.waitlist_position, Referral.id)
    if tab == "follow_up":
        return stmt.order_by(Referral.updated_at, Referral.id)
    return stmt.order_by(Referral.created_at.desc(), Referral.id.desc())


def _page(stmt: Select[Any], page: int, per_page: int) -> Page:
    page = max(1, page)
    rows = list(
        db.session.scalars(
            stmt.options(selectinload(Referral.activity), selectinload(Referral.referrer))
            .limit(per_page + 1)
            .offset((page - 1) * per_page)
        )
    )
    return Page(items=rows[:per_page], page=page, has_next=len(rows) > per_page)


def referral_list(
    *,
    tab: str,
    organisation_id: int | None = None,
    referrer_id: int | None = None,
    activity_id: int | None = None,
    reference: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
    now: datetime | None = None,
) -> Page:
    now = now or utcnow()
    stmt = select(Referral)
    if organisation_id is not None:
        stmt = stmt.where(Referral.organisation_id == organisation_id)
    if referrer_id is not None:
        stmt = stmt.where(Referral.referrer_id == referrer_id)
    if activity_id is not None:
        stmt = stmt.where(Referral.activity_id == activity_id)
    if reference:
        stmt = stmt.where(Referral.client_reference == reference)
    stmt = _order(_tab_filter(stmt, tab, now), tab)
    return _page(stmt, page, per_page)


def tab_counts(
    *,
    organisation_id: int | None = None,
    referrer_id: int | None = None,
    activity_id: int | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Counts of the open tabs (closed history is never counted: it only grows)."""
    now = now or utcnow()
    where = [Referral.status.in_(COUNTED)]
    if organisation_id is not None:
        where.append(Referral.organisation_id == organisation_id)
    if referrer_id is not None:
        where.append(Referral.referrer_id == referrer_id)
    if activity_id is not None:
        where.append(Referral.activity_id == activity_id)
    overdue = func.sum(
        case((and_(Referral.status == "sent", Referral.respond_by < now), 1), else_=0)
    )
    follow = func.sum(
        case(
            (
                and_(Referral.status != "sent", Referral.updated_at < follow_up_cutoff(now)),
                1,
            ),
            else_=0,
        )
    )
    rows = db.session.execute(
        select(Referral.status, func.count(), overdue, follow)
        .where(*where)
        .group_by(Referral.status)
    ).all()
    by_status = {r[0]: (r[1], r[2] or 0, r[3] or 0) for r in rows}
    sent, sent_overdue, _ = by_status.get("sent", (0, 0, 0))
    counts = {
        "new": sent - sent_overdue,
        "overdue": sent_overdue,
        "sent": sent,
        "waitlist": by_status.get("waitlisted", (0, 0, 0))[0],
        "accepted": by_status.get("accepted", (0, 0, 0))[0],
        "attended": by_status.get("attended", (0, 0, 0))[0],
        "follow_up": sum(v[2] for v in by_status.values()),
    }
    counts["open"] = counts["sent"] + counts["waitlist"] + counts["accepted"] + counts["attended"]
    return counts
