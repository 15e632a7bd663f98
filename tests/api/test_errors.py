"""Errors: the JSON shape under /api, friendly HTML pages elsewhere, never a stack trace."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.helpers import assert_error, assert_no_leak

SECRET = "boom: secret detail /srv/app/config.py"


@pytest.fixture
def exploding(app: Flask) -> Flask:
    """Test-only routes that raise, one under /api and one among the HTML pages."""

    def explode() -> str:
        raise RuntimeError(SECRET)

    app.add_url_rule("/api/v1/_test_explode", "test_explode_api", explode)
    app.add_url_rule("/_test_explode", "test_explode_html", explode)
    return app


def test_unexpected_api_error_is_json_500(exploding: Flask, client: FlaskClient) -> None:
    response = client.get("/api/v1/_test_explode")
    assert_error(response, 500, "server_error")
    assert SECRET not in response.get_data(as_text=True)


def test_unexpected_page_error_is_html_500(exploding: Flask, client: FlaskClient) -> None:
    response = client.get("/_test_explode")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "<html" in body.lower()
    assert SECRET not in body and "RuntimeError" not in body
    assert_no_leak(response)


def test_unknown_api_path_is_json_404(client: FlaskClient) -> None:
    assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_error(client.get("/api/v2/activities"), 404, "not_found")


def test_unknown_page_is_html_404(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert_no_leak(response)


def test_api_method_not_allowed_is_json(client: FlaskClient) -> None:
    assert_error(client.post("/api/v1/activities", json={}), 405, "method_not_allowed")


def test_api_errors_carry_security_headers(client: FlaskClient) -> None:
    response = client.get("/api/v1/activities", query_string={"page": "0"})
    assert response.status_code == 400
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
