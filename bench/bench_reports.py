"""Benchmark the capacity-gap report: 100,000 activities, 1,000,000 referrals, 200,000 unmet
needs (when the unmet-needs table exists) and 100,000 unmet searches over 12 months.

Run: PYTHONPATH=. python bench/bench_reports.py [--activities 100000] [--referrals 1000000]
     [--unmet-needs 200000] [--searches 100000] [--runs 5] [--database-url URL]

Builds a fresh database with the real migrations (SQLite in a temporary folder unless
--database-url names a PostgreSQL database whose schema may be dropped), bulk-inserts the
data with Core executemany batches, then times `build_report()` for the full 12-month report
(all wards × all categories; also grouped by area and by category, and with `as_of`, which
reads capacity history). Target: the full report in < 2 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from spdirectory import create_app

BATCH = 20_000
PREFIXES = [
    "AB", "B", "BA", "BB", "BD", "BH", "BL", "BN", "BR", "BS", "CA", "CB", "CF", "CH", "CM",
    "CO", "CR", "CT", "CV", "CW", "DA", "DE", "DH", "DL", "DN", "DT", "DY", "E", "EN", "EX",
    "FY", "GL", "GU", "HA", "HD", "HG", "HP", "HR", "HU", "HX", "IG", "IP", "KT", "L", "LA",
    "LE", "LN", "LS", "LU", "M", "ME", "MK", "N", "NE", "NG", "NN", "NR", "NW", "OL", "OX",
]  # fmt: skip
DISTRICTS_PER_PREFIX = 30  # 1,800 districts
DISTRICTS_PER_WARD = 2  # 900 wards, under 60 places
NEEDS = ["loneliness", "low_mood", "anxiety_stress", "physical_inactivity", "money_debt"]


def batches(rows: list[dict[str, Any]]) -> Any:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def build(db: Any, args: argparse.Namespace, start: date) -> dict[str, int]:
    from spdirectory import vocab
    from spdirectory.directory.models import Activity, CapacityChange, Organisation
    from spdirectory.referrals.models import Referral, ReferralEvent
    from spdirectory.reports.areas import refresh_inherited_districts
    from spdirectory.reports.models import Area, AreaDistrict
    from spdirectory.reports.queries import unmet_need_model
    from spdirectory.search.demand import UnmetSearch

    rng = random.Random(args.seed)
    conn = db.session.connection()
    categories = list(vocab.CATEGORIES)
    districts = [f"{p}{n}" for p in PREFIXES for n in range(1, DISTRICTS_PER_PREFIX + 1)]

    # Areas: wards of two districts each, places above them (districts inherited).
    places = [
        {"code": f"P-{p}", "name": f"Place {p}", "type": "place", "population": 0,
         "need_weight": 1.0, "updated_at": datetime.now(UTC)}
        for p in PREFIXES
    ]  # fmt: skip
    conn.execute(insert(Area), places)
    wards = []
    for i in range(0, len(districts), DISTRICTS_PER_WARD):
        prefix = districts[i].rstrip("0123456789")
        wards.append(
            {
                "code": f"W-{i}",
                "name": f"Ward {i}",
                "type": "ward",
                "parent_code": f"P-{prefix}",
                "population": rng.randint(8_000, 30_000),
                "need_weight": round(rng.uniform(0.7, 1.6), 2),
                "updated_at": datetime.now(UTC),
            }
        )
    conn.execute(insert(Area), wards)
    ids = dict(conn.execute(text("SELECT code, id FROM area")).all())
    conn.execute(
        insert(AreaDistrict),
        [
            {"area_id": ids[f"W-{i - i % DISTRICTS_PER_WARD}"], "district": d, "inherited": False}
            for i, d in enumerate(districts)
        ],
    )
    refresh_inherited_districts()

    conn.execute(
        insert(Organisation),
        [{"name": f"Bench organisation {i}", "uuid": f"org-{i}"} for i in range(2000)],
    )
    org_ids = [r[0] for r in conn.execute(text("SELECT id FROM organisation ORDER BY id"))]
    created = datetime.combine(start, datetime.min.time(), UTC) - timedelta(days=30)
    activities = []
    for i in range(args.activities):
        capacity = rng.randint(5, 40)
        activities.append(
            {
                "organisation_id": rng.choice(org_ids),
                "uuid": f"act-{i}",
                "title": f"Activity {i}",
                "categories": rng.sample(categories, rng.choice((1, 1, 2, 3))),
                "postcode_district": rng.choice(districts),
                "capacity": capacity,
                "spare_places": rng.randint(0, capacity // 3),
                "waitlist_open": rng.random() < 0.3,
                "status": "published" if rng.random() < 0.95 else "archived",
                "created_at": created,
                "capacity_updated_at": created,
            }
        )
    for chunk in batches(activities):
        conn.execute(insert(Activity), chunk)
    activity_rows = conn.execute(
        text("SELECT id, organisation_id, postcode_district, capacity FROM activity")
    ).all()

    # Capacity history: a row at creation and a later change for a third of them.
    history = []
    for activity_id, _org, _district, capacity in activity_rows:
        history.append(
            {"activity_id": activity_id, "at": created, "capacity": capacity,
             "spare_places": 1, "waitlist_open": False, "reason": "import"}
        )  # fmt: skip
        if rng.random() < 0.33:
            history.append(
                {"activity_id": activity_id, "at": created + timedelta(days=rng.randint(30, 360)),
                 "capacity": capacity + 5, "spare_places": 0, "waitlist_open": True,
                 "reason": "quick_update"}
            )  # fmt: skip
    for chunk in batches(history):
        conn.execute(insert(CapacityChange), chunk)

    period_start = datetime.combine(start, datetime.min.time(), UTC)
    seconds = 365 * 86400
    referral_rows = []
    for i in range(args.referrals):
        activity_id, org_id, district, _capacity = activity_rows[rng.randrange(len(activity_rows))]
        at = period_start + timedelta(seconds=rng.randrange(seconds))
        roll, roll2 = rng.random(), rng.random()
        status = "waitlisted" if roll < 0.10 else "declined" if roll < 0.15 else "accepted"
        referral_rows.append(
            {
                "activity_id": activity_id,
                "organisation_id": org_id,
                "client_reference": f"C{i}",
                "needs": [rng.choice(NEEDS)],
                # Optional on the form: half unknown, most others near the activity.
                "person_district": (
                    None if roll2 < 0.5 else district if roll2 < 0.9 else rng.choice(districts)
                ),
                "status": status,
                "decline_reason": "full" if status == "declined" else None,
                "created_at": at,
                "updated_at": at,
                "respond_by": at + timedelta(days=3),
            }
        )
    first_id = 1
    for chunk in batches(referral_rows):
        conn.execute(insert(Referral), chunk)
    first_id = conn.execute(text("SELECT min(id) FROM referral")).scalar() or 1
    events = [
        {"referral_id": first_id + i, "to_status": r["status"], "from_status": "sent",
         "reason": r["decline_reason"], "at": r["created_at"] + timedelta(days=2)}
        for i, r in enumerate(referral_rows)
        if r["status"] in ("waitlisted", "declined")
    ]  # fmt: skip
    for chunk in batches(events):
        conn.execute(insert(ReferralEvent), chunk)
    del referral_rows

    unmet_model = unmet_need_model()
    unmet = 0
    if unmet_model is not None:
        reasons = list(vocab.UNMET_NEED_REASONS)
        rows = [
            {
                "needs": [rng.choice(NEEDS)],
                "categories": rng.sample(categories, rng.choice((1, 2))),
                "reasons": rng.sample(reasons, rng.choice((1, 2))),
                "postcode_district": rng.choice(districts),
                "recorded_at": period_start + timedelta(seconds=rng.randrange(seconds)),
            }
            for _ in range(args.unmet_needs)
        ]
        for chunk in batches(rows):
            conn.execute(insert(unmet_model), chunk)
        unmet = len(rows)
    searches = [
        {
            "at": period_start + timedelta(seconds=rng.randrange(seconds)),
            "kind": "search",
            "query_text": "",
            "filters": {"category": [rng.choice(categories)]} if rng.random() < 0.7 else {},
            "postcode_district": rng.choice(districts),
            "results": 0,
            "outcome": "nothing",
        }
        for _ in range(args.searches)
    ]
    for chunk in batches(searches):
        conn.execute(insert(UnmetSearch), chunk)
    db.session.commit()
    # Core inserts bypass the flush hooks that keep the monthly demand summary in step:
    # rebuild it once, as `spdirectory reports refresh-demand` does after a bulk load.
    from spdirectory.reports.summary import rebuild

    t0 = time.perf_counter()
    summary_rows = rebuild()
    db.session.commit()
    print(f"demand summary rebuilt in {time.perf_counter() - t0:.1f} s ({summary_rows:,} rows)")
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {
        "areas": len(places) + len(wards),
        "activities": len(activity_rows),
        "capacity changes": len(history),
        "referrals": args.referrals,
        "status events": len(events),
        "unmet needs": unmet,
        "unmet searches": len(searches),
    }


def timed(runs: int, fn: Any) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--unmet-needs", type=int, default=200_000)
    parser.add_argument("--searches", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="PostgreSQL: time the data already loaded by an earlier run (no rebuild)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        url = args.database_url or f"sqlite:///{tmp_path / 'bench.db'}"
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"}, instance_path=tmp_path)
        with app.app_context():
            from flask_migrate import upgrade

            from spdirectory.extensions import db
            from spdirectory.reports.report import build_report, parse_params

            today = datetime.now(UTC).date()
            first = date(today.year - 1, today.month, 1)
            if not (args.reuse and args.database_url):
                if db.engine.dialect.name == "postgresql":
                    with db.engine.begin() as conn:
                        conn.execute(text("DROP SCHEMA public CASCADE"))
                        conn.execute(text("CREATE SCHEMA public"))
                upgrade(directory=app.extensions["migrate"].directory)
                t0 = time.perf_counter()
                counts = build(db, args, first)
                elapsed = time.perf_counter() - t0
                print(f"database: {db.engine.dialect.name}; loaded in {elapsed:.0f} s")
                for name, n in counts.items():
                    print(f"  {name:>17}: {n:,}")
            else:
                print(f"database: {db.engine.dialect.name}; reusing the loaded data")
            last = date(today.year, today.month, 1) - timedelta(days=1)
            base = {"from": first.strftime("%Y-%m"), "to": last.strftime("%Y-%m")}
            cases = [
                ("full 12-month report, ward × category", {**base, "group_by": "both"}),
                ("12 months by ward", {**base, "group_by": "area"}),
                ("12 months by category", {**base, "group_by": "category"}),
                ("ward × category as of a date", {**base, "as_of": last.isoformat()}),
                ("one ward, one category (drill-down)", {**base, "area": "W-100",
                                                         "category": "walking"}),
            ]  # fmt: skip
            print(f"\nbuild_report() as the API and exports run it, {args.runs} runs each (s):")
            for label, query in cases:
                params = parse_params({**query, "area_type": "ward"})
                times, report = timed(args.runs, lambda p=params: build_report(p, monthly=False))
                target = "  (target < 2 s)" if query.get("group_by") == "both" else ""
                print(
                    f"  {label:<40} median {statistics.median(times):.3f}  "
                    f"max {max(times):.3f}  cells {len(report.cells):,}  "
                    f"ranked {len(report.priorities):,}{target}"
                )
            with_chart = parse_params({**base, "group_by": "both", "area_type": "ward"})
            times, _ = timed(args.runs, lambda: build_report(with_chart))
            print(
                f"  {'full report + monthly trend series (panel page)':<40} "
                f"median {statistics.median(times):.3f}  max {max(times):.3f}"
            )
            print("\nper query, full report (seconds):")
            from spdirectory.reports import queries
            from spdirectory.reports.report import _scope

            params = parse_params({**base, "group_by": "both", "area_type": "ward"})
            scope = _scope(params, ())
            print("  (current_supply and demand are what the report runs; supply is the SQL")
            print("   kept for as-of reports; the last three are the raw demand queries the")
            print("   summary replaces, still used for a partial month)")
            for fn in (
                queries.current_supply,
                queries.supply,
                queries.demand,
                queries.monthly_demand,
                queries.referral_demand,
                queries.unmet_need_demand,
                queries.search_demand,
            ):
                times, _ = timed(1, lambda f=fn: f(scope))
                print(f"  {fn.__name__:<40} {times[0]:.3f}")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
