"""GET /api/v1/activities: paging, every filter in CONTRACTS.md, facets, error format."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.accounts.helpers import bearer, issue_token, quick_user
from tests.api.helpers import assert_error

# The contract's minimum fields of every search result.
RESULT_FIELDS = {
    "id",
    "external_id",
    "title",
    "organisation",
    "categories",
    "needs",
    "postcode",
    "spare_places",
    "waitlist",
    "kite_mark",
    "capacity_updated",
}


def search(client: FlaskClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/activities", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def titles(body: dict[str, Any]) -> set[str]:
    return {r["title"] for r in body["results"]}


@pytest.fixture
def spread(make: Any) -> dict[str, Any]:
    """Four published listings differing in each filterable field, plus a draft and an
    archived listing that match everything and must never appear."""
    org = make.organisation("Leeds Community Trust")
    a = make.activity(
        org,
        title="Walk",
        categories="walking",
        needs="loneliness",
        modes="in_person",
        schedule="Mon 10:00-11:00",
        spare_places="2",
        cost="free",
    )
    # As the CSV importer stores it (the listing factory has no import identity).
    a.source, a.external_id = "csv", "EXT-1"
    make.activity(
        org,
        title="Garden",
        categories="gardening; green_nature",
        needs="low_mood",
        modes="in_person",
        schedule="Tue 10:00-11:00",
        spare_places="0",
        waitlist="yes",
        cost="3.50",
        kite_mark="awarded",
    )
    make.activity(
        org,
        title="Choir",
        categories="music_singing",
        needs="loneliness; low_mood",
        modes="online",
        schedule="Wed 18:00-19:00",
        spare_places="0",
        waitlist="no",
        cost="free",
    )
    make.activity(
        org,
        title="Advice",
        categories="advice_money",
        needs="money_debt",
        modes="phone",
        schedule="Mon 14:00-16:00",
        spare_places="5",
        cost="2.00",
        kite_mark="pending",
    )
    make.activity(org, title="Draft walk", categories="walking", status="draft")
    make.activity(org, title="Archived walk", categories="walking", status="archived")
    make.commit()
    return {"org": org, "walk": a}


def test_results_have_contract_fields(client: FlaskClient, spread: dict[str, Any]) -> None:
    body = search(client, category="walking")
    assert body["total"] == 1
    (result,) = body["results"]
    assert set(result) >= RESULT_FIELDS, RESULT_FIELDS - set(result)
    assert result["id"] == spread["walk"].id
    assert result["external_id"] == "EXT-1"
    assert result["title"] == "Walk"
    assert result["organisation"] == "Leeds Community Trust"
    assert result["categories"] == ["walking"]
    assert result["needs"] == ["loneliness"]
    assert result["postcode"] == "LS1 1AZ"
    assert result["spare_places"] == 2
    assert result["waitlist"] is False
    assert result["kite_mark"] == "none"
    assert result["capacity_updated"].startswith(
        spread["walk"].capacity_updated_at.date().isoformat()
    )
    # `distance_km` is promised only when `near` is given.
    assert "distance_km" not in result
    near = search(client, category="walking", near="LS1 1AZ")
    assert near["results"][0]["distance_km"] == pytest.approx(0, abs=0.1)


def test_external_id_is_null_when_not_imported(client: FlaskClient, make: Any) -> None:
    make.activity(title="Local listing")
    make.commit()
    (result,) = search(client)["results"]
    assert result["external_id"] is None


def test_drafts_and_archived_are_never_listed(
    client: FlaskClient, spread: dict[str, Any], make: Any
) -> None:
    listed = {"Walk", "Garden", "Choir", "Advice"}
    body = search(client)
    assert titles(body) == listed and body["total"] == 4
    assert titles(search(client, q="walk")) == {"Walk"}
    # Not even to the organisation that owns them, nor to an admin.
    owner = quick_user("provider", organisation=spread["org"])
    admin = quick_user("admin")
    tokens = [issue_token(owner)[1], issue_token(admin)[1]]
    make.commit()
    for token in tokens:
        response = client.get("/api/v1/activities", headers=bearer(token))
        assert titles(response.get_json()) == listed


def test_paging(client: FlaskClient, make: Any) -> None:
    for i in range(5):
        make.activity(title=f"Listing {i}")
    make.commit()
    first = search(client, per_page=2)
    assert (first["total"], first["page"], first["per_page"]) == (5, 1, 2)
    assert len(first["results"]) == 2
    second = search(client, per_page=2, page=2)
    last = search(client, per_page=2, page=3)
    assert second["page"] == 2 and len(second["results"]) == 2
    assert last["page"] == 3 and len(last["results"]) == 1
    seen = [r["id"] for page in (first, second, last) for r in page["results"]]
    assert len(set(seen)) == 5, "pages overlap or skip listings"
    beyond = search(client, per_page=2, page=9)
    assert beyond["total"] == 5 and beyond["results"] == []


def test_per_page_default_and_cap(app: Flask, client: FlaskClient, make: Any) -> None:
    for i in range(4):
        make.activity(title=f"Listing {i}")
    make.commit()
    assert search(client)["per_page"] == app.config["PER_PAGE"]
    assert search(client, per_page=10_000)["per_page"] == app.config["MAX_PER_PAGE"]
    app.config["MAX_PER_PAGE"] = 3
    capped = search(client, per_page=50)
    assert capped["per_page"] == 3 and len(capped["results"]) == 3 and capped["total"] == 4


@pytest.mark.parametrize(
    "params, field",
    [
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "two"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"per_page": "0"}, "per_page"),
        ({"per_page": "lots"}, "per_page"),
    ],
)
def test_bad_paging_is_a_400(
    client: FlaskClient, params: dict[str, str], field: str, app: Flask
) -> None:
    response = client.get("/api/v1/activities", query_string=params)
    assert_error(response, 400, "bad_request", fields={field})


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"category": "walking"}, {"Walk"}),
        # Repeated: any of them (OR within a facet).
        ({"category": ["walking", "music_singing"]}, {"Walk", "Choir"}),
        ({"category": "green_nature"}, {"Garden"}),
        ({"need": "loneliness"}, {"Walk", "Choir"}),
        ({"need": ["money_debt", "low_mood"]}, {"Garden", "Choir", "Advice"}),
        ({"mode": "online"}, {"Choir"}),
        ({"mode": "in_person"}, {"Walk", "Garden"}),
        ({"day": "mon"}, {"Walk", "Advice"}),
        ({"day": "sun"}, set()),
        ({"kite_mark": "awarded"}, {"Garden"}),
        ({"kite_mark": "none"}, {"Walk", "Choir"}),
        # Spare places, or a waiting list that is open.
        ({"available": "true"}, {"Walk", "Garden", "Advice"}),
        ({"available": "false"}, {"Walk", "Garden", "Choir", "Advice"}),
        ({"free": "true"}, {"Walk", "Choir"}),
        ({"free": "1"}, {"Walk", "Choir"}),
        # Across facets: all must hold (AND).
        ({"need": "loneliness", "free": "yes", "mode": "online"}, {"Choir"}),
        ({"category": ["walking", "gardening"], "available": "true", "free": "true"}, {"Walk"}),
    ],
)
def test_filters(
    client: FlaskClient, spread: dict[str, Any], params: dict[str, Any], expected: set[str]
) -> None:
    body = search(client, **params)
    assert titles(body) == expected
    assert body["total"] == len(expected)


@pytest.mark.parametrize(
    "params, fields",
    [
        ({"category": "knitting"}, {"category"}),
        ({"category": ["walking", "knitting"]}, {"category"}),
        ({"need": "boredom"}, {"need"}),
        ({"mode": "carrier_pigeon"}, {"mode"}),
        ({"day": "monday"}, {"day"}),
        ({"kite_mark": "gold"}, {"kite_mark"}),
        ({"available": "maybe"}, {"available"}),
        ({"free": "sometimes"}, {"free"}),
        ({"category": "knitting", "day": "funday", "page": "0"}, {"category", "day", "page"}),
    ],
)
def test_unknown_codes_are_a_400_naming_each_parameter(
    client: FlaskClient, spread: dict[str, Any], params: dict[str, Any], fields: set[str]
) -> None:
    response = client.get("/api/v1/activities", query_string=params)
    error = assert_error(response, 400, "bad_request", fields=fields)
    if "category" in fields:
        assert "knitting" in error["fields"]["category"]


def test_facets_count_the_matching_listings(client: FlaskClient, spread: dict[str, Any]) -> None:
    facets = search(client)["facets"]
    assert facets["category"] == {
        "walking": 1,
        "gardening": 1,
        "green_nature": 1,
        "music_singing": 1,
        "advice_money": 1,
    }
    assert facets["need"] == {"loneliness": 2, "low_mood": 2, "money_debt": 1}
    assert facets["mode"] == {"in_person": 2, "online": 1, "phone": 1}
    assert facets["day"] == {"mon": 2, "tue": 1, "wed": 1}
    assert facets["kite_mark"] == {"none": 2, "awarded": 1, "pending": 1}
    # Facets describe the filtered set (draft/archived walks are not counted either).
    filtered = search(client, need="loneliness")["facets"]
    assert filtered["category"] == {"walking": 1, "music_singing": 1}
    assert filtered["mode"] == {"in_person": 1, "online": 1}


def test_empty_directory(client: FlaskClient) -> None:
    body = search(client)
    assert body["total"] == 0 and body["results"] == [] and body["page"] == 1
    assert isinstance(body["facets"], dict)
