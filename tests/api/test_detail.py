"""GET /api/v1/activities/<id>: one listing; drafts and archived listings exist only for
the organisation that runs them (and admins)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.accounts.helpers import bearer, issue_token, quick_user
from tests.api.helpers import assert_error
from tests.api.test_search import RESULT_FIELDS


@pytest.fixture
def listings(make: Any) -> dict[str, Any]:
    own = make.organisation("Owners")
    other = make.organisation("Others")
    people = {
        "owner": quick_user("provider", organisation=own),
        "other_provider": quick_user("provider", organisation=other),
        "admin": quick_user("admin"),
        "link_worker": quick_user("link_worker"),
    }
    world = {
        "published": make.activity(own, title="Open walk", schedule="Thu 18:30-20:00"),
        "draft": make.activity(own, title="Secret draft", status="draft"),
        "archived": make.activity(own, title="Old walk", status="archived"),
        "tokens": {name: issue_token(person)[1] for name, person in people.items()},
    }
    make.commit()
    return world


def test_published_listing_for_anyone(client: FlaskClient, listings: dict[str, Any]) -> None:
    activity = listings["published"]
    response = client.get(f"/api/v1/activities/{activity.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) >= RESULT_FIELDS
    assert body["id"] == activity.id and body["title"] == "Open walk"
    assert body["organisation"] == "Owners"
    assert body["sessions"] == [{"day": "thu", "start": "18:30", "end": "20:00"}]
    assert body["status"] == "published"


def test_missing_listing_is_a_json_404(client: FlaskClient, listings: dict[str, Any]) -> None:
    assert_error(client.get("/api/v1/activities/999999"), 404, "not_found")


@pytest.mark.parametrize("which", ["draft", "archived"])
@pytest.mark.parametrize("who", [None, "other_provider", "link_worker"])
def test_unpublished_listing_is_hidden(
    client: FlaskClient, listings: dict[str, Any], which: str, who: str | None
) -> None:
    headers = bearer(listings["tokens"][who]) if who else {}
    response = client.get(f"/api/v1/activities/{listings[which].id}", headers=headers)
    error = assert_error(response, 404, "not_found")
    # Same answer as for an id that never existed: nothing reveals the listing exists.
    assert listings[which].title not in error["message"]


@pytest.mark.parametrize("which", ["draft", "archived"])
@pytest.mark.parametrize("who", ["owner", "admin"])
def test_unpublished_listing_for_its_organisation_and_admins(
    client: FlaskClient, listings: dict[str, Any], which: str, who: str
) -> None:
    response = client.get(
        f"/api/v1/activities/{listings[which].id}", headers=bearer(listings["tokens"][who])
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == which


def test_non_numeric_id_is_a_json_404(client: FlaskClient) -> None:
    assert_error(client.get("/api/v1/activities/abc"), 404, "not_found")
