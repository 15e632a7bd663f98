"""POST /api/v1/unmet-needs: record that nothing suitable was found (docs/unmet-needs.md)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from ..api import bp
from ..api.helpers import require_user
from ..errors import ApiError
from ..extensions import db
from . import services

FIELDS = {"needs", "reasons", "categories", "postcode_district", "postcode", "note"}


@bp.post("/unmet-needs")
def create_unmet_need() -> Any:
    user = require_user(*services.RECORDERS)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "Send a JSON object (Content-Type: application/json)")
    unknown = set(body) - FIELDS
    if unknown:
        raise ApiError(
            422, "Unknown fields", fields=dict.fromkeys(sorted(unknown), "not accepted here")
        )
    clean, errors = services.validate({**body, "source": "api"})
    if clean is None:
        raise ApiError(422, "Invalid unmet need", fields=errors)
    need = services.record(user, clean)
    db.session.commit()
    return jsonify(services.as_json(need)), 201
