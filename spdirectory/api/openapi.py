"""GET /api/v1/openapi.json: the OpenAPI document of this API (built in
spdirectory/openreferral/openapi.py, next to the Open Referral one)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, url_for

from . import bp


@bp.get("/openapi.json")
def openapi_document() -> Any:
    from ..openreferral.openapi import api_v1_openapi

    base = current_app.config.get("BASE_URL")
    root = url_for("api.openapi_document", _external=not base).removesuffix("/openapi.json")
    return jsonify(api_v1_openapi(base.rstrip("/") + root if base else root))
