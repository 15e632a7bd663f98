"""Assertions about the JSON API's shapes."""

from __future__ import annotations

from typing import Any

from werkzeug.test import TestResponse

# Words that only appear when a traceback or exception text leaks into a response.
LEAK_MARKERS = ("Traceback", 'File "', "sqlalchemy", "werkzeug", "Exception:")


def assert_no_leak(response: TestResponse) -> None:
    body = response.get_data(as_text=True)
    for marker in LEAK_MARKERS:
        assert marker not in body, f"{marker!r} in a {response.status_code} response: {body[:500]}"


def assert_error(
    response: TestResponse, status: int, code: str | None = None, fields: set[str] | None = None
) -> dict[str, Any]:
    """The contract's error shape: {"error": {"code", "message", "fields"?}}; returns it."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.is_json, response.content_type
    body = response.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) <= {"code", "message", "fields"}, error
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"], error
    if code is not None:
        assert error["code"] == code, error
    if fields is not None:
        assert set(error.get("fields") or {}) == fields, error
        assert all(isinstance(v, str) and v for v in error["fields"].values()), error
    assert_no_leak(response)
    return error
