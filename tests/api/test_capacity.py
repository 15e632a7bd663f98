"""PATCH /api/v1/activities/<id>/capacity: who may, what is valid, and the audit trail."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from spdirectory.directory.models import Activity, CapacityChange
from spdirectory.extensions import db
from tests.accounts.helpers import bearer, csrf_token, issue_token, quick_user, sign_in
from tests.api.helpers import assert_error


@pytest.fixture
def world(make: Any) -> dict[str, Any]:
    own = make.organisation("Owners")
    other = make.organisation("Others")
    people = {
        "owner": quick_user("provider", organisation=own),
        "other_provider": quick_user("provider", organisation=other),
        "admin": quick_user("admin"),
        "link_worker": quick_user("link_worker"),
        "panel": quick_user("panel"),
        "reviewer": quick_user("reviewer"),
    }
    activity = make.activity(
        own, capacity="10", spare_places="3", capacity_updated_at=make.days_ago(40)
    )
    tokens = {}
    for name, person in people.items():
        tokens[name] = issue_token(person)[1]
    make.commit()
    return {"activity": activity, "people": people, "tokens": tokens}


def patch(
    client: FlaskClient, activity_id: int, body: Any = None, token: str | None = None, **kw: Any
) -> Any:
    headers = kw.pop("headers", {})
    if token:
        headers.update(bearer(token))
    return client.patch(
        f"/api/v1/activities/{activity_id}/capacity", json=body, headers=headers, **kw
    )


def reload(activity_id: int) -> Activity:
    db.session.expire_all()
    found = db.session.get(Activity, activity_id)
    assert found is not None
    return found


def changes(activity_id: int) -> list[CapacityChange]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(CapacityChange)
            .where(CapacityChange.activity_id == activity_id)
            .order_by(CapacityChange.id)
        )
    )


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_owner_and_admin_update_capacity(
    client: FlaskClient, world: dict[str, Any], who: str
) -> None:
    activity = world["activity"]
    before = len(changes(activity.id))
    response = patch(
        client, activity.id, {"spare_places": 0, "waitlist": True}, world["tokens"][who]
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["spare_places"] == 0 and body["waitlist"] is True and body["stale"] is False
    fresh = reload(activity.id)
    assert (fresh.spare_places, fresh.waitlist_open, fresh.capacity) == (0, True, 10)
    assert fresh.days_since_capacity_update() == 0
    history = changes(activity.id)
    assert len(history) == before + 1
    last = history[-1]
    assert last.reason == "api"
    assert (last.spare_places, last.waitlist_open) == (0, True)
    assert last.user_id == world["people"][who].id


def test_capacity_can_change_with_spare_places(client: FlaskClient, world: dict[str, Any]) -> None:
    activity = world["activity"]
    response = patch(
        client, activity.id, {"spare_places": 12, "capacity": 15}, world["tokens"]["owner"]
    )
    assert response.status_code == 200
    fresh = reload(activity.id)
    assert (fresh.capacity, fresh.spare_places, fresh.waitlist_open) == (15, 12, False)


@pytest.mark.parametrize("who", ["other_provider", "link_worker", "panel", "reviewer"])
def test_others_are_forbidden(client: FlaskClient, world: dict[str, Any], who: str) -> None:
    activity = world["activity"]
    before = len(changes(activity.id))
    response = patch(client, activity.id, {"spare_places": 0}, world["tokens"][who])
    assert_error(response, 403, "forbidden")
    assert reload(activity.id).spare_places == 3
    assert len(changes(activity.id)) == before


def test_anonymous_is_401(client: FlaskClient, world: dict[str, Any]) -> None:
    activity = world["activity"]
    response = patch(client, activity.id, {"spare_places": 0})
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert reload(activity.id).spare_places == 3


@pytest.mark.parametrize(
    "header",
    [
        "Bearer spd_not-a-real-token",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "bearer",
    ],
)
def test_bad_credentials_are_401(client: FlaskClient, world: dict[str, Any], header: str) -> None:
    response = client.patch(
        f"/api/v1/activities/{world['activity'].id}/capacity",
        json={"spare_places": 0},
        headers={"Authorization": header},
    )
    assert_error(response, 401, "unauthorized")


def test_revoked_token_is_401(client: FlaskClient, world: dict[str, Any], make: Any) -> None:
    owner = world["people"]["owner"]
    row, token = issue_token(owner)
    row.revoked = True
    make.commit()
    assert_error(patch(client, world["activity"].id, {"spare_places": 0}, token), 401)
    assert reload(world["activity"].id).spare_places == 3


def test_inactive_users_token_is_401(client: FlaskClient, world: dict[str, Any], make: Any) -> None:
    world["people"]["owner"].active = False
    make.commit()
    response = patch(client, world["activity"].id, {"spare_places": 0}, world["tokens"]["owner"])
    assert_error(response, 401)


@pytest.mark.parametrize(
    "body, fields",
    [
        ({"spare_places": -1}, {"spare_places"}),
        ({"spare_places": 11}, {"spare_places"}),  # more than capacity (10)
        ({"spare_places": 5, "capacity": 4}, {"spare_places"}),
        ({"spare_places": 0, "capacity": -1}, {"capacity"}),
        ({"spare_places": "5"}, {"spare_places"}),
        ({"spare_places": 2.5}, {"spare_places"}),
        ({"spare_places": True}, {"spare_places"}),
        ({"spare_places": None}, {"spare_places"}),
        ({}, {"spare_places"}),
        ({"waitlist": True}, {"spare_places"}),
        ({"spare_places": 1, "waitlist": "yes"}, {"waitlist"}),
        ({"spare_places": 1, "capacity": "ten"}, {"capacity"}),
        ({"spare_places": 1, "title": "Hijacked"}, {"title"}),
        ({"spare_places": 1, "status": "archived"}, {"status"}),
    ],
)
def test_invalid_bodies_are_422_with_fields(
    client: FlaskClient, world: dict[str, Any], body: dict[str, Any], fields: set[str]
) -> None:
    activity = world["activity"]
    before = len(changes(activity.id))
    response = patch(client, activity.id, body, world["tokens"]["owner"])
    assert_error(response, 422, fields=fields)
    fresh = reload(activity.id)
    assert (fresh.spare_places, fresh.capacity, fresh.title, fresh.status) == (
        3,
        10,
        activity.title,
        "published",
    )
    assert len(changes(activity.id)) == before


@pytest.mark.parametrize(
    "body, fields",
    [
        # Beyond what a listing allows, and beyond the database's integers: 422, not 500.
        ({"spare_places": 100_001}, {"spare_places"}),
        ({"spare_places": 3_000_000_000}, {"spare_places"}),
        ({"spare_places": 10**20}, {"spare_places"}),
        ({"spare_places": -(10**20)}, {"spare_places"}),
        ({"spare_places": 1, "capacity": 3_000_000_000}, {"capacity"}),
        ({"spare_places": 1, "capacity": -(10**20)}, {"capacity"}),
    ],
)
def test_out_of_range_numbers_are_422(
    client: FlaskClient, make: Any, world: dict[str, Any], body: dict[str, Any], fields: set[str]
) -> None:
    unknown_capacity = make.activity(world["people"]["owner"].organisation, capacity="")
    make.commit()
    response = patch(client, unknown_capacity.id, body, world["tokens"]["owner"])
    assert_error(response, 422, fields=fields)
    assert reload(unknown_capacity.id).spare_places == 3


def test_largest_allowed_numbers_are_accepted(client: FlaskClient, world: dict[str, Any]) -> None:
    body = {"spare_places": 100_000, "capacity": 100_000}
    response = patch(client, world["activity"].id, body, world["tokens"]["owner"])
    assert response.status_code == 200
    assert reload(world["activity"].id).spare_places == 100_000


@pytest.mark.parametrize("body", [[1, 2], "5", 5, None])
def test_non_object_json_is_400(client: FlaskClient, world: dict[str, Any], body: Any) -> None:
    response = client.patch(
        f"/api/v1/activities/{world['activity'].id}/capacity",
        data=json.dumps(body),
        content_type="application/json",
        headers=bearer(world["tokens"]["owner"]),
    )
    assert_error(response, 400)


def test_malformed_json_is_400(client: FlaskClient, world: dict[str, Any]) -> None:
    response = client.patch(
        f"/api/v1/activities/{world['activity'].id}/capacity",
        data='{"spare_places": ',
        content_type="application/json",
        headers=bearer(world["tokens"]["owner"]),
    )
    assert_error(response, 400)


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data"]
)
def test_non_json_is_415(client: FlaskClient, world: dict[str, Any], content_type: str) -> None:
    response = client.patch(
        f"/api/v1/activities/{world['activity'].id}/capacity",
        data="spare_places=0",
        content_type=content_type,
        headers=bearer(world["tokens"]["owner"]),
    )
    assert_error(response, 415, "unsupported_media_type")
    assert reload(world["activity"].id).spare_places == 3


def test_missing_activity_is_404(client: FlaskClient, world: dict[str, Any]) -> None:
    assert_error(patch(client, 999999, {"spare_places": 1}, world["tokens"]["owner"]), 404)
    assert_error(patch(client, 999999, {"spare_places": 1}, world["tokens"]["admin"]), 404)


def test_wrong_method_is_json_405(client: FlaskClient, world: dict[str, Any]) -> None:
    url = f"/api/v1/activities/{world['activity'].id}/capacity"
    response = client.put(url, json={"spare_places": 1})
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"].split(", ") and "PATCH" in response.headers["Allow"]
    assert_error(client.delete(f"/api/v1/activities/{world['activity'].id}"), 405)


class TestCookieSession:
    """Browser sessions (cookies) must prove the request came from our pages: X-CSRFToken."""

    def test_without_csrf_header_is_refused(
        self, client: FlaskClient, world: dict[str, Any]
    ) -> None:
        assert sign_in(client, world["people"]["owner"].email).status_code == 302
        activity = world["activity"]
        assert_error(patch(client, activity.id, {"spare_places": 0}), 400, "csrf_failed")
        bad = {"X-CSRFToken": "not-the-token"}
        assert_error(
            patch(client, activity.id, {"spare_places": 0}, headers=bad), 400, "csrf_failed"
        )
        assert reload(activity.id).spare_places == 3

    def test_with_csrf_header_is_accepted(self, client: FlaskClient, world: dict[str, Any]) -> None:
        assert sign_in(client, world["people"]["owner"].email).status_code == 302
        token = csrf_token(client)
        activity = world["activity"]
        response = patch(client, activity.id, {"spare_places": 1}, headers={"X-CSRFToken": token})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert reload(activity.id).spare_places == 1
        assert changes(activity.id)[-1].reason == "api"

    def test_token_from_another_session_is_refused(
        self, app: Any, client: FlaskClient, world: dict[str, Any]
    ) -> None:
        other = app.test_client()
        assert sign_in(other, world["people"]["admin"].email).status_code == 302
        stolen = csrf_token(other)
        assert sign_in(client, world["people"]["owner"].email).status_code == 302
        response = patch(
            client, world["activity"].id, {"spare_places": 0}, headers={"X-CSRFToken": stolen}
        )
        assert_error(response, 400, "csrf_failed")

    def test_session_role_checks_still_apply(
        self, client: FlaskClient, world: dict[str, Any]
    ) -> None:
        assert sign_in(client, world["people"]["other_provider"].email).status_code == 302
        token = csrf_token(client)
        response = patch(
            client, world["activity"].id, {"spare_places": 0}, headers={"X-CSRFToken": token}
        )
        assert_error(response, 403)
        assert reload(world["activity"].id).spare_places == 3

    def test_bearer_token_needs_no_csrf(self, client: FlaskClient, world: dict[str, Any]) -> None:
        # Scripts send no cookies, so CSRF cannot apply; the token is the proof.
        response = patch(
            client, world["activity"].id, {"spare_places": 2}, world["tokens"]["owner"]
        )
        assert response.status_code == 200
