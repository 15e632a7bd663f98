"""The demo data set: a deterministic, valid generator and a loader that shows every role."""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from spdirectory.accounts.models import User
from spdirectory.db_types import utcnow
from spdirectory.demo.generate import ENGLAND_PREFIXES, generate_rows, write_csv
from spdirectory.demo.loader import DEMO_PASSWORD, demo_accounts, load_demo
from spdirectory.directory.importer import TEMPLATE_COLUMNS, read_rows
from spdirectory.directory.listing import parse_listing
from spdirectory.directory.models import Activity, Organisation
from spdirectory.extensions import db
from spdirectory.geo import postcode_area
from spdirectory.vocab import KITE_MARK, ROLES

TODAY = datetime.now(UTC).date()
DRAMA_PHONE_PREFIXES = ("0113 496 0", "07700 900")  # Ofcom's drama ranges used in Leeds


@pytest.fixture(scope="module")
def leeds_rows() -> list[dict[str, str]]:
    return list(generate_rows(400, seed=11))


def test_same_seed_gives_same_rows() -> None:
    first = list(generate_rows(150, seed=5, today=date(2026, 6, 1)))
    again = list(generate_rows(150, seed=5, today=date(2026, 6, 1)))
    other = list(generate_rows(150, seed=6, today=date(2026, 6, 1)))
    assert first == again
    assert first != other


def test_rows_have_the_template_shape(leeds_rows: list[dict[str, str]]) -> None:
    assert len(leeds_rows) == 400
    for row in leeds_rows:
        assert list(row) == TEMPLATE_COLUMNS
        assert all(isinstance(value, str) for value in row.values())
    ids = [row["external_id"] for row in leeds_rows]
    assert len(set(ids)) == len(ids)


def test_every_row_is_a_valid_listing_in_leeds(leeds_rows: list[dict[str, str]]) -> None:
    for row in leeds_rows:
        clean = parse_listing(row)  # raises ListingError for an invalid row
        assert clean.values["postcode"].startswith("LS")
        assert row["email"].endswith("@example.org")
        assert row["phone"].startswith(DRAMA_PHONE_PREFIXES)


def test_rows_across_england_are_valid() -> None:
    rows = list(generate_rows(300, seed=2, postcode_prefixes=ENGLAND_PREFIXES))
    for row in rows:
        parse_listing(row)
    areas = {postcode_area(row["postcode"]) for row in rows}
    assert areas <= set(ENGLAND_PREFIXES)
    assert len(areas) >= 10  # spread over many of the 20 areas, not only Leeds


def test_rows_are_varied_like_a_real_directory(leeds_rows: list[dict[str, str]]) -> None:
    def share(predicate: Callable[[dict[str, str]], bool]) -> float:
        return sum(1 for row in leeds_rows if predicate(row)) / len(leeds_rows)

    assert 0.1 <= share(lambda r: r["spare_places"] == "0") <= 0.3
    assert share(lambda r: r["waitlist"] == "yes") > 0.03
    assert share(lambda r: r["schedule"] == "") > 0.03  # by arrangement
    assert share(lambda r: r["modes"] == "in_person") > 0.6
    assert share(lambda r: "online" in r["modes"]) > 0.01
    assert share(lambda r: "phone" in r["modes"]) > 0.01
    assert share(lambda r: r["cost"] == "free") > 0.6
    paid = [float(r["cost"]) for r in leeds_rows if r["cost"] != "free"]
    assert paid and all(2 <= amount <= 6 for amount in paid)
    assert {r["wheelchair_accessible"] for r in leeds_rows} == {"yes", "no", ""}
    assert share(lambda r: r["languages"] != "en") > 0.02
    assert {(r["age_min"], r["age_max"]) for r in leeds_rows} >= {
        ("", ""),
        ("18", ""),
        ("16", "25"),
    }
    assert share(lambda r: r["age_min"] in {"50", "60", "65"}) > 0.03
    capacities = [int(r["capacity"]) for r in leeds_rows]
    assert min(capacities) >= 6 and max(capacities) <= 40
    kite_marks = Counter(r["kite_mark"] for r in leeds_rows)
    assert set(kite_marks) <= set(KITE_MARK) and len(kite_marks) >= 4
    ages = [(TODAY - date.fromisoformat(r["capacity_updated"])).days for r in leeds_rows]
    assert min(ages) >= 0 and max(ages) <= 90
    assert 0.1 <= sum(a > 30 for a in ages) / len(ages) <= 0.4  # some listings are stale
    charities = [r for r in leeds_rows if r["organisation_type"] in {"charity", "cio"}]
    assert charities and all(r["charity_number"].isdigit() for r in charities)


def test_needs_fit_the_category(leeds_rows: list[dict[str, str]]) -> None:
    for row in leeds_rows:
        categories, needs = row["categories"].split(";"), row["needs"].split(";")
        if "advice_money" in categories[:1]:
            assert "money_debt" in needs
        if "carers_support" in categories[:1]:
            assert "carer_strain" in needs
        if "digital_skills" in categories[:1]:
            assert "digital_exclusion" in needs


def test_organisations_run_one_to_many_activities() -> None:
    rows = list(generate_rows(600, seed=3, organisations=80))
    per_org = Counter(row["organisation"] for row in rows)
    assert len(per_org) == 80
    assert min(per_org.values()) == 1
    assert max(per_org.values()) >= 12
    types = {row["organisation"]: row["organisation_type"] for row in rows}
    assert len(set(types.values())) >= 4


def test_write_csv_round_trips_through_the_importer_reader(tmp_path: Path) -> None:
    rows = list(generate_rows(40, seed=9))
    path = tmp_path / "demo.csv"
    assert write_csv(path, rows) == 40
    with path.open(encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh)) == TEMPLATE_COLUMNS
    with path.open(encoding="utf-8", newline="") as fh:
        read = list(read_rows(fh))
    assert [number for number, _ in read] == list(range(2, 42))
    assert [row for _, row in read] == rows


def test_demo_accounts_cover_every_role() -> None:
    accounts = demo_accounts()
    assert {role for _, role in accounts} == set(ROLES)
    assert len({email for email, _ in accounts}) == len(accounts)
    assert sum(role == "provider" for _, role in accounts) == 2
    assert "demo" in DEMO_PASSWORD and len(DEMO_PASSWORD) >= 10


def test_load_demo(app: Flask) -> None:
    summary = load_demo(seed=app.config["DEMO_SEED"])
    assert "\n" not in summary and "activities" in summary

    published = db.session.scalar(
        select(func.count(Activity.id)).where(Activity.status == "published")
    )
    assert published >= 300
    assert db.session.scalar(select(func.count(Organisation.id))) >= 40
    activities = db.session.scalars(select(Activity)).all()
    assert all(a.postcode.startswith("LS") and a.latitude is not None for a in activities)
    assert all(a.source == "demo" and a.external_id for a in activities)

    now = utcnow()
    stale = [a for a in activities if a.is_stale(30, now)]
    full = [a for a in activities if a.spare_places == 0]
    assert stale and len(stale) < len(activities) / 2
    assert full and any(a.waitlist_open for a in full)
    kite_marks = Counter(a.kite_mark for a in activities)
    assert {"awarded", "pending", "none", "expired", "suspended"} <= set(kite_marks)
    awarded = [a for a in activities if a.kite_mark == "awarded"]
    assert all(a.kite_mark_valid_until and a.kite_mark_valid_until > TODAY for a in awarded)

    users = {u.email: u for u in db.session.scalars(select(User))}
    for email, role in demo_accounts():
        user = users[email]
        assert user.role == role and user.active
        assert user.check_password(DEMO_PASSWORD)
        assert not user.check_password("not the password")
    providers = [users[email] for email, role in demo_accounts() if role == "provider"]
    assert all(p.organisation is not None for p in providers)
    assert providers[0].organisation_id != providers[1].organisation_id
    listings = providers[0].organisation.activities
    assert len(listings) >= 4
    assert any(a.is_stale(30, now) for a in listings)
    assert any(not a.is_stale(30, now) for a in listings)
    assert any(a.spare_places == 0 and a.waitlist_open for a in listings)
    assert any(a.spare_places > 0 for a in listings)

    # The provider signs in with the demo password and lands on their own listings.
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page)
    token = field and re.search(r'value="([^"]+)"', field.group(0))
    assert token
    response = client.post(
        "/sign-in",
        data={"email": providers[0].email, "password": DEMO_PASSWORD, "csrf_token": token[1]},
        follow_redirects=True,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert any(a.title.replace("'", "&#39;") in html for a in listings)


def test_load_demo_again_updates_instead_of_duplicating(app: Flask) -> None:
    load_demo(seed=7, activities=60)
    counts = (
        db.session.scalar(select(func.count(Activity.id))),
        db.session.scalar(select(func.count(Organisation.id))),
        db.session.scalar(select(func.count(User.id))),
    )
    summary = load_demo(seed=7, activities=60)
    assert "0 created, 60 updated, 0 rejected, 0 new organisations" in summary
    db.session.expire_all()
    assert counts == (
        db.session.scalar(select(func.count(Activity.id))),
        db.session.scalar(select(func.count(Organisation.id))),
        db.session.scalar(select(func.count(User.id))),
    )


def test_capacity_dates_are_not_in_the_future(leeds_rows: list[dict[str, str]]) -> None:
    latest = max(date.fromisoformat(r["capacity_updated"]) for r in leeds_rows)
    assert latest <= TODAY
    reviewed = [date.fromisoformat(r["last_reviewed"]) for r in leeds_rows if r["last_reviewed"]]
    assert reviewed and max(reviewed) <= TODAY
    assert min(reviewed) >= TODAY - timedelta(days=90 + 180)


def test_demo_supply_has_a_year_of_history(app: Flask) -> None:
    """The panel's supply-by-month chart has a shape: listings opened over time, spare
    places changed during the year, and today's figure is the last one recorded."""
    from datetime import timedelta

    from spdirectory.directory.models import CapacityChange
    from spdirectory.reports.queries import supply_over_time
    from spdirectory.reports.report import _scope, parse_params

    load_demo(seed=7, activities=60)
    now = utcnow()
    activities = db.session.scalars(select(Activity)).all()
    opened = [a.created_at for a in activities]
    assert all(o <= now for o in opened)
    assert any(o > now - timedelta(days=365) for o in opened)  # some opened this year
    assert sum(o < now - timedelta(days=365) for o in opened) > len(opened) / 2
    for activity in activities:
        history = db.session.scalars(
            select(CapacityChange)
            .where(CapacityChange.activity_id == activity.id)
            .order_by(CapacityChange.id)
        ).all()
        assert len(history) >= 3
        assert [h.at for h in history] == sorted(h.at for h in history)  # ids in time order
        assert history[-1].spare_places == activity.spare_places

    scope = _scope(parse_params({"group_by": "both"}), ())
    year_ago, month_ago = now - timedelta(days=330), now - timedelta(days=20)
    earlier, later = supply_over_time(scope, [year_ago, month_ago])
    assert 0 < earlier["places"] < later["places"]  # listings opened during the year

    # Loading again adds no history.
    count = db.session.scalar(select(func.count(CapacityChange.id)))
    load_demo(seed=7, activities=60)
    assert db.session.scalar(select(func.count(CapacityChange.id))) == count
