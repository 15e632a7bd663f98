"""Load the demo data set: a few hundred Leeds listings and one account for every role.

FOR DEMONSTRATION ONLY. Every demo account shares DEMO_PASSWORD, which is printed by
`spdirectory demo`; never load this data into a directory that real people use.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import bindparam, func, insert, select, update

from ..accounts.models import User
from ..audit import acting_as
from ..directory.importer import Importer
from ..directory.models import Activity, CapacityChange, Organisation
from ..extensions import db
from .generate import generate_rows

# Demo only: printed on the console by `spdirectory demo`, shared by every demo account.
DEMO_PASSWORD = "demo-password-2026"
DEMO_SOURCE = "demo"
DEMO_PREFIXES = ["LS"]  # Leeds
DEMO_ACTIVITIES = 360
DEMO_DOMAIN = "demo.example.org"

# (email, role, display name); the two providers are attached to organisations by load_demo.
_ACCOUNTS: list[tuple[str, str, str]] = [
    (f"admin@{DEMO_DOMAIN}", "admin", "Demo Administrator"),
    (f"linkworker@{DEMO_DOMAIN}", "link_worker", "Demo Link Worker"),
    (f"provider@{DEMO_DOMAIN}", "provider", "Demo Provider"),
    (f"provider2@{DEMO_DOMAIN}", "provider", "Demo Provider (small group)"),
    (f"panel@{DEMO_DOMAIN}", "panel", "Demo Fund Panel Member"),
    (f"reviewer@{DEMO_DOMAIN}", "reviewer", "Demo Kite-mark Reviewer"),
]
_MAIN_PROVIDER = f"provider@{DEMO_DOMAIN}"
_SECOND_PROVIDER = f"provider2@{DEMO_DOMAIN}"


def demo_accounts() -> list[tuple[str, str]]:
    """(email, role) of every demo account; all use DEMO_PASSWORD."""
    return [(email, role) for email, role, _ in _ACCOUNTS]


def _by_organisation(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        grouped[row["organisation"]].append(row)
    return grouped


def _showcase(rows: list[dict[str, str]], today: date) -> tuple[str, str]:
    """Choose the two provider organisations and make sure the demo shows what matters:
    the main provider has fresh, stale and full listings (one with a waitlist), and every
    kite-mark state occurs somewhere. Returns (main organisation, second organisation)."""
    grouped = _by_organisation(rows)

    def showcase_value(name: str) -> tuple[bool, int, int, str]:
        # A busy organisation whose listings still fit on a page, running varied things.
        listings = grouped[name]
        kinds = {row["categories"].split(";")[0] for row in listings}
        return (6 <= len(listings) <= 15, len(kinds), len(listings), name)

    main = max(grouped, key=showcase_value)
    second = next(
        (n for n in grouped if n != main and 2 <= len(grouped[n]) <= 4),
        next(n for n in grouped if n != main),
    )

    def stale(row: dict[str, str], days: int) -> None:
        updated = today - timedelta(days=days)
        row["capacity_updated"] = updated.isoformat()
        row["last_reviewed"] = (updated - timedelta(days=20)).isoformat()

    def fresh(row: dict[str, str], days: int) -> None:
        row["capacity_updated"] = (today - timedelta(days=days)).isoformat()

    def full(row: dict[str, str], waitlist: bool) -> None:
        row["spare_places"] = "0"
        row["waitlist"] = "yes" if waitlist else "no"

    listings = grouped[main]
    tweaks = [
        lambda r: fresh(r, 1),
        lambda r: stale(r, 47),
        lambda r: (full(r, waitlist=True), fresh(r, 3)),
        lambda r: (full(r, waitlist=False), stale(r, 63)),
    ]
    for row, tweak in zip(listings, tweaks, strict=False):
        tweak(row)
    if len(listings) > 1 and listings[0]["spare_places"] == "0":
        listings[0]["spare_places"] = "1"
    for row in listings:
        row["kite_mark"] = "awarded"
    for row in grouped[second]:
        row["kite_mark"] = "pending"  # a small group working towards its kite mark
    present = {row["kite_mark"] for row in rows}
    spare_orgs = [n for n in grouped if n not in {main, second}]
    for state, name in zip(("suspended", "expired", "none"), reversed(spare_orgs), strict=False):
        if state not in present:
            for row in grouped[name]:
                row["kite_mark"] = state
    return main, second


def _kite_mark_dates(seed: int, today: date) -> None:
    """Awarded kite marks run for two years; expired ones ran out some time ago."""
    rng = random.Random(seed + 1)
    activities = db.session.scalars(
        select(Activity).where(Activity.source == DEMO_SOURCE).order_by(Activity.external_id)
    ).all()
    until: dict[int, date | None] = {}
    for activity in activities:
        if activity.organisation_id not in until:
            if activity.kite_mark in {"awarded", "suspended"}:
                until[activity.organisation_id] = today + timedelta(days=rng.randint(30, 700))
            elif activity.kite_mark == "expired":
                until[activity.organisation_id] = today - timedelta(days=rng.randint(5, 200))
            else:
                until[activity.organisation_id] = None
        activity.kite_mark_valid_until = until[activity.organisation_id]


def _capacity_history(seed: int, now: datetime) -> None:
    """Opening dates and a year of spare-place changes, so supply over time has a shape: most
    listings opened before the reports' year, some during it; spare places went up and down
    until today's figure. Core statements: this is history, not edits to audit."""
    rng = random.Random(seed + 2)
    rows = db.session.execute(
        select(
            Activity.id, Activity.capacity, Activity.spare_places, Activity.waitlist_open,
            Activity.capacity_updated_at,
        )
        .where(Activity.source == DEMO_SOURCE)
        .order_by(Activity.external_id)
    ).all()  # fmt: skip
    # Only listings with just the import's row: loading the demo again adds no history.
    fresh = set(
        db.session.scalars(
            select(CapacityChange.activity_id)
            .group_by(CapacityChange.activity_id)
            .having(func.count() == 1)
        )
    )
    changes, openings = [], []
    for activity_id, capacity, spare, waitlist, confirmed in rows:
        if activity_id not in fresh:
            continue
        days = rng.randint(30, 330) if rng.random() < 0.15 else rng.randint(380, 900)
        opened = min(now - timedelta(days=days), confirmed)
        openings.append({"target": activity_id, "opened": opened})
        span = (confirmed - opened).total_seconds()
        moments = sorted(rng.uniform(0, span) for _ in range(rng.randint(2, 6)))
        top = capacity if capacity is not None else max(spare, 1) * 2
        for offset in moments:
            changes.append(
                {"activity_id": activity_id, "at": opened + timedelta(seconds=offset),
                 "capacity": capacity, "spare_places": rng.randint(0, top),
                 "waitlist_open": rng.random() < 0.3, "reason": "quick_update"}
            )  # fmt: skip
        changes.append(
            {"activity_id": activity_id, "at": confirmed, "capacity": capacity,
             "spare_places": spare, "waitlist_open": waitlist, "reason": "confirm"}
        )  # fmt: skip
    if openings:
        a, c = Activity.__table__, CapacityChange.__table__
        db.session.execute(
            update(a).where(a.c.id == bindparam("target")).values(created_at=bindparam("opened")),
            openings,
        )
        # The import's row (today's figures) becomes the opening one, so ids stay in time order.
        db.session.execute(
            update(c).where(c.c.activity_id == bindparam("target")).values(at=bindparam("opened")),
            openings,
        )
    if changes:
        db.session.execute(insert(CapacityChange), changes)


def load_demo(seed: int, *, activities: int = DEMO_ACTIVITIES) -> str:
    """Import the demo listings (Leeds) through the real importer, create the demo accounts
    and commit; returns a one-line summary. Safe to run again: listings are upserted and
    accounts updated. `activities` is for quick tests; the demo itself uses the default."""
    today = datetime.now(UTC).date()
    rows = list(generate_rows(max(activities, 12), seed, DEMO_PREFIXES, today=today))
    main_org, second_org = _showcase(rows, today)

    with acting_as(label="demo loader"):
        importer = Importer(source=DEMO_SOURCE, honour_kite_mark=True)
        report = importer.run(enumerate(rows, start=2))  # row 1 would be the CSV header
        if report.errors:
            first = report.errors[0]
            raise RuntimeError(
                f"The demo data set did not import cleanly ({report.rejected} rows rejected; "
                f"row {first.row}: {first.reason})"
            )
        _kite_mark_dates(seed, today)
        from ..kitemark.demo import load_demo_kitemarks

        load_demo_kitemarks()  # award records, and an application waiting for review
        from ..reports.demo import load_demo_areas

        load_demo_areas()  # wards, PCNs, place and ICB for the capacity-gap reports
        _capacity_history(seed, datetime.now(UTC))

        # The importer matches organisation names without regard to case; so does this.
        wanted = [main_org.lower(), second_org.lower()]
        organisations = {
            org.name.lower(): org
            for org in db.session.scalars(
                select(Organisation).where(func.lower(Organisation.name).in_(wanted))
            )
        }
        password_hash = ""
        for email, role, name in _ACCOUNTS:
            user = db.session.scalars(select(User).where(User.email == email)).one_or_none()
            if user is None:
                user = User(email=email)
                db.session.add(user)
            user.role = role
            user.name = name
            user.active = True
            user.organisation = {
                _MAIN_PROVIDER: organisations[wanted[0]],
                _SECOND_PROVIDER: organisations[wanted[1]],
            }.get(email)
            # They all share the (printed) demo password, so one deliberately slow hash will do.
            if not password_hash:
                user.set_password(DEMO_PASSWORD)
                password_hash = user.password_hash
            user.password_hash = password_hash
        db.session.flush()
        # A year of referrals, unmet needs and empty searches, so the reports show gaps.
        from .demand import load_demo_demand

        link_worker = db.session.scalars(
            select(User).where(User.email == f"linkworker@{DEMO_DOMAIN}")
        ).one()
        demand = load_demo_demand(seed, link_worker.id)
        db.session.commit()

    stored = db.session.scalar(
        select(func.count(Activity.id)).where(Activity.source == DEMO_SOURCE)
    )
    orgs = db.session.scalar(
        select(func.count(func.distinct(Activity.organisation_id))).where(
            Activity.source == DEMO_SOURCE
        )
    )
    return (
        f"Demo data: {stored} activities from {orgs} organisations in Leeds "
        f"({report.summary()}); {len(_ACCOUNTS)} demo accounts; "
        f"providers manage “{main_org}” and “{second_org}”; demand: {demand}."
    )
