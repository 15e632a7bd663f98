"""Provider self-maintenance: own listings, one-step capacity updates, edits, history."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from .. import vocab
from ..accounts.auth import roles_required
from ..audit import AuditEvent
from ..db_types import utcnow
from ..extensions import db
from ..formtools import select_choices
from ..kitemark.services import listing_follows_award
from ..templating import language_name
from .capacity import CapacityError, confirm_still_accurate, lock_activity, update_capacity
from .forms import ActivityForm, CapacityForm, OrganisationForm
from .listing import ListingError, apply_listing, parse_listing
from .models import Activity, Organisation
from .permissions import can_edit_activity

bp = Blueprint("manage", __name__, url_prefix="/manage")

EDITORS = ("provider", "admin")


def editable_activity(activity_id: int, lock: bool = False) -> Activity:
    activity = lock_activity(activity_id) if lock else db.session.get(Activity, activity_id)
    if activity is None:
        abort(404)
    if not can_edit_activity(current_user, activity):
        abort(403)
    return activity


def back_to_listings() -> Any:
    target = request.form.get("next") or ""
    if target.startswith("/manage") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("manage.listings"))


@bp.route("/")
@roles_required(*EDITORS)
def listings() -> Any:
    stmt = select(Activity).options(selectinload(Activity.organisation))
    if current_user.role == "provider":
        if current_user.organisation_id is None:
            return render_template("manage/no_organisation.html")
        stmt = stmt.where(Activity.organisation_id == current_user.organisation_id)
    show = request.args.get("show", "current")
    if show == "archived":
        stmt = stmt.where(Activity.status == "archived")
    else:
        stmt = stmt.where(Activity.status != "archived")
    if request.args.get("stale"):
        cutoff = utcnow() - _stale_delta()
        stmt = stmt.where(Activity.capacity_updated_at < cutoff)
    text = (request.args.get("q") or "").strip()
    if text:
        stmt = stmt.join(Activity.organisation).where(
            or_(Activity.title.ilike(f"%{text}%"), Organisation.name.ilike(f"%{text}%"))
        )
    stmt = stmt.order_by(Activity.capacity_updated_at, Activity.id)
    page = db.paginate(
        stmt, page=request.args.get("page", 1, type=int), per_page=50, error_out=False
    )
    return render_template(
        "manage/listings.html", page=page, show=show, q=text, capacity_form=CapacityForm()
    )


def _stale_delta() -> Any:
    from datetime import timedelta

    return timedelta(days=current_app.config["STALE_AFTER_DAYS"])


@bp.route("/activities/<int:activity_id>/capacity", methods=["POST"])
@roles_required(*EDITORS)
def quick_capacity(activity_id: int) -> Any:
    """Spare places and waitlist in one action from the list page."""
    form = CapacityForm()
    activity = editable_activity(activity_id, lock=True)
    if not form.validate():
        db.session.rollback()
        message = next(iter(form.errors.values()))[0]
        flash(f"{activity.title}: {message}", "error")
        return back_to_listings()
    try:
        update_capacity(
            activity, spare_places=form.spare_places.data, waitlist_open=form.waitlist.data
        )
    except CapacityError as exc:
        db.session.rollback()
        flash(f"{activity.title}: {exc}", "error")
        return back_to_listings()
    db.session.commit()
    flash(
        f"{activity.title}: {activity.spare_places} spare places, waiting list "
        f"{'open' if activity.waitlist_open else 'closed'}. Thank you.",
        "success",
    )
    return back_to_listings()


@bp.route("/activities/<int:activity_id>/confirm", methods=["POST"])
@roles_required(*EDITORS)
def confirm(activity_id: int) -> Any:
    activity = editable_activity(activity_id, lock=True)
    confirm_still_accurate(activity)
    db.session.commit()
    flash(f"{activity.title}: confirmed as still accurate.", "success")
    return back_to_listings()


def _organisation_choices() -> list[Any]:
    orgs = db.session.execute(
        select(Organisation.id, Organisation.name).order_by(Organisation.name)
    )
    return select_choices((row.id, row.name) for row in orgs)


def _prepare_form(form: ActivityForm) -> None:
    if current_user.role == "admin":
        form.organisation_id.choices = _organisation_choices()
    else:
        del form.organisation_id


def _fill_form(form: ActivityForm, activity: Activity) -> None:
    form.title.data = activity.title
    form.description.data = activity.description
    form.categories.data = activity.categories
    form.needs.data = activity.needs
    form.modes.data = activity.modes
    form.referral_routes.data = activity.referral_routes
    form.schedule.data = activity.schedule
    form.address.data = activity.address
    form.postcode.data = activity.postcode
    form.cost.data = (
        "" if activity.cost_pence is None
        else "free" if activity.cost_pence == 0
        else f"{activity.cost_pence / 100:.2f}"
    )  # fmt: skip
    form.age_min.data = "" if activity.age_min is None else str(activity.age_min)
    form.age_max.data = "" if activity.age_max is None else str(activity.age_max)
    form.wheelchair_accessible.data = {True: "yes", False: "no"}.get(
        activity.wheelchair_accessible,
        "",  # type: ignore[arg-type]
    )
    form.languages.data = "; ".join(language_name(c) for c in activity.languages)
    form.capacity.data = "" if activity.capacity is None else str(activity.capacity)
    form.spare_places.data = str(activity.spare_places)
    form.waitlist.data = activity.waitlist_open
    form.contact_name.data = activity.contact_name
    form.email.data = activity.email
    form.phone.data = activity.phone
    form.website.data = activity.website
    form.status.data = "draft" if activity.status == "draft" else "published"
    if form.organisation_id is not None:
        form.organisation_id.data = activity.organisation_id


def _save(form: ActivityForm, activity: Activity) -> bool:
    """Validate through the shared listing rules; put errors back on the form fields."""
    try:
        clean = parse_listing(form.raw())
    except ListingError as exc:
        for key, message in exc.errors.items():
            target = {"capacity_updated": "spare_places", "age_min": "age_min"}.get(key, key)
            field = getattr(form, target, None) or form.title
            field.errors = [*field.errors, message[:1].upper() + message[1:]]
        return False
    # Never from this form, not even an admin's: a status set here would have no award
    # record, no valid-until date and no history, and would never expire.
    clean.values.pop("kite_mark", None)
    capacity_changed = activity.id is None or any(
        clean.values.get(k) != getattr(activity, k)
        for k in ("capacity", "spare_places", "waitlist_open")
    )
    apply_listing(activity, clean)
    if capacity_changed:
        activity.capacity_updated_at = utcnow()
    activity.status = form.status.data if form.status.data in ("draft", "published") else "draft"
    activity.last_reviewed_at = utcnow()
    return True


@bp.route("/activities/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new_activity() -> Any:
    form = ActivityForm()
    _prepare_form(form)
    if current_user.role == "provider" and current_user.organisation_id is None:
        return render_template("manage/no_organisation.html")
    if form.validate_on_submit():
        activity = Activity(
            organisation_id=(
                form.organisation_id.data
                if current_user.role == "admin"
                else current_user.organisation_id
            ),
            source="local",
        )
        if _save(form, activity):
            db.session.add(activity)
            db.session.commit()
            flash(f"“{activity.title}” was created.", "success")
            return redirect(url_for("directory.activity", activity_id=activity.id))
    elif request.method == "GET":
        form.modes.data = ["in_person"]
        form.referral_routes.data = ["link_worker", "self"]
        form.languages.data = "English"
    return render_template("manage/activity_form.html", form=form, activity=None)


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_activity(activity_id: int) -> Any:
    activity = editable_activity(activity_id)
    form = ActivityForm()
    _prepare_form(form)
    if form.validate_on_submit():
        new_org = form.organisation_id.data if form.organisation_id is not None else None
        moved = bool(new_org) and new_org != activity.organisation_id
        if moved:
            activity.organisation_id = new_org
        if _save(form, activity):
            if moved:
                listing_follows_award(activity)  # the kite mark is the new organisation's
            db.session.commit()
            flash(f"“{activity.title}” was saved.", "success")
            return redirect(url_for("directory.activity", activity_id=activity.id))
        db.session.rollback()
    elif request.method == "GET":
        _fill_form(form, activity)
    return render_template("manage/activity_form.html", form=form, activity=activity)


@bp.route("/activities/<int:activity_id>/status", methods=["POST"])
@roles_required(*EDITORS)
def change_status(activity_id: int) -> Any:
    activity = editable_activity(activity_id)
    status = request.form.get("status")
    if status not in vocab.ACTIVITY_STATUS:
        abort(400, "Unknown status")
    activity.status = status
    db.session.commit()
    flash(f"“{activity.title}” is now {vocab.ACTIVITY_STATUS[status].lower()}.", "success")
    return back_to_listings()


@bp.route("/activities/<int:activity_id>/history")
@roles_required(*EDITORS)
def history(activity_id: int) -> Any:
    activity = editable_activity(activity_id)
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == "activity", AuditEvent.entity_id == activity.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(500)
    ).all()
    return render_template("manage/history.html", activity=activity, events=events)


@bp.route("/organisation", methods=["GET", "POST"])
@roles_required("provider")
def organisation() -> Any:
    org = db.session.get(Organisation, current_user.organisation_id or 0)
    if org is None:
        return render_template("manage/no_organisation.html")
    form = OrganisationForm(obj=org)
    if form.validate_on_submit():
        from .organisations import save_organisation

        if save_organisation(form, org):
            db.session.commit()
            flash("Your organisation's details were saved.", "success")
            return redirect(url_for("manage.listings"))
        db.session.rollback()
    return render_template("manage/organisation_form.html", form=form, organisation=org)
