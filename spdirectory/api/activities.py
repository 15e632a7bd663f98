"""GET /activities, GET /activities/<id>, PATCH /activities/<id>/capacity."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import current_app, jsonify, request
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from ..directory.capacity import CapacityError, lock_activity, update_capacity
from ..directory.models import Activity
from ..directory.permissions import can_edit_activity
from ..directory.queries import ListingFilters, published
from ..errors import ApiError
from ..extensions import db
from . import bp
from .helpers import json_body, paging, require_user
from .serialise import activity_detail, activity_summary


def _facets(filters: ListingFilters) -> dict[str, dict[str, int]]:
    rows = db.session.execute(
        filters.apply(published()).with_only_columns(
            Activity.categories, Activity.needs, Activity.modes, Activity.kite_mark
        )
    ).all()
    facets: dict[str, Counter[str]] = {
        "category": Counter(), "need": Counter(), "mode": Counter(), "kite_mark": Counter()
    }  # fmt: skip
    for categories, needs, modes, kite_mark in rows:
        facets["category"].update(categories)
        facets["need"].update(needs)
        facets["mode"].update(modes)
        facets["kite_mark"][kite_mark] += 1
    return {name: dict(counter.most_common()) for name, counter in facets.items()}


@bp.get("/activities")
def list_activities() -> Any:
    filters, errors = ListingFilters.from_args(request.args)
    if errors:
        raise ApiError(400, "Invalid search parameters", fields=errors)
    page, per_page = paging()
    stmt = filters.apply(published())
    total = db.session.scalar(stmt.with_only_columns(func.count(Activity.id)).order_by(None))
    rows = db.session.scalars(
        stmt.options(selectinload(Activity.organisation))
        .order_by(Activity.title, Activity.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return jsonify(
        {
            "total": total,
            "page": page,
            "per_page": per_page,
            "results": [activity_summary(a) for a in rows],
            "facets": _facets(filters),
        }
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


@bp.patch("/activities/<int:activity_id>/capacity")
def patch_capacity(activity_id: int) -> Any:
    user = require_user("provider", "admin")
    body = json_body()
    unknown = set(body) - {"spare_places", "waitlist", "capacity"}
    if unknown:
        raise ApiError(422, "Unknown fields", fields=dict.fromkeys(unknown, "not accepted here"))
    fields: dict[str, str] = {}
    spare = body.get("spare_places")
    if not isinstance(spare, int) or isinstance(spare, bool):
        fields["spare_places"] = "must be a whole number (0 if full)"
    waitlist = body.get("waitlist")
    if waitlist is not None and not isinstance(waitlist, bool):
        fields["waitlist"] = "must be true or false"
    capacity = body.get("capacity")
    if capacity is not None and (not isinstance(capacity, int) or isinstance(capacity, bool)):
        fields["capacity"] = "must be a whole number"
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
