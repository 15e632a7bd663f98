"""Benchmark the provider inbox and the link-worker caseload on 1,000,000 referrals.

Run: PYTHONPATH=. python bench/bench_referrals.py [--referrals 1000000] [--requests 200]
     [--database-url URL]

Builds a fresh database with the real migrations (SQLite in a temporary folder unless
--database-url names a PostgreSQL database whose schema may be dropped), bulk-inserts
referrals with Core executemany batches, then times full page requests (routing, sign-in
session, queries, template) through the Flask test client:
  - /referrals/inbox for a large provider (10% of all referrals) and for ordinary ones,
    on every tab, filtered by activity and by client reference;
  - /referrals/caseload for a busy link worker (2% of all referrals) and ordinary ones,
    on every tab.
Target: p95 < 100 ms for each page.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from spdirectory import create_app

PASSWORD = "bench password 1"
ORGS = 400
ACTIVITIES_PER_ORG = 5
LINK_WORKERS = 1000
BATCH = 20_000
NEEDS = ["loneliness", "low_mood", "anxiety_stress", "physical_inactivity", "money_debt"]
CLOSED = [
    ("completed", 40),
    ("declined", 15),
    ("withdrawn", 10),
    ("did_not_attend", 10),
    ("dropped_out", 10),
]
OPEN = [("sent", 30), ("accepted", 30), ("waitlisted", 15), ("attended", 25)]


def weighted(rng: random.Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([s for s, _ in table], weights=[w for _, w in table])[0]


def build(db: Any, referrals: int, seed: int, analyze: bool = True) -> dict[str, Any]:
    from werkzeug.security import generate_password_hash

    from spdirectory.accounts.models import User
    from spdirectory.directory.models import Activity, Organisation
    from spdirectory.referrals.models import Referral

    rng = random.Random(seed)
    now = datetime.now(UTC)
    cheap = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
    conn = db.session.connection()
    conn.execute(
        insert(Organisation),
        [{"name": f"Bench organisation {i}", "uuid": f"org-{i}"} for i in range(ORGS)],
    )
    org_ids = list(db.session.scalars(select(Organisation.id).order_by(Organisation.id)))
    conn.execute(
        insert(Activity),
        [
            {
                "organisation_id": org_id,
                "uuid": f"act-{org_id}-{j}",
                "title": f"Activity {j} of {org_id}",
                "spare_places": 3,
                "capacity": 20,
                "waitlist_open": True,
                "referral_routes": ["link_worker"],
            }
            for org_id in org_ids
            for j in range(ACTIVITIES_PER_ORG)
        ],
    )
    activities = db.session.execute(select(Activity.id, Activity.organisation_id)).all()
    by_org: dict[int, list[int]] = {}
    for a in activities:
        by_org.setdefault(a.organisation_id, []).append(a.id)
    conn.execute(
        insert(User),
        [
            {"email": f"provider{i}@bench.example", "role": "provider",
             "organisation_id": org_id, "password_hash": cheap}
            for i, org_id in enumerate(org_ids)
        ]
        + [
            {"email": f"lw{i}@bench.example", "role": "link_worker",
             "organisation_id": None, "password_hash": cheap}
            for i in range(LINK_WORKERS)
        ],
    )  # fmt: skip
    worker_ids = list(
        db.session.scalars(select(User.id).where(User.role == "link_worker").order_by(User.id))
    )
    db.session.commit()

    big_org, busy_worker = org_ids[0], worker_ids[0]
    start = time.perf_counter()
    done = 0
    window = timedelta(days=3 * 365)
    waitlist_next: dict[int, int] = {}
    while done < referrals:
        rows = []
        for _ in range(min(BATCH, referrals - done)):
            org_id = big_org if rng.random() < 0.10 else rng.choice(org_ids)
            referrer = busy_worker if rng.random() < 0.02 else rng.choice(worker_ids)
            activity_id = rng.choice(by_org[org_id])
            created = now - window * (rng.random() ** 0.7)
            recent = now - created < timedelta(days=120)
            status = weighted(rng, OPEN if recent and rng.random() < 0.6 else CLOSED)
            responded = None if status == "sent" else created + timedelta(days=rng.random() * 5)
            changed = responded or created
            position = None
            if status == "waitlisted":
                position = waitlist_next.get(activity_id, 0) + 1
                waitlist_next[activity_id] = position
            rows.append(
                {
                    "activity_id": activity_id,
                    "organisation_id": org_id,
                    "referrer_id": referrer,
                    "client_reference": f"REF-{done + len(rows):07d}",
                    "summary": "Would like to meet people and get out more",
                    "needs": rng.sample(NEEDS, 2),
                    "contact_consent": False,
                    "preferred_contact": "via_link_worker",
                    "preferred_times": "",
                    "person_district": "LS1",
                    "status": status,
                    "decline_reason": "full" if status == "declined" else None,
                    "waitlist_position": position,
                    "created_at": created,
                    "updated_at": changed,
                    "responded_at": responded,
                    "respond_by": created + timedelta(days=4),
                    "closed_at": changed if status in dict(CLOSED) else None,
                }
            )
        db.session.connection().execute(insert(Referral), rows)
        db.session.commit()
        done += len(rows)
    seconds = time.perf_counter() - start
    if analyze and db.engine.dialect.name == "sqlite":
        db.session.execute(text("ANALYZE"))
    elif analyze:
        db.session.execute(text("ANALYZE referral"))
    db.session.commit()
    return {
        "seconds": seconds,
        "big_org": big_org,
        "busy_worker": busy_worker,
        "org_ids": org_ids,
        "worker_ids": worker_ids,
        "by_org": by_org,
    }


def signed_in_client(app: Any, email: str) -> Any:
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.status_code
    return client


ROWS_SHOWN: dict[str, int] = {"pages": 0, "rows": 0}


def timed(client: Any, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (url, response.status_code)
    # Proof that the pages list referrals rather than "No referrals here".
    ROWS_SHOWN["pages"] += 1
    ROWS_SHOWN["rows"] += response.get_data(as_text=True).count('id="referral-')
    return elapsed


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94] if len(values) > 1 else values[0]


def report(name: str, values: list[float], target: float = 100.0) -> bool:
    ok = p95(values) < target
    print(
        f"{name:<44} n={len(values):<4} p50 {statistics.median(values):6.1f} ms   "
        f"p95 {p95(values):6.1f} ms   max {max(values):6.1f} ms   "
        f"{'OK' if ok else 'OVER'} (target p95 < {target:.0f} ms)"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="per page kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="skip ANALYZE after loading (as a database nobody has analysed)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-referrals-") as tmp:
        tmp_path = Path(tmp)
        url = args.database_url or f"sqlite:///{tmp_path / 'bench.db'}"
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"}, instance_path=tmp_path)
        with app.app_context():
            from flask_migrate import upgrade

            from spdirectory.extensions import db
            from spdirectory.referrals.models import Referral

            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
            upgrade(directory=app.extensions["migrate"].directory)
            print(f"database: {db.engine.dialect.name}")
            world = build(db, args.referrals, args.seed, analyze=not args.no_analyze)
            total = db.session.scalar(select(func.count(Referral.id)))
            big = db.session.scalar(
                select(func.count(Referral.id)).where(Referral.organisation_id == world["big_org"])
            )
            busy = db.session.scalar(
                select(func.count(Referral.id)).where(Referral.referrer_id == world["busy_worker"])
            )
            print(
                f"inserted {total:,} referrals in {world['seconds']:.1f} s "
                f"({total / world['seconds']:,.0f}/s); largest provider {big:,}, "
                f"busiest link worker {busy:,}"
            )
            db.session.remove()

        rng = random.Random(args.seed + 1)
        n = args.requests
        org_index = {org_id: i for i, org_id in enumerate(world["org_ids"])}
        worker_index = {w: i for i, w in enumerate(world["worker_ids"])}

        def provider_email(org_id: int) -> str:
            return f"provider{org_index[org_id]}@bench.example"

        def worker_email(worker_id: int) -> str:
            return f"lw{worker_index[worker_id]}@bench.example"

        inbox_tabs = ["new", "overdue", "waitlist", "accepted", "attended", "closed"]
        caseload_tabs = ["open", "overdue", "follow_up", "sent", "waitlist", "accepted",
                         "attended", "closed"]  # fmt: skip
        results: dict[str, list[float]] = {}
        big_client = signed_in_client(app, provider_email(world["big_org"]))
        busy_client = signed_in_client(app, worker_email(world["busy_worker"]))
        others = rng.sample(world["org_ids"][1:], 20)
        other_clients = [signed_in_client(app, provider_email(o)) for o in others]
        workers = rng.sample(world["worker_ids"][1:], 20)
        worker_clients = [signed_in_client(app, worker_email(w)) for w in workers]
        # Warm up caches (templates, statement cache) before timing.
        for tab in inbox_tabs:
            timed(big_client, f"/referrals/inbox?tab={tab}")

        for i in range(n):
            tab = inbox_tabs[i % len(inbox_tabs)]
            page = 1 + (i // len(inbox_tabs)) % 3
            results.setdefault("inbox, largest provider (all tabs, pages 1-3)", []).append(
                timed(big_client, f"/referrals/inbox?tab={tab}&page={page}")
            )
            activity = rng.choice(world["by_org"][world["big_org"]])
            results.setdefault("inbox, largest provider, by activity", []).append(
                timed(big_client, f"/referrals/inbox?tab={tab}&activity={activity}")
            )
            ref = f"REF-{rng.randrange(args.referrals):07d}"
            results.setdefault("inbox, largest provider, by reference", []).append(
                timed(big_client, f"/referrals/inbox?tab=closed&reference={ref}")
            )
            results.setdefault("inbox, other providers", []).append(
                timed(other_clients[i % len(other_clients)], f"/referrals/inbox?tab={tab}")
            )
            ctab = caseload_tabs[i % len(caseload_tabs)]
            results.setdefault("caseload, busiest link worker (all tabs)", []).append(
                timed(busy_client, f"/referrals/caseload?tab={ctab}&page={page}")
            )
            results.setdefault("caseload, other link workers", []).append(
                timed(worker_clients[i % len(worker_clients)], f"/referrals/caseload?tab={ctab}")
            )
        print(
            f"referrals listed per page: {ROWS_SHOWN['rows'] / ROWS_SHOWN['pages']:.1f} on average"
        )
        verdicts = [report(name, values) for name, values in results.items()]  # print every one
        ok = all(verdicts)
        print("ALL WITHIN TARGET" if ok else "SOME PAGES OVER TARGET")
        with app.app_context():
            from spdirectory.extensions import db

            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
