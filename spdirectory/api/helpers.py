"""Request helpers for the JSON API."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_login import current_user

from ..errors import ApiError


def json_body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError(415, "Send a JSON body with Content-Type: application/json")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object")
    return body


def require_user(*roles: str) -> Any:
    if not current_user.is_authenticated:
        raise ApiError(401, "Sign in or send a valid API token (Authorization: Bearer …)")
    if roles and current_user.role not in roles:
        raise ApiError(403, "Your role does not allow this")
    return current_user


def paging() -> tuple[int, int]:
    errors: dict[str, str] = {}
    values = {}
    for name, default in (("page", 1), ("per_page", current_app.config["PER_PAGE"])):
        raw = request.args.get(name)
        try:
            values[name] = int(raw) if raw not in (None, "") else default
        except ValueError:
            errors[name] = "must be a whole number"
            continue
        if values[name] < 1:
            errors[name] = "must be 1 or more"
    if errors:
        raise ApiError(400, "Invalid paging parameters", fields=errors)
    return values["page"], min(values["per_page"], current_app.config["MAX_PER_PAGE"])
