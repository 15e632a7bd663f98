"""parse_listing: the one validation path for forms, CSV import and the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import spdirectory.accounts.models  # noqa: F401  (Organisation.members needs User mapped)
from spdirectory.directory.listing import (
    CleanListing,
    ListingError,
    apply_listing,
    parse_cost,
    parse_listing,
)
from spdirectory.directory.models import Activity

BASE = {
    "title": "Tuesday wellbeing walk",
    "categories": "walking",
    "postcode": "LS1 1AZ",
}


def parse(**fields: Any) -> dict[str, Any]:
    return parse_listing({**BASE, **fields}).values


def errors_for(**fields: Any) -> dict[str, str]:
    with pytest.raises(ListingError) as caught:
        parse_listing({**BASE, **fields})
    return caught.value.errors


def test_minimal_listing_and_defaults() -> None:
    values = parse()
    assert values["title"] == "Tuesday wellbeing walk"
    assert values["categories"] == ["walking"]
    assert values["needs"] == []
    assert values["modes"] == ["in_person"]
    assert values["referral_routes"] == ["link_worker", "self"]
    assert values["languages"] == ["en"]
    assert values["schedule"] == ""
    assert values["cost_pence"] is None  # unknown, not free
    assert values["capacity"] is None
    assert values["spare_places"] == 0
    assert values["waitlist_open"] is False
    assert values["wheelchair_accessible"] is None
    assert "kite_mark" not in values  # only set when given
    assert "capacity_updated_at" not in values


# --- title and description ------------------------------------------------------------


@pytest.mark.parametrize("title", ["", "   ", None])
def test_title_required(title: str | None) -> None:
    assert errors_for(title=title) == {"title": "enter a title"}


def test_title_trimmed_and_limited() -> None:
    assert parse(title="  Choir  ")["title"] == "Choir"
    assert parse(title="x" * 200)["title"] == "x" * 200
    assert errors_for(title="x" * 201) == {"title": "title must be 200 characters or fewer"}


def test_description_limited() -> None:
    assert parse(description=" Tea after. ")["description"] == "Tea after."
    assert "5,000 characters" in errors_for(description="x" * 5001)["description"]


# --- categories, needs, modes, routes -------------------------------------------------


def test_categories_normalised_and_deduplicated() -> None:
    values = parse(categories="Walking; green nature, green-nature | gardening")
    assert values["categories"] == ["walking", "green_nature", "gardening"]


def test_unknown_category_reported_by_name() -> None:
    errors = errors_for(categories="walking; swimming; knitting")
    assert errors == {"categories": "unknown category 'swimming', 'knitting'"}


@pytest.mark.parametrize("categories", ["", " ; ", None])
def test_at_least_one_category(categories: str | None) -> None:
    assert errors_for(categories=categories) == {"categories": "choose at least one category"}


def test_needs_modes_routes() -> None:
    values = parse(needs="loneliness;low mood", modes="online;phone", referral_routes="self")
    assert values["needs"] == ["loneliness", "low_mood"]
    assert values["modes"] == ["online", "phone"]
    assert values["referral_routes"] == ["self"]
    assert errors_for(needs="boredom") == {"needs": "unknown need 'boredom'"}
    assert errors_for(modes="carrier pigeon") == {"modes": "unknown mode 'carrier_pigeon'"}
    assert errors_for(referral_routes="gp") == {"referral_routes": "unknown referral route 'gp'"}


# --- cost ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "pence"),
    [
        ("free", 0),
        ("FREE", 0),
        ("0", 0),
        ("no cost", 0),
        ("3.50", 350),
        ("£2", 200),
        (" £2.75 ", 275),
        ("10000", 1_000_000),
        ("", None),
        (None, None),
    ],
)
def test_cost_forms(raw: str | None, pence: int | None) -> None:
    assert parse_cost(raw) == pence
    assert parse(cost=raw)["cost_pence"] == pence


@pytest.mark.parametrize("raw", ["abc", "£", "3,50", "nan", "NaN", "sNaN", "Infinity", "-inf"])
def test_cost_not_an_amount(raw: str) -> None:
    message = errors_for(cost=raw)["cost"]
    assert message == f"cost must be “free” or an amount in pounds such as 3.50, not “{raw}”"


@pytest.mark.parametrize("raw", ["-1", "10000.01"])
def test_cost_out_of_range(raw: str) -> None:
    assert errors_for(cost=raw) == {"cost": "cost must be between £0 and £10,000"}


# --- ages and capacity -----------------------------------------------------------------


def test_ages() -> None:
    values = parse(age_min="18", age_max=" 65 ")
    assert (values["age_min"], values["age_max"]) == (18, 65)
    values = parse(age_min="50", age_max="")
    assert (values["age_min"], values["age_max"]) == (50, None)
    assert errors_for(age_min="70", age_max="65") == {"age_min": "minimum age is above maximum age"}


def test_bad_ages_are_reported_under_their_own_field() -> None:
    assert errors_for(age_min="adult", age_max="130") == {
        "age_min": "minimum age must be a whole number, not “adult”",
        "age_max": "maximum age must be between 0 and 120",
    }


def test_capacity_and_spare_places() -> None:
    values = parse(capacity="12", spare_places="4")
    assert (values["capacity"], values["spare_places"]) == (12, 4)
    values = parse(capacity="12", spare_places="")
    assert (values["capacity"], values["spare_places"]) == (12, 0)
    # Capacity unknown: any number of spare places is believable.
    values = parse(capacity="", spare_places="30")
    assert (values["capacity"], values["spare_places"]) == (None, 30)


def test_spare_places_cannot_exceed_capacity() -> None:
    assert errors_for(capacity="3", spare_places="5") == {
        "spare_places": "spare places (5) cannot be more than capacity (3)"
    }


def test_bad_capacity_numbers() -> None:
    assert errors_for(capacity="lots", spare_places="-1") == {
        "capacity": "capacity must be a whole number, not “lots”",
        "spare_places": "spare places must be between 0 and 100000",
    }


# --- yes / no --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [("yes", True), ("Y", True), ("true", True), ("no", False), ("0", False), ("", None)],
)
def test_yes_no_fields(raw: str, value: bool | None) -> None:
    values = parse(wheelchair_accessible=raw, waitlist=raw)
    assert values["wheelchair_accessible"] is value
    # An unknown waiting list is a closed one.
    assert values["waitlist_open"] is bool(value)


def test_yes_no_rejects_other_words() -> None:
    assert errors_for(wheelchair_accessible="maybe", waitlist="soon") == {
        "wheelchair_accessible": "wheelchair_accessible must be yes or no, not “maybe”",
        "waitlist": "waitlist must be yes or no, not “soon”",
    }


# --- languages -------------------------------------------------------------------------


def test_languages_by_name_or_code() -> None:
    values = parse(languages="English; polish, UR; Welsh; pl")
    assert values["languages"] == ["en", "pl", "ur", "cy"]


def test_unknown_language() -> None:
    assert errors_for(languages="English; Elvish") == {
        "languages": "“Elvish” is not a language we know (use a name or ISO code)"
    }


# --- contacts --------------------------------------------------------------------------


def test_email_and_website_cleaned() -> None:
    values = parse(email=" Walks@Example.ORG ", website="example.org/walks", phone=" 0113 ")
    assert values["email"] == "Walks@example.org"
    assert values["website"] == "https://example.org/walks"
    assert values["phone"] == "0113"
    assert parse(website="HTTP://example.org")["website"] == "HTTP://example.org"


def test_bad_email_and_website_both_reported() -> None:
    # Both were once checked in one step, so a bad website hid behind a bad email.
    assert errors_for(email="walks at example", website="not a site") == {
        "email": "“walks at example” is not a valid email address",
        "website": "“not a site” is not a web address",
    }


def test_website_longer_than_the_column() -> None:
    long = "https://example.org/" + "a" * 500
    assert errors_for(website=long) == {"website": "web address must be 500 characters or fewer"}


# --- postcode --------------------------------------------------------------------------


def test_postcode_normalised_and_located() -> None:
    values = parse(postcode="ls11az", address=" 1 Park Row ")
    assert values["postcode"] == "LS1 1AZ"
    assert values["postcode_district"] == "LS1"
    assert values["address"] == "1 Park Row"
    assert values["latitude"] == pytest.approx(53.796, abs=0.01)
    assert values["longitude"] == pytest.approx(-1.564, abs=0.01)


def test_invalid_postcode() -> None:
    message = errors_for(postcode="nonsense")["postcode"]
    assert message.startswith("“nonsense” is not a valid UK postcode")


def test_unknown_postcode() -> None:
    message = errors_for(postcode="LS1 1ZZ")["postcode"]
    assert message.startswith("We cannot find the postcode “LS1 1ZZ”")


@pytest.mark.parametrize("modes", ["", "in_person", "online;in_person"])
def test_postcode_required_for_in_person(modes: str) -> None:
    assert errors_for(postcode="", modes=modes) == {
        "postcode": "enter the postcode where the activity meets"
    }


@pytest.mark.parametrize("modes", ["online", "phone", "online;phone"])
def test_postcode_may_be_empty_when_not_in_person(modes: str) -> None:
    values = parse(postcode="", modes=modes)
    assert values["postcode"] == ""
    assert values["latitude"] is None and values["longitude"] is None


def test_online_activity_with_a_bad_postcode_is_still_refused() -> None:
    assert "postcode" in errors_for(postcode="nonsense", modes="online")


# --- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-01-02", datetime(2026, 1, 2, tzinfo=UTC)),
        ("2026-01-02T10:30:00", datetime(2026, 1, 2, 10, 30, tzinfo=UTC)),
        ("2026-01-02T10:30:00Z", datetime(2026, 1, 2, 10, 30, tzinfo=UTC)),
        ("2026-07-02T10:30:00+01:00", datetime(2026, 7, 2, 9, 30, tzinfo=UTC)),
    ],
)
def test_iso_dates(raw: str, expected: datetime) -> None:
    values = parse(capacity_updated=raw, last_reviewed=raw)
    assert values["capacity_updated_at"] == expected
    assert values["last_reviewed_at"] == expected
    assert values["capacity_updated_at"].tzinfo is not None


def test_dates_are_optional() -> None:
    values = parse(capacity_updated="", last_reviewed=" ")
    assert "capacity_updated_at" not in values and "last_reviewed_at" not in values


def test_future_dates_refused() -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    assert errors_for(capacity_updated=tomorrow, last_reviewed="2999-01-01") == {
        "capacity_updated": "capacity_updated cannot be in the future",
        "last_reviewed": "last_reviewed cannot be in the future",
    }


def test_non_iso_dates_refused() -> None:
    errors = errors_for(capacity_updated="02/01/2026", last_reviewed="yesterday")
    assert errors == {
        "capacity_updated": "capacity_updated must be an ISO 8601 date such as 2026-11-23",
        "last_reviewed": "last_reviewed must be an ISO 8601 date such as 2026-11-23",
    }


# --- schedule and kite mark ------------------------------------------------------------


def test_schedule_made_canonical() -> None:
    clean = parse_listing({**BASE, "schedule": "thursday 18.30-20.00; mon 10:00-12:00"})
    assert clean.values["schedule"] == "Mon 10:00-12:00; Thu 18:30-20:00"
    assert [s.day for s in clean.sessions] == ["mon", "thu"]
    assert errors_for(schedule="Funday 10:00-11:00") == {
        "schedule": "“Funday” is not a day of the week"
    }


def test_kite_mark_code() -> None:
    assert parse(kite_mark=" Awarded ")["kite_mark"] == "awarded"
    assert errors_for(kite_mark="gold") == {"kite_mark": "unknown kite mark status “gold”"}


# --- all at once -----------------------------------------------------------------------


def test_every_error_reported_at_once() -> None:
    raw = {
        "title": "",
        "categories": "swimming",
        "needs": "boredom",
        "languages": "Elvish",
        "schedule": "Mon 25:00-26:00",
        "postcode": "nonsense",
        "cost": "abc",
        "age_min": "9",
        "age_max": "5",
        "wheelchair_accessible": "maybe",
        "capacity": "1",
        "spare_places": "2",
        "waitlist": "perhaps",
        "kite_mark": "gold",
        "email": "nobody",
        "website": "nowhere",
        "capacity_updated": "2999-01-01",
        "last_reviewed": "soon",
    }
    with pytest.raises(ListingError) as caught:
        parse_listing(raw)
    assert set(caught.value.errors) == {
        "title", "categories", "needs", "languages", "schedule", "postcode", "cost",
        "age_min", "wheelchair_accessible", "spare_places", "waitlist", "kite_mark",
        "email", "website", "capacity_updated", "last_reviewed",
    }  # fmt: skip
    # The exception's text carries every message too (the importer reports it).
    assert "title: enter a title" in str(caught.value)
    assert "website: “nowhere” is not a web address" in str(caught.value)


def test_partial_checks_only_the_fields_given() -> None:
    assert parse_listing({"cost": "£1"}, partial=True).values == {"cost_pence": 100}
    with pytest.raises(ListingError) as caught:
        parse_listing({"website": "nowhere", "title": ""}, partial=True)
    assert set(caught.value.errors) == {"website", "title"}


# --- apply_listing ---------------------------------------------------------------------


def test_apply_listing_rebuilds_sessions_only_when_the_schedule_changes() -> None:
    activity = Activity()
    apply_listing(activity, parse_listing({**BASE, "schedule": "Mon 10:00-11:00"}))
    assert activity.title == "Tuesday wellbeing walk"
    assert [(s.day_index, s.starts.hour) for s in activity.sessions] == [(0, 10)]
    first = activity.sessions[0]
    apply_listing(activity, parse_listing({**BASE, "schedule": "monday 10.00-11.00"}))
    assert activity.sessions[0] is first  # same schedule: rows kept
    apply_listing(activity, parse_listing({**BASE, "schedule": "Tue 9:00-10:00; Fri 9:00-10:00"}))
    assert [s.day_index for s in activity.sessions] == [1, 4]
    apply_listing(activity, CleanListing(values={"title": "Renamed"}))
    assert activity.title == "Renamed"
    assert [s.day_index for s in activity.sessions] == [1, 4]
