"""Bodies over MAX_CONTENT_LENGTH: a clear 413 page for browsers, the JSON error for the API."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from spdirectory.directory.models import Activity
from spdirectory.errors import size_limit_label
from spdirectory.extensions import db
from tests.accounts.helpers import bearer, csrf_token, issue_token, quick_user, signed_in
from tests.api.helpers import assert_error, assert_no_leak

ONE_MB = 1024 * 1024
TOO_LARGE_PAGE = "The file you chose is too large. Files must be smaller than 1 MB."


def assert_too_large_page(response: Any) -> str:
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert TOO_LARGE_PAGE in html
    assert "<h1>The file you chose is too large</h1>" in html
    assert "nhsuk-header" in html  # the NHS.UK page layout, as on the other error pages
    assert "Sorry, there is a problem with the service" not in html
    assert_no_leak(response)
    return html


def test_upload_over_the_limit_gets_a_clear_page(app: Flask) -> None:
    quick_user("admin", email="admin@example.org")
    db.session.commit()
    client = app.test_client()
    token = signed_in(client, "admin@example.org")
    app.config["MAX_CONTENT_LENGTH"] = ONE_MB
    big = io.BytesIO(b"external_id,title\n" + b"x" * (ONE_MB + 1))
    response = client.post(
        "/admin/import",
        data={"file": (big, "listings.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    # The test client spools a body this big to a temporary file and, without
    # follow_redirects, leaves it open.
    response.request.input_stream.close()
    assert_too_large_page(response)
    assert db.session.scalar(select(func.count(Activity.id))) == 0


def test_large_form_post_from_anyone_gets_the_same_page(client: FlaskClient, app: Flask) -> None:
    token = csrf_token(client, "/sign-in")
    app.config["MAX_CONTENT_LENGTH"] = ONE_MB
    response = client.post(
        "/sign-in",
        data={"email": "a@example.org", "password": "x" * (ONE_MB + 1), "csrf_token": token},
    )
    assert_too_large_page(response)


def test_api_body_over_the_limit_is_a_json_413(app: Flask, client: FlaskClient, make: Any) -> None:
    item = make.activity(spare_places="3")
    provider = quick_user("provider", organisation=item.organisation)
    _, token = issue_token(provider)
    make.commit()
    app.config["MAX_CONTENT_LENGTH"] = ONE_MB
    response = client.patch(
        f"/api/v1/activities/{item.id}/capacity",
        json={"spare_places": 9, "padding": "x" * (ONE_MB + 1)},
        headers=bearer(token),
    )
    error = assert_error(response, 413, "too_large")
    assert "1 MB" in error["message"]
    db.session.expire_all()
    assert db.session.get(Activity, item.id).spare_places == 3


def test_api_body_under_the_limit_still_works(app: Flask, client: FlaskClient, make: Any) -> None:
    item = make.activity(spare_places="3")
    provider = quick_user("provider", organisation=item.organisation)
    _, token = issue_token(provider)
    make.commit()
    app.config["MAX_CONTENT_LENGTH"] = ONE_MB
    response = client.patch(
        f"/api/v1/activities/{item.id}/capacity",
        json={"spare_places": 9},
        headers=bearer(token),
    )
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("limit", "label"),
    [(16 * ONE_MB, "16 MB"), (ONE_MB, "1 MB"), (ONE_MB * 3 // 2, "1.5 MB"), (500 * 1024, "500 KB")],
)
def test_size_limit_label(limit: int, label: str) -> None:
    assert size_limit_label(limit) == label
