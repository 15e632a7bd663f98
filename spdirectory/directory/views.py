"""Public and link-worker pages: browse listings, an activity, an organisation."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import func, select

from ..db_types import utcnow
from ..extensions import db
from ..search.views import LINK_WORKERS, shortlist_ids
from .models import Activity, Organisation
from .permissions import can_edit_activity
from .queries import published
from .schedule import WeeklySession, next_sessions

bp = Blueprint("directory", __name__)
LONDON = ZoneInfo("Europe/London")


@bp.route("/")
def home() -> Any:
    counts = db.session.execute(
        select(
            func.count(Activity.id),
            func.count(Activity.id).filter(Activity.spare_places > 0),
        ).where(Activity.status == "published")
    ).one()
    organisations = db.session.scalar(select(func.count(Organisation.id)))
    return render_template(
        "directory/home.html",
        activities=counts[0],
        with_space=counts[1],
        organisations=organisations,
    )


@bp.route("/activities")
def browse() -> Any:
    # The search page: search backend, facets, distance (spdirectory/search/views.py).
    from ..search.views import search_page

    return search_page()


def visible_activity(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        abort(404)
    if activity.status != "published" and not can_edit_activity(current_user, activity):
        abort(404)
    return activity


@bp.route("/activities/<int:activity_id>")
def activity(activity_id: int) -> Any:
    item = visible_activity(activity_id)
    sessions = [WeeklySession(s.day_index, s.starts, s.ends) for s in item.sessions]
    # Sessions are local times: count from the time on a clock in England, not UTC.
    upcoming = next_sessions(sessions, utcnow().astimezone(LONDON).replace(tzinfo=None), count=3)
    can_shortlist = current_user.is_authenticated and current_user.role in LINK_WORKERS
    return render_template(
        "directory/activity.html",
        activity=item,
        upcoming=upcoming,
        can_edit=can_edit_activity(current_user, item),
        can_shortlist=can_shortlist,
        on_shortlist=can_shortlist and item.id in shortlist_ids(),
    )


@bp.route("/organisations/<int:organisation_id>")
def organisation(organisation_id: int) -> Any:
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        abort(404)
    activities = db.session.scalars(
        published().where(Activity.organisation_id == org.id).order_by(Activity.title)
    ).all()
    return render_template("directory/organisation.html", organisation=org, activities=activities)


@bp.route("/kite-mark")
def about_kitemark() -> Any:
    return render_template("directory/about_kitemark.html")
