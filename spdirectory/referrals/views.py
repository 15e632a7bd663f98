"""Referral pages: refer, the referral itself (actions, contact, outcomes), inbox, caseload."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from .. import vocab
from ..accounts.auth import roles_required
from ..directory.models import Activity, Organisation
from ..extensions import db
from ..workdays import london
from . import services, states
from .forms import ONS4_QUESTIONS, ONS4_STAGE_LABELS, OutcomeForm, ReferralForm, StatusForm
from .models import ONS4_FIELDS, Referral
from .queries import CASELOAD_TABS, INBOX_TABS, referral_list, tab_counts

bp = Blueprint("referrals", __name__, url_prefix="/referrals")

SIGNED_IN_ROLES = ("admin", "link_worker", "provider")


def _no_store(response: Any) -> Any:
    # Pages with personal data must not stay in shared browsers' caches.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_filter("contact_method")
def contact_method(code: str | None) -> str:
    return states.CONTACT_METHODS.get(code or "", code or "")


@bp.app_template_global("referral_allowed")
def referral_allowed(activity: Activity) -> bool:
    """Show a "Refer" link: the user refers, and the activity takes referrals."""
    return services.can_refer(current_user) and services.takes_referrals(activity)


@bp.app_template_global("outcomes_summary")
def outcomes_summary(
    *, activity_id: int | None = None, organisation_id: int | None = None
) -> Markup:
    """ONS4 distance travelled, only when enough people have both scores (else nothing)."""
    result = services.distance_travelled(activity_id=activity_id, organisation_id=organisation_id)
    if result is None:
        return Markup("")
    return Markup(
        render_template(
            "referrals/_outcomes.html", result=result, questions=ONS4_QUESTIONS, ons4=ONS4_FIELDS
        )
    )


@bp.after_request
def _private(response: Any) -> Any:
    return _no_store(response)


def _referral_or_404(referral_id: int) -> Referral:
    referral = db.session.get(Referral, referral_id)
    if referral is None or not services.can_view(current_user, referral):
        # Other organisations' and link workers' referrals are not even confirmed to exist.
        abort(404)
    return referral


# ----------------------------------------------------------------------------- refer


@bp.route("/new/<int:activity_id>", methods=["GET", "POST"])
@roles_required("link_worker", "admin")
def new(activity_id: int) -> Any:
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.status != "published":
        abort(404)
    if not services.takes_referrals(activity):
        flash(f"“{activity.title}” does not take referrals: the person can join directly.", "error")
        return redirect(url_for("directory.activity", activity_id=activity.id))
    form = ReferralForm()
    if request.method == "GET":
        form.needs.data = [n for n in request.args.getlist("need") if n in vocab.NEEDS]
        postcode = request.args.get("postcode", "")
        form.person_postcode.data = postcode[:10]
    elif form.validate_on_submit():
        clean, errors = services.validate_new(form.raw(activity.id))
        if clean is not None:
            try:
                referral = services.create_referral(current_user, clean)
            except services.ReferralError as exc:
                db.session.rollback()
                errors = {"client_reference": exc.message}
            else:
                db.session.commit()
                flash(
                    f"Referral {referral.client_reference} sent to "
                    f"{activity.organisation.name}. They are asked to respond by "
                    f"{london(referral.respond_by):%A %-d %B}.",
                    "success",
                )
                return redirect(url_for("referrals.detail", referral_id=referral.id))
        _errors_to_form(form, errors)
    status = 422 if form.errors else 200
    return render_template(
        "referrals/new.html", form=form, activity=activity, ons4=ONS4_FIELDS
    ), status


def _errors_to_form(form: Any, errors: dict[str, str]) -> None:
    for key, message in errors.items():
        name = key.split(".")[-1]
        field = getattr(form, name, None) or form.client_reference
        field.errors = [*list(field.errors), message[:1].upper() + message[1:]]


# --------------------------------------------------------------------------- the referral


def _detail(referral: Referral, status: int = 200, error: Any = None, **extra: Any) -> Any:
    rank = services.waitlist_rank(referral)
    allowed_next = [
        to
        for to in states.next_statuses(referral.status)
        if services.can_make(current_user, referral, to)
    ]
    outcomes = {o.stage: o for o in referral.outcomes}
    return (
        render_template(
            "referrals/detail.html",
            referral=referral,
            rank=rank,
            allowed_next=allowed_next,
            status_form=StatusForm(),
            outcome_form=OutcomeForm(),
            can_see_contact=services.can_see_contact(current_user, referral),
            can_record_outcome=services.can_record_outcome(current_user, referral)
            and referral.anonymised_at is None,
            is_provider=services.is_provider_of(current_user, referral)
            or current_user.role == "admin",
            outcomes=outcomes,
            ons4=ONS4_FIELDS,
            ons4_questions=ONS4_QUESTIONS,
            stage_labels=ONS4_STAGE_LABELS,
            error=error,
            **extra,
        ),
        status,
    )


@bp.route("/<int:referral_id>")
@roles_required(*SIGNED_IN_ROLES)
def detail(referral_id: int) -> Any:
    return _detail(_referral_or_404(referral_id))


@bp.route("/<int:referral_id>/contact")
@roles_required("link_worker", "provider")
def contact(referral_id: int) -> Any:
    referral = _referral_or_404(referral_id)
    if not services.can_see_contact(current_user, referral):
        abort(403)
    details = services.contact_details(referral, current_user)  # audited
    db.session.commit()
    return render_template("referrals/contact.html", referral=referral, details=details)


@bp.route("/<int:referral_id>/status", methods=["POST"])
@roles_required(*SIGNED_IN_ROLES)
def change_status(referral_id: int) -> Any:
    referral = _referral_or_404(referral_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return _detail(referral, 400, error="Your session expired. Please try again.")
    to_status = (form.status.data or "").strip()
    if to_status not in vocab.REFERRAL_STATUS:
        return _detail(referral, 422, error="Choose what has happened to the referral")
    if not services.can_make(current_user, referral, to_status):
        abort(403)
    try:
        services.change_status(
            referral.id, to_status, current_user, reason=form.reason.data, note=form.note.data
        )
    except services.NoPlaceLeft as exc:
        db.session.rollback()
        return _detail(db.session.get(Referral, referral_id), 409, error=exc, no_place=exc)
    except services.ReferralError as exc:
        db.session.rollback()
        return _detail(db.session.get(Referral, referral_id), exc.status, error=exc)
    db.session.commit()
    flash(
        f"Referral {referral.client_reference or referral.id}: "
        f"{vocab.label(vocab.REFERRAL_STATUS, to_status).lower()}.",
        "success",
    )
    return redirect(url_for("referrals.detail", referral_id=referral_id))


@bp.route("/<int:referral_id>/outcomes", methods=["POST"])
@roles_required("link_worker", "provider")
def record_outcome(referral_id: int) -> Any:
    referral = _referral_or_404(referral_id)
    if not services.can_record_outcome(current_user, referral):
        abort(403)
    form = OutcomeForm()
    if not form.validate_on_submit():
        return _detail(referral, 400, error="Your session expired. Please try again.")
    scores, errors = services.ons4_scores({f: getattr(form, f).data for f in ONS4_FIELDS})
    if form.stage.data not in ONS4_STAGE_LABELS:
        errors["stage"] = "Choose when the scores were given"
    if scores is None and not errors:
        errors["life_satisfaction"] = "Enter the four scores"
    if errors:
        message = "Enter all four scores, each from 0 to 10, and choose when they were given"
        return _detail(referral, 422, error=message)
    try:
        services.record_outcome(referral, form.stage.data, scores or {}, current_user)
    except services.ReferralError as exc:
        db.session.rollback()
        return _detail(referral, exc.status, error=exc)
    db.session.commit()
    flash("Wellbeing scores saved.", "success")
    return redirect(url_for("referrals.detail", referral_id=referral_id))


@bp.route("/activities/<int:activity_id>/promote", methods=["POST"])
@roles_required("provider", "admin")
def promote(activity_id: int) -> Any:
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        abort(404)
    if current_user.role != "admin" and current_user.organisation_id != activity.organisation_id:
        abort(403)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        promoted = services.promote_next(activity_id, current_user)
    except services.ReferralError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("referrals.inbox", tab="waitlist"))
    if promoted is None:
        flash(f"Nobody is on the waiting list for “{activity.title}”.", "info")
    else:
        db.session.commit()
        flash(
            f"Referral {promoted.client_reference} promoted from the waiting list: accepted.",
            "success",
        )
    return redirect(url_for("referrals.inbox", tab="waitlist"))


# ------------------------------------------------------------------------ inbox, caseload


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


@bp.route("/inbox")
@roles_required("provider", "admin")
def inbox() -> Any:
    tab = request.args.get("tab", "new")
    if tab not in INBOX_TABS:
        tab = "new"
    if current_user.role == "provider":
        if current_user.organisation_id is None:
            return render_template("manage/no_organisation.html")
        organisation_id: int | None = current_user.organisation_id
    else:
        organisation_id = _int_arg("organisation")
    activity_id = _int_arg("activity")
    reference = (request.args.get("reference") or "").strip()[:64]
    page = referral_list(
        tab=tab,
        organisation_id=organisation_id,
        activity_id=activity_id,
        reference=reference,
        page=_int_arg("page") or 1,
    )
    counts = tab_counts(organisation_id=organisation_id, activity_id=activity_id)
    activities = []
    if organisation_id is not None:
        activities = db.session.execute(
            select(Activity.id, Activity.title, Activity.spare_places, Activity.waitlist_open)
            .where(Activity.organisation_id == organisation_id, Activity.status != "archived")
            .order_by(Activity.title)
        ).all()
    organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
    return render_template(
        "referrals/inbox.html",
        page=page,
        tab=tab,
        tabs=INBOX_TABS,
        counts=counts,
        activities=activities,
        activity_id=activity_id,
        reference=reference,
        organisation=organisation,
        promote_form=StatusForm(),
    )


@bp.route("/caseload")
@roles_required("link_worker", "admin")
def caseload() -> Any:
    tab = request.args.get("tab", "open")
    if tab not in CASELOAD_TABS:
        tab = "open"
    referrer_id = current_user.id if current_user.role == "link_worker" else _int_arg("referrer")
    reference = (request.args.get("reference") or "").strip()[:64]
    page = referral_list(
        tab=tab, referrer_id=referrer_id, reference=reference, page=_int_arg("page") or 1
    )
    counts = tab_counts(referrer_id=referrer_id)
    return render_template(
        "referrals/caseload.html",
        page=page,
        tab=tab,
        tabs=CASELOAD_TABS,
        counts=counts,
        reference=reference,
    )
