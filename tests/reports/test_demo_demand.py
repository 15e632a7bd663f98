"""The demo's demand: a year of referrals in every status, unmet needs and empty searches,
so the demo's reports page shows real gaps (issue 6)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from spdirectory.db_types import utcnow
from spdirectory.demo.loader import load_demo
from spdirectory.extensions import db
from spdirectory.referrals.models import Referral
from spdirectory.reports.report import build_report, parse_params
from spdirectory.reports.summary import DemandMonth
from spdirectory.unmet_needs.models import UnmetNeed


def test_demo_reports_show_demand_over_twelve_months(app: Any) -> None:
    summary = load_demo(seed=app.config["DEMO_SEED"], activities=120)
    assert "referrals" in summary and "unmet needs" in summary
    statuses = Counter(db.session.scalars(select(Referral.status)))
    assert {"sent", "accepted", "waitlisted", "declined", "attended", "completed"} <= set(statuses)
    declined_full = db.session.scalar(
        select(func.count()).select_from(Referral).where(Referral.decline_reason == "full")
    )
    assert declined_full and declined_full >= 20
    oldest = db.session.scalar(select(func.min(Referral.created_at)))
    assert oldest is not None and oldest < utcnow() - timedelta(days=300)
    assert db.session.scalar(select(func.count()).select_from(UnmetNeed)) >= 100

    report = build_report(parse_params({}))
    totals = Counter()
    for cell in report.cells:
        totals.update({k: cell.counts[k] for k in ("referrals", "declined_full", "waitlisted",
                                                   "unmet_needs", "searches_unmet")})  # fmt: skip
    assert all(totals[k] > 0 for k in totals), totals
    assert len(report.priorities) >= 10
    assert len([m for m in report.monthly if report.monthly[m].get("referrals")]) >= 11

    # Loading again adds no second year of demand.
    rows = db.session.scalar(select(func.count()).select_from(Referral))
    load_demo(seed=app.config["DEMO_SEED"], activities=120)
    assert db.session.scalar(select(func.count()).select_from(Referral)) == rows
    assert db.session.scalar(select(func.count()).select_from(DemandMonth)) > 0
