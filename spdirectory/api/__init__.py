"""The JSON API under /api/v1 (docs/api.md)."""

from __future__ import annotations

from flask import Blueprint, g, request
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError

from ..errors import ApiError

bp = Blueprint("api", __name__, url_prefix="/api/v1")

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
MAX_DB_ID = 2**31 - 1  # PostgreSQL integer; larger ids overflowed into 500s (found by fuzzing)


@bp.before_request
def _ids_in_range() -> None:
    """An id past the database's integer range cannot exist: 404, not an overflow error."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, int) and value > MAX_DB_ID:
            raise ApiError(404, f"No record with {name} {value}")


@bp.before_request
def _csrf_for_cookie_sessions() -> None:
    """Token callers are exempt from CSRF; browser sessions must send X-CSRFToken."""
    from flask_login import current_user

    if request.method in SAFE_METHODS:
        return
    _ = current_user.is_authenticated  # runs the token loader, which sets g.auth_via_token
    if g.get("auth_via_token"):
        return
    if not current_user.is_authenticated:
        return  # the view's own check answers 401
    try:
        validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token"))
    except (ValidationError, CSRFError):
        raise ApiError(
            400, "Missing or invalid CSRF token (send X-CSRFToken)", "csrf_failed"
        ) from None


from ..unmet_needs import api as unmet_needs_api  # noqa: E402,F401  (POST /unmet-needs)
from . import activities, matching, openapi, referrals, reports  # noqa: E402,F401  (registers routes)
