"""Recorded unmet needs in the capacity-gap report, and the monthly demand summary that the
report reads: it must give exactly what the raw tables give, however the data changed."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from spdirectory.extensions import db
from spdirectory.referrals.models import Referral, ReferralEvent
from spdirectory.reports import queries
from spdirectory.reports.models import Area
from spdirectory.reports.queries import Scope
from spdirectory.reports.report import build_report, parse_params
from spdirectory.reports.summary import COUNTERS, DemandMonth, rebuild
from spdirectory.unmet_needs import services
from tests.accounts.helpers import quick_user
from tests.reports.conftest import Known, at, refer

PERIOD = {"from": "2026-01", "to": "2026-03", "as_of": "2026-03-31"}


def record(user: Any, district: str, when: datetime, reasons: list[str],
           categories: list[str] | None = None) -> None:  # fmt: skip
    clean, errors = services.validate(
        {
            "needs": ["loneliness"],
            "reasons": reasons,
            "categories": categories or [],
            "postcode_district": district,
        }
    )
    assert clean is not None, errors
    services.record(user, clean, now=when)


@pytest.fixture
def with_unmet(known: Known) -> Known:
    worker = quick_user("link_worker")
    record(worker, "LS6", at(1), ["full", "too_far"], ["walking"])
    record(worker, "LS6", at(3), ["none_exists"], ["walking", "green_nature"])
    record(worker, "LS8", at(2), ["full"], ["befriending"])
    record(worker, "LS8", at(2), ["full", "cost"], ["befriending"])
    record(worker, "LS9", at(2), ["cost"])  # no category: counts only where not grouped by it
    record(worker, "LS6", at(4), ["full"], ["walking"])  # after the period
    record(worker, "LS1", at(1), ["language"], ["walking"])  # in no ward
    db.session.commit()
    return known


def cells_by_key(report: Any) -> dict[tuple[str, str | None], Any]:
    return {(c.area_code, c.category): c for c in report.cells}


def test_unmet_needs_are_counted_in_every_cell(with_unmet: Known) -> None:
    report = build_report(parse_params({**PERIOD, "group_by": "both", "area_type": "ward"}))
    cells = cells_by_key(report)
    walking, green = cells[("W1", "walking")], cells[("W1", "green_nature")]
    befriending = cells[("W2", "befriending")]
    assert (walking.unmet_needs, green.unmet_needs, befriending.unmet_needs) == (2, 1, 2)
    assert cells[("W2", "walking")].unmet_needs == 0
    assert walking.unmet_reasons == {
        "none_exists": 1, "full": 1, "too_far": 1, "wrong_times": 0, "cost": 0,
        "access_needs": 0, "language": 0, "eligibility": 0,
    }  # fmt: skip
    assert (befriending.unmet_reasons["full"], befriending.unmet_reasons["cost"]) == (2, 1)
    # Unmet needs are demand: 18 referrals + 2, and they raise the unmet-need rate.
    assert walking.demand == 20
    assert walking.measures["unmet_need_rate"] == pytest.approx((2 + 1) / 20)
    assert befriending.measures["unmet_need_rate"] == pytest.approx((2 + 2) / 7)
    # March against February: walking 7 referrals + 1 unmet need against 3 + 0.
    assert walking.measures["trend"] == pytest.approx((8 - 3) / 3)
    assert report.monthly == {
        "2026-01": {"referrals": 8, "unmet_needs": 2},
        "2026-02": {"referrals": 8, "declined_full": 3, "waitlisted": 3, "unmet_needs": 3},
        "2026-03": {"referrals": 7, "waitlisted": 3, "unmet_needs": 1},
    }


def test_grouped_by_area_counts_each_unmet_need_once(with_unmet: Known) -> None:
    report = build_report(parse_params({**PERIOD, "group_by": "area", "area_type": "ward"}))
    cells = cells_by_key(report)
    assert cells[("W1", None)].unmet_needs == 2  # the two-category one once
    assert cells[("W2", None)].unmet_needs == 3  # with the uncategorised one
    assert cells[("W2", None)].unmet_reasons["cost"] == 2
    by_category = cells_by_key(build_report(parse_params({**PERIOD, "group_by": "category"})))
    assert by_category[("", "walking")].unmet_needs == 3  # LS1 too: no area grouping


def test_filtered_to_two_categories_counts_each_once(with_unmet: Known) -> None:
    params = parse_params({**PERIOD, "group_by": "area", "category": ["walking", "green_nature"]})
    cells = cells_by_key(build_report(params))
    assert cells[("W1", None)].unmet_needs == 2
    assert cells[("W1", None)].referrals == 18


def _scopes() -> list[Scope]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = datetime(2026, 4, 1, tzinfo=UTC)
    last, previous = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    ward_ids = tuple(db.session.scalars(select(Area.id).where(Area.code == "W1")))
    scopes = []
    for by_area, by_category in ((True, True), (True, False), (False, True), (False, False)):
        for categories in ((), ("walking",), ("walking", "befriending")):
            # An as-of inside a month: whole months from the summary, the rest raw.
            as_of = datetime(2026, 2, 11, 18, tzinfo=UTC) if by_area else None
            area_ids = ward_ids if by_area != by_category else ()
            scopes.append(
                Scope(
                    start,
                    end,
                    by_area,
                    by_category,
                    "ward",
                    area_ids,
                    categories,
                    as_of,
                    last,
                    previous,
                )  # fmt: skip
            )
    scopes.append(Scope(start, end, True, True, "ward", (), (), None, last, previous))
    return scopes


def assert_summary_matches_raw() -> None:
    """The report's demand from the summary equals the raw tables', for every kind of scope."""
    for scope in _scopes():
        raw = {k: {n: v for n, v in c.items() if v} for k, c in queries._raw_demand(scope).items()}
        got = {k: {n: v for n, v in c.items() if v} for k, c in queries.demand(scope).items()}
        assert got == raw, scope
        assert queries.monthly_demand(scope) == queries._raw_monthly_demand(scope), scope
        now = replace(scope, as_of=None)
        assert queries.current_supply(now) == queries.supply(now), scope


def summary_rows() -> dict[tuple[Any, str, str], tuple[int, ...]]:
    db.session.expire_all()
    rows = {}
    for row in db.session.scalars(select(DemandMonth)):
        counts = tuple(getattr(row, name) for name in COUNTERS)
        if any(counts):
            rows[(row.month, row.district, row.category)] = counts
    return rows


def assert_rebuild_agrees() -> None:
    kept = summary_rows()
    rebuild()
    assert summary_rows() == kept
    db.session.rollback()


def test_summary_gives_what_the_raw_tables_give(with_unmet: Known) -> None:
    assert summary_rows()  # kept as the data was written
    assert_summary_matches_raw()
    assert_rebuild_agrees()


def test_summary_follows_edits_of_listings_referrals_and_events(with_unmet: Known) -> None:
    a1, a2, a3 = (with_unmet.activities[k] for k in ("A1", "A2", "A3"))
    # A listing changes category and district: its referrals move with it.
    a1.categories = ["befriending", "walking"]
    a2.postcode_district = "LS8"
    db.session.commit()
    # A referral is backdated and its person's district corrected; an event is moved and
    # another deleted; a referral is deleted with its events; a new one is added.
    referral = db.session.scalars(select(Referral).where(Referral.activity_id == a3.id)).first()
    assert referral is not None
    referral.created_at = at(1, 3)
    referral.person_district = "LS6"
    event = db.session.scalars(
        select(ReferralEvent).where(ReferralEvent.to_status == "waitlisted")
    ).first()
    assert event is not None
    event.at = at(1, 20)
    db.session.commit()
    gone = db.session.scalars(select(Referral).where(Referral.activity_id == a2.id)).first()
    db.session.delete(gone)
    refer(a3, at(3, 2), events=(("declined", "full", at(3, 3)),))
    db.session.commit()
    assert_summary_matches_raw()
    assert_rebuild_agrees()


def test_a_failed_transaction_leaves_the_summary_alone(with_unmet: Known) -> None:
    before = summary_rows()
    record(quick_user("link_worker"), "LS6", at(2), ["full"], ["walking"])
    db.session.flush()
    assert summary_rows() != before  # counted in the transaction …
    db.session.rollback()
    assert summary_rows() == before  # … and gone with it


def test_concurrent_recording_loses_no_count(app: Any, with_unmet: Known) -> None:
    """Many link workers recording at once, each in its own transaction and connection:
    the summary's upsert-with-increment must count every one."""
    worker = quick_user("link_worker")
    db.session.commit()
    worker_id = worker.id
    moment = at(2, 15)
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def one() -> None:
        try:
            with app.app_context():
                from spdirectory.accounts.models import User

                user = db.session.get(User, worker_id)
                barrier.wait(timeout=10)
                for _ in range(3):
                    record(user, "LS8", moment, ["full"], ["befriending"])
                    db.session.commit()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    row = summary_rows()[(moment.date().replace(day=1), "LS8", "befriending")]
    assert row[COUNTERS.index("unmet_needs")] == 2 + 18
    assert_summary_matches_raw()


def test_unmet_needs_recorded_over_the_api_reach_the_report(app: Any, known: Known) -> None:
    from tests.accounts.helpers import bearer, issue_token

    worker = quick_user("link_worker")
    _, token = issue_token(worker)
    db.session.commit()
    client = app.test_client()
    for _ in range(3):
        response = client.post(
            "/api/v1/unmet-needs",
            json={"needs": ["loneliness"], "reasons": ["wrong_times"], "categories": ["walking"],
                  "postcode": "LS6 3AA"},
            headers=bearer(token),
        )  # fmt: skip
        assert response.status_code == 201
    now = datetime.now(UTC)
    month = now.strftime("%Y-%m")
    cells = cells_by_key(
        build_report(parse_params({"from": month, "to": month, "area_type": "ward"}))
    )
    assert cells[("W1", "walking")].unmet_needs == 3
    assert cells[("W1", "walking")].unmet_reasons["wrong_times"] == 3
    # And the month before knows nothing of them.
    before = (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    earlier = cells_by_key(
        build_report(parse_params({"from": before, "to": before, "area_type": "ward"}))
    )
    assert all(c.unmet_needs == 0 for c in earlier.values())


def test_refresh_demand_command_repairs_a_summary_out_of_step(app: Any, with_unmet: Known) -> None:
    kept = summary_rows()
    db.session.execute(DemandMonth.__table__.delete())  # as if rows were loaded with SQL
    db.session.commit()
    assert summary_rows() == {}
    result = app.test_cli_runner().invoke(args=["areas", "refresh-demand"])
    assert result.exit_code == 0, result.output
    assert "Demand summary rebuilt" in result.output
    assert summary_rows() == kept
