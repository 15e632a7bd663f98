"""/admin/outbox: what the service has emailed (or would have), and retrying failures."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from ..accounts.auth import roles_required
from ..extensions import db
from .delivery import MailConfigError, mail_settings, retry_failed
from .models import STATUSES, OutboxEmail

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")

PER_PAGE = 50


@bp.before_request
@roles_required("admin")
def _admins_only() -> None:
    return None


@bp.after_request
def _private(response: Any) -> Any:
    # Addresses of staff are personal data: keep them out of shared caches.
    response.headers["Cache-Control"] = "no-store"
    return response


def _mail_configured() -> bool:
    try:
        return mail_settings().configured
    except MailConfigError:
        return False


@bp.route("/")
def index() -> Any:
    status = request.args.get("status", "")
    if status and status not in STATUSES:
        status = ""
    page = request.args.get("page", 1, type=int) or 1
    page = max(1, page)
    stmt = select(OutboxEmail)
    if status:
        stmt = stmt.where(OutboxEmail.status == status)
    rows = list(
        db.session.scalars(
            stmt.order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
            .limit(PER_PAGE + 1)
            .offset((page - 1) * PER_PAGE)
        )
    )
    counts = dict(
        db.session.execute(
            select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)
        ).all()
    )
    return render_template(
        "admin/outbox.html",
        emails=rows[:PER_PAGE],
        status=status,
        statuses=STATUSES,
        counts=counts,
        page=page,
        has_next=len(rows) > PER_PAGE,
        mail_configured=_mail_configured(),
    )


@bp.route("/<int:email_id>")
def show(email_id: int) -> Any:
    email = db.session.get(OutboxEmail, email_id)
    if email is None:
        abort(404)
    return render_template(
        "admin/outbox_email.html",
        email=email,
        statuses=STATUSES,
        mail_configured=_mail_configured(),
    )


@bp.route("/<int:email_id>/retry", methods=["POST"])
def retry(email_id: int) -> Any:
    # CSRF is checked by CSRFProtect before this runs.
    email = db.session.get(OutboxEmail, email_id)
    if email is None:
        abort(404)
    if retry_failed(email_id):
        db.session.commit()
        flash(f"Email {email_id} is queued again; the next send run will try it.", "success")
    else:
        db.session.rollback()
        flash(f"Email {email_id} has not failed, so there is nothing to retry.", "error")
    return redirect(url_for("outbox.show", email_id=email_id))
