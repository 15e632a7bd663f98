"""POST /api/v1/match: the JSON contract, errors, and anonymous logging of unmet matches."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from spdirectory.extensions import db
from spdirectory.search.demand import UnmetSearch

LEEDS = "LS1 4AP"


def post(client: FlaskClient, body: Any) -> Any:
    return client.post("/api/v1/match", json=body)


def directory(make: Any) -> dict[str, Any]:
    """A small Leeds directory: a choir that fits well, three that should never show, and
    a phone befriending service with no address."""
    org = make.organisation("Armley Singers")
    choir = make.activity(
        org,
        title="Community choir",
        categories="music_singing",
        needs="loneliness;low_mood",
        schedule="Thu 18:30-20:00",
        spare_places="4",
        kite_mark="awarded",
    )
    choir.external_id = "choir-1"
    walk = make.activity(org, title="Far walk", needs="loneliness", postcode="M1 1AE")
    kids = make.activity(org, title="Kids club", needs="loneliness", age_max="12")
    draft = make.activity(org, title="Draft group", needs="loneliness", status="draft")
    phone = make.activity(
        org, title="Phone befriending", categories="befriending", modes="phone", postcode=""
    )
    make.commit()
    return {"choir": choir, "walk": walk, "kids": kids, "draft": draft, "phone": phone}


GOOD_BODY = {
    "postcode": LEEDS,
    "max_distance_km": 5,
    "needs": ["loneliness", "low_mood"],
    "interests": "singing",
    "age": 70,
    "availability": [{"day": "thu", "from": "17:00", "to": "21:00"}],
}


def test_results_shape_and_ranking(client: FlaskClient, make: Any) -> None:
    made = directory(make)
    response = post(client, GOOD_BODY)
    assert response.status_code == 200, response.json
    assert response.content_type == "application/json"
    results = response.json["results"]
    ids = [r["activity_id"] for r in results]
    assert ids == [made["choir"].id, made["phone"].id]
    best = results[0]
    assert {
        "activity_id",
        "external_id",
        "title",
        "score",
        "distance_km",
        "spare_places",
        "reasons",
    } <= set(best)
    assert best["external_id"] == "choir-1" and results[1]["external_id"] is None
    assert best["title"] == "Community choir"
    assert best["organisation"] == "Armley Singers"
    assert best["spare_places"] == 4 and best["kite_mark"] == "awarded"
    assert best["distance_km"] == 0.56  # LS1 4AP → LS1 1AZ, to two decimal places
    assert results[1]["distance_km"] is None  # by phone: no address
    assert best["reasons"] == [
        "Helps with loneliness and low mood",
        "Matches “singing”",
        "0.6 km away",
        "Thursday 18:30 fits your evenings",
        "4 places free",
        "Kite-marked",
        "Capacity confirmed today",
    ]
    assert isinstance(best["warnings"], list)
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True) and 0 < scores[-1] <= scores[0] <= 1


def test_limit_keeps_the_best(client: FlaskClient, make: Any) -> None:
    made = directory(make)
    response = post(client, {**GOOD_BODY, "limit": 1})
    assert [r["activity_id"] for r in response.json["results"]] == [made["choir"].id]


def test_no_needs_and_no_postcode_are_fine(client: FlaskClient, make: Any) -> None:
    # Regression: with no needs (or no location) the candidate query ordered by a bare
    # literal 0, which SQLite and PostgreSQL read as a column number: a 500.
    made = directory(make)
    response = post(client, {"modes": ["phone"]})
    assert response.status_code == 200, response.json
    assert [r["activity_id"] for r in response.json["results"]] == [made["phone"].id]
    response = post(client, {"postcode": LEEDS})
    assert response.status_code == 200, response.json
    assert {r["activity_id"] for r in response.json["results"]} == {
        made["choir"].id,
        made["kids"].id,  # no age given: age limits are not applied
        made["phone"].id,
    }


def test_invalid_body_is_422_with_fields(client: FlaskClient) -> None:
    response = post(client, {"needs": ["bogus"], "age": "old", "limit": 0})
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "invalid"
    assert error["message"] == "The person's details need attention"
    assert set(error["fields"]) == {"postcode", "needs", "age", "limit"}
    assert error["fields"]["needs"] == "unknown need code(s): 'bogus'"


def test_wrongly_typed_values_are_422_not_500(client: FlaskClient) -> None:
    response = post(
        client,
        {
            "postcode": LEEDS,
            "modes": [["online"]],
            "needs": [{"x": 1}],
            "availability": [{"day": ["mon"]}],
        },
    )
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"modes", "needs", "availability[0]"}


def test_non_json_is_415(client: FlaskClient) -> None:
    response = client.post("/api/v1/match", data="postcode=LS1 4AP", content_type="text/plain")
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"


def test_json_that_is_not_an_object_is_400(client: FlaskClient) -> None:
    response = post(client, ["postcode", LEEDS])
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


def test_get_is_not_allowed(client: FlaskClient) -> None:
    response = client.get("/api/v1/match")
    assert response.status_code == 405
    assert "error" in response.json


# ---- configuration ------------------------------------------------------------------


def test_kite_mark_required_by_configuration(app: Flask, client: FlaskClient, make: Any) -> None:
    made = directory(make)
    body = {"postcode": LEEDS, "needs": ["loneliness"]}
    before = {r["activity_id"] for r in post(client, body).json["results"]}
    assert made["phone"].id in before and made["choir"].id in before
    app.config["MATCH_REQUIRE_KITE_MARK"] = True
    after = [r["activity_id"] for r in post(client, body).json["results"]]
    assert after == [made["choir"].id]


def test_weights_from_configuration_change_the_ranking(
    app: Flask, client: FlaskClient, make: Any
) -> None:
    org = make.organisation()
    # Meets both needs but 3.3 km away; next door but meets one need.
    fits = make.activity(org, title="Fits", needs="loneliness;low_mood", postcode="LS6 4AB")
    near = make.activity(org, title="Near", needs="loneliness", postcode="LS1 4AP")
    make.commit()
    body = {"postcode": LEEDS, "needs": ["loneliness", "low_mood"], "max_distance_km": 10}

    def ranking() -> list[int]:
        return [r["activity_id"] for r in post(client, body).json["results"]]

    app.config["MATCH_WEIGHTS"] = {"needs": 1.0, "distance": 0.01}
    assert ranking() == [fits.id, near.id]
    app.config["MATCH_WEIGHTS"] = {"needs": 0.01, "distance": 1.0}
    assert ranking() == [near.id, fits.id]


# ---- unmet matches are logged, anonymously -------------------------------------------


def unmet() -> list[UnmetSearch]:
    db.session.expire_all()
    return list(db.session.scalars(select(UnmetSearch).order_by(UnmetSearch.id)))


def test_nothing_found_is_logged_without_client_data(client: FlaskClient, make: Any) -> None:
    directory(make)
    body = {
        "postcode": "LS6 4AB",
        "max_distance_km": 1,
        "needs": ["money_debt"],
        "interests": "sewing; call Mrs Ada Smith on 07700 900123 or ada@example.org at LS6 4AB",
        "age": 83,
        "modes": ["in_person"],
        "requires": {"wheelchair": True, "languages": ["Polish"]},
    }
    response = post(client, body)
    assert response.status_code == 200 and response.json["results"] == []
    [row] = unmet()
    assert row.kind == "match"
    assert row.outcome == "nothing" and row.results == 0
    assert row.postcode_district == "LS6"
    assert row.filters["need"] == ["money_debt"]
    assert row.filters["modes"] == ["in_person"]
    assert row.filters["max_distance_km"] == 1
    assert row.filters["requires"] == {"wheelchair": True, "free": False, "languages": ["pl"]}
    assert row.query_text == ""  # free text may say who the person is
    logged = json.dumps(
        {
            c.name: getattr(row, c.name)
            for c in UnmetSearch.__table__.columns
            if c.name not in ("id", "at")
        }
    )
    assert "Ada" not in logged and "Smith" not in logged
    for personal in ("4AB", "07700", "900123", "ada@example.org", "83"):
        assert personal not in logged, personal


def test_only_full_results_are_logged_as_none_available(client: FlaskClient, make: Any) -> None:
    org = make.organisation()
    make.activity(org, title="Full choir", needs="loneliness", spare_places="0", waitlist="no")
    make.commit()
    response = post(client, {"postcode": LEEDS, "needs": ["loneliness"]})
    assert len(response.json["results"]) == 1
    assert "Full – no waiting list at the moment" in response.json["results"][0]["warnings"]
    [row] = unmet()
    assert row.outcome == "none_available" and row.results == 1


def test_matches_with_places_are_not_logged(client: FlaskClient, make: Any) -> None:
    directory(make)
    assert post(client, GOOD_BODY).json["results"]
    org = make.organisation()
    make.activity(org, title="Waitlist", needs="carer_strain", spare_places="0", waitlist="yes")
    make.commit()
    assert post(client, {"postcode": LEEDS, "needs": ["carer_strain"]}).json["results"]
    assert unmet() == []


def test_remote_only_unmet_match_has_no_district(client: FlaskClient) -> None:
    assert post(client, {"modes": ["online"], "needs": ["parenting"]}).json["results"] == []
    [row] = unmet()
    assert row.postcode_district == "" and row.outcome == "nothing"


def test_invalid_requests_are_not_logged(client: FlaskClient) -> None:
    assert post(client, {"needs": ["bogus"]}).status_code == 422
    assert unmet() == []
