"""GET /activities (search), GET /activities/<id>, PATCH /activities/<id>/capacity,
GET /suggest."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import current_app, jsonify, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..directory.capacity import CapacityError, lock_activity, update_capacity
from ..directory.models import Activity, Organisation
from ..directory.permissions import can_edit_activity
from ..errors import ApiError
from ..extensions import db
from ..search import get_backend
from ..search.demand import log_if_unmet
from ..search.params import query_from_args
from . import bp
from .helpers import json_body, require_user
from .serialise import activity_detail, activity_summary


def activities_by_id(ids: list[int]) -> dict[int, Activity]:
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Activity).where(Activity.id.in_(ids)).options(selectinload(Activity.organisation))
    ).all()
    return {a.id: a for a in rows}


# The columns activity_summary() reads: a page of results loads these (one query, no ORM
# objects) rather than whole activities with their organisations (docs/performance.md).
_SUMMARY_COLUMNS = (
    Activity.id,
    Activity.external_id,
    Activity.title,
    Activity.organisation_id,
    Activity.categories,
    Activity.needs,
    Activity.modes,
    Activity.postcode,
    Activity.latitude,
    Activity.longitude,
    Activity.spare_places,
    Activity.waitlist_open,
    Activity.kite_mark,
    Activity.capacity_updated_at,
    Activity.cost_pence,
    Activity.schedule,
    Organisation.name.label("organisation_name"),
)


def summaries_by_id(ids: list[int]) -> dict[int, Any]:
    """Light stand-ins for Activity with exactly what activity_summary() reads."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(*_SUMMARY_COLUMNS)
        .join(Organisation, Organisation.id == Activity.organisation_id)
        .where(Activity.id.in_(ids))
    )
    found = {}
    for row in rows:
        fields = row._asdict()
        fields["organisation"] = SimpleNamespace(name=fields.pop("organisation_name"))
        found[row.id] = SimpleNamespace(**fields)
    return found


@bp.get("/activities")
def list_activities() -> Any:
    config = current_app.config
    query, errors, place = query_from_args(
        request.args, per_page=config["PER_PAGE"], max_per_page=config["MAX_PER_PAGE"]
    )
    if errors:
        raise ApiError(400, "Invalid search parameters", fields=errors)
    results = get_backend().search(query)
    log_if_unmet("search", query, results, place)
    found = summaries_by_id([h.activity_id for h in results.hits])
    body: dict[str, Any] = {
        "total": results.total,
        "page": query.page,
        "per_page": query.per_page,
        "results": [
            activity_summary(found[h.activity_id], h.distance_km)
            for h in results.hits
            if h.activity_id in found
        ],
        "facets": results.facets,
    }
    if results.notice:
        body["notice"] = results.notice
    return jsonify(body)


@bp.get("/suggest")
def suggest() -> Any:
    prefix = (request.args.get("q") or "").strip()[:100]
    limit = request.args.get("limit", 10, type=int) or 10
    suggestions = get_backend().suggest(prefix, limit=max(1, min(limit, 20))) if prefix else []
    return jsonify(
        {"suggestions": [{"label": s.label, "type": s.type, "value": s.value} for s in suggestions]}
    )


def _visible(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or (
        activity.status != "published" and not can_edit_activity(current_user, activity)
    ):
        raise ApiError(404, f"No activity with id {activity_id}")
    return activity


@bp.get("/activities/<int:activity_id>")
def get_activity(activity_id: int) -> Any:
    activity = _visible(activity_id)
    return jsonify(activity_detail(activity, current_app.config["STALE_AFTER_DAYS"]))


# The bound listing.parse_listing applies; larger numbers overflow the database's integers
# (a 500 on PostgreSQL from 2**31, on SQLite from 2**63).
MAX_PLACES = 100_000


def _whole_number(value: Any) -> bool:
    """A JSON integer in range (negatives are left to the capacity rules' own message)."""
    return isinstance(value, int) and not isinstance(value, bool) and value <= MAX_PLACES


@bp.patch("/activities/<int:activity_id>/capacity")
def patch_capacity(activity_id: int) -> Any:
    user = require_user("provider", "admin")
    body = json_body()
    unknown = set(body) - {"spare_places", "waitlist", "capacity"}
    if unknown:
        raise ApiError(422, "Unknown fields", fields=dict.fromkeys(unknown, "not accepted here"))
    fields: dict[str, str] = {}
    spare = body.get("spare_places")
    if not _whole_number(spare):
        fields["spare_places"] = f"must be a whole number from 0 to {MAX_PLACES} (0 if full)"
    waitlist = body.get("waitlist")
    if waitlist is not None and not isinstance(waitlist, bool):
        fields["waitlist"] = "must be true or false"
    capacity = body.get("capacity")
    if capacity is not None and not _whole_number(capacity):
        fields["capacity"] = f"must be a whole number from 0 to {MAX_PLACES}"
    if fields:
        raise ApiError(422, "Invalid capacity update", fields=fields)
    activity = lock_activity(activity_id)
    if activity is None:
        raise ApiError(404, f"No activity with id {activity_id}")
    if not can_edit_activity(user, activity):
        db.session.rollback()
        raise ApiError(403, "Only the organisation that runs this activity can change its capacity")
    try:
        update_capacity(
            activity, spare_places=spare, waitlist_open=waitlist, capacity=capacity, reason="api"
        )
    except CapacityError as exc:
        db.session.rollback()
        raise ApiError(422, str(exc), fields={exc.field: str(exc)}) from None
    db.session.commit()
    return jsonify(activity_detail(activity, current_app.config["STALE_AFTER_DAYS"]))
