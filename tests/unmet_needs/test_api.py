"""POST /api/v1/unmet-needs: what is stored (district only, codes), and every refusal as a
JSON error with the right status, storing nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from spdirectory.extensions import db
from spdirectory.unmet_needs.models import UnmetNeed

URL = "/api/v1/unmet-needs"


def count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(UnmetNeed)) or 0


def test_records_with_a_token_keeping_only_the_district(client: Any, link_worker: Any) -> None:
    body = {
        "needs": ["loneliness", "low_mood"],
        "reasons": ["full", "too_far"],
        "categories": ["befriending"],
        "postcode": "ls6 1aa",
        "note": "Nothing on weekday evenings",
    }
    response = client.post(URL, json=body, headers=link_worker.token_headers)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["postcode_district"] == "LS6"
    assert data["needs"] == ["loneliness", "low_mood"]
    assert data["reasons"] == ["full", "too_far"]
    assert data["categories"] == ["befriending"]
    assert data["source"] == "api"
    need = db.session.get(UnmetNeed, data["id"])
    assert need is not None
    assert need.postcode_district == "LS6"
    assert need.recorded_by_id == link_worker.id
    # The full postcode is nowhere in the row.
    assert "1AA" not in repr([getattr(need, c.key) for c in UnmetNeed.__table__.c]).upper()


def test_district_may_be_given_directly_or_left_out(client: Any, link_worker: Any) -> None:
    headers = link_worker.token_headers
    first = client.post(
        URL,
        json={"needs": ["anxiety_stress"], "reasons": ["language"], "postcode_district": "ls8"},
        headers=headers,
    )
    assert first.status_code == 201
    assert first.get_json()["postcode_district"] == "LS8"
    second = client.post(URL, json={"needs": ["weight"], "reasons": ["cost"]}, headers=headers)
    assert second.status_code == 201
    assert second.get_json()["postcode_district"] is None
    assert count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reasons": ["full"]}, "needs"),
        ({"needs": ["loneliness"]}, "reasons"),
        ({"needs": ["nope"], "reasons": ["full"]}, "needs"),
        ({"needs": ["loneliness"], "reasons": ["bored"]}, "reasons"),
        ({"needs": ["loneliness"], "reasons": ["full"], "categories": ["x"]}, "categories"),
        ({"needs": "loneliness;", "reasons": 5}, "reasons"),
        ({"needs": ["loneliness"], "reasons": ["full"], "postcode": "Leeds"}, "postcode"),
        (
            {"needs": ["loneliness"], "reasons": ["full"], "postcode_district": 6},
            "postcode_district",
        ),
        ({"needs": ["loneliness"], "reasons": ["full"], "note": "call 07700 900123"}, "note"),
        ({"needs": ["loneliness"], "reasons": ["full"], "note": "lives at LS6 1AA"}, "note"),
        ({"needs": ["loneliness"], "reasons": ["full"], "note": "x" * 501}, "note"),
        ({"needs": ["loneliness"], "reasons": ["full"], "name": "Ada"}, "name"),
    ],
)
def test_invalid_bodies_are_422_with_the_field(
    client: Any, link_worker: Any, body: dict[str, Any], field: str
) -> None:
    response = client.post(URL, json=body, headers=link_worker.token_headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"]
    assert field in error["fields"], error
    assert count() == 0


def test_not_json_is_400(client: Any, link_worker: Any) -> None:
    for kwargs in ({"data": "needs=loneliness"}, {"json": ["loneliness"]}):
        response = client.post(URL, headers=link_worker.token_headers, **kwargs)
        assert response.status_code == 400
        assert response.get_json()["error"]["message"]
    assert count() == 0


def test_browser_session_needs_the_csrf_header(worker_client: tuple[Any, str]) -> None:
    client, csrf = worker_client
    body = {"needs": ["loneliness"], "reasons": ["full"]}
    refused = client.post(URL, json=body)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf_failed"
    assert count() == 0
    accepted = client.post(URL, json=body, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 201
    assert count() == 1


def test_anonymous_is_401_json(client: Any) -> None:
    response = client.post(URL, json={"needs": ["loneliness"], "reasons": ["full"]})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"]
    assert count() == 0
