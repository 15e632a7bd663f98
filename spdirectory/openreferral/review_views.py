"""/admin/duplicates: the queue of likely duplicate listings across sources, where an
administrator merges a pair (keeps one, archives the other) or keeps them apart. Decisions
are remembered, so a decided pair is never queued again."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import RadioField
from wtforms.validators import InputRequired

from ..accounts.auth import roles_required
from ..directory.models import Activity
from ..extensions import db
from ..formtools import select_choices
from .aggregation import STATUSES, DecisionError, DuplicateCandidate, ListingSource, decide

bp = Blueprint("duplicates", __name__, url_prefix="/admin/duplicates")

PER_PAGE = 20
CHOICES = [
    ("keep_first", "Merge: keep the first listing, archive the second"),
    ("keep_second", "Merge: keep the second listing, archive the first"),
    ("kept_apart", "Keep them apart: they are different activities"),
]


class DecisionForm(FlaskForm):
    decision = RadioField(
        "What should happen to these two listings?",
        choices=select_choices(CHOICES),
        validators=[InputRequired("Choose merge or keep apart")],
    )


@bp.before_request
@roles_required("admin")
def _admins_only() -> None:
    return None


@bp.route("/")
def index() -> Any:
    status = request.args.get("status", "pending")
    if status not in STATUSES:
        status = "pending"
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows = list(
        db.session.scalars(
            select(DuplicateCandidate)
            .where(DuplicateCandidate.status == status)
            .options(
                selectinload(DuplicateCandidate.first).selectinload(Activity.organisation),
                selectinload(DuplicateCandidate.second).selectinload(Activity.organisation),
            )
            .order_by(DuplicateCandidate.score.desc(), DuplicateCandidate.id)
            .limit(PER_PAGE + 1)
            .offset((page - 1) * PER_PAGE)
        )
    )
    counts = dict(
        db.session.execute(
            select(DuplicateCandidate.status, func.count()).group_by(DuplicateCandidate.status)
        ).all()
    )
    sources = db.session.scalars(select(ListingSource).order_by(ListingSource.label)).all()
    return render_template(
        "openreferral/duplicates.html",
        candidates=rows[:PER_PAGE],
        status=status,
        statuses=STATUSES,
        counts=counts,
        sources=sources,
        choices=CHOICES,
        prev_url=url_for(".index", status=status, page=page - 1) if page > 1 else None,
        next_url=(
            url_for(".index", status=status, page=page + 1) if len(rows) > PER_PAGE else None
        ),
        page=page,
    )


@bp.route("/<int:candidate_id>", methods=["POST"])
def decide_pair(candidate_id: int) -> Any:
    candidate = db.session.get(DuplicateCandidate, candidate_id)
    if candidate is None:
        abort(404)
    form = DecisionForm()
    back = url_for(".index", _anchor=f"pair-{candidate_id}")
    if not form.validate_on_submit():
        message = next(iter(form.errors.values()), ["Choose merge or keep apart"])[0]
        flash(f"Pair {candidate_id}: {message}", "error")
        return redirect(back)
    choice = form.decision.data
    keep = {"keep_first": candidate.first_id, "keep_second": candidate.second_id}.get(choice)
    try:
        decide(candidate_id, "kept_apart" if keep is None else "merged", keep, current_user.id)
    except DecisionError as exc:
        db.session.rollback()
        flash(f"Pair {candidate_id}: {exc}", "error")
        return redirect(back)
    db.session.commit()
    flash(
        "Kept apart: the pair will not be suggested again."
        if keep is None
        else "Merged: the other listing is archived and will stay archived on re-import.",
        "success",
    )
    return redirect(url_for(".index"))
