"""Administration: users, organisations, bulk CSV import."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select

from ..accounts.auth import roles_required
from ..accounts.forms import UserForm
from ..accounts.models import User
from ..directory.forms import OrganisationForm
from ..directory.importer import ImportFileError, import_csv, template_csv
from ..directory.models import Activity, Organisation
from ..directory.organisations import save_organisation
from ..extensions import db
from ..formtools import select_choices

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@roles_required("admin")
def _admins_only() -> None:
    return None


@bp.route("/")
def index() -> Any:
    counts = {
        "activities": db.session.scalar(select(func.count(Activity.id))),
        "organisations": db.session.scalar(select(func.count(Organisation.id))),
        "users": db.session.scalar(select(func.count(User.id))),
    }
    return render_template("admin/index.html", counts=counts)


@bp.route("/users")
def users() -> Any:
    rows = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return render_template("admin/users.html", users=rows)


def _user_form(user: User | None) -> UserForm:
    form = UserForm(obj=user) if user else UserForm()
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.name))
    form.organisation_id.choices = select_choices([(0, "None")] + [(o.id, o.name) for o in orgs])
    if request.method == "GET" and user:
        form.organisation_id.data = user.organisation_id or 0
    return form


LAST_ADMIN_DEMOTE = (
    "This is the last active administrator, so it must keep the administrator role. "
    "Make another account an active administrator first."
)
LAST_ADMIN_DEACTIVATE = (
    "This is the last active administrator, so it cannot be deactivated. "
    "Make another account an active administrator first."
)
SELF_DEMOTE = (
    "You cannot remove the administrator role from your own account. "
    "Ask another administrator to do it."
)
SELF_DEACTIVATE = "You cannot deactivate your own account. Ask another administrator to do it."


def _active_admin_ids(lock: bool = False) -> set[int]:
    query = select(User.id).where(User.role == "admin", User.active.is_(True))
    if lock:
        # PostgreSQL: two admins demoting each other at once wait for one another, and the
        # second then sees the first's change (SQLite ignores this; see edit_user's recheck).
        query = query.with_for_update()
    return set(db.session.scalars(query))


def admin_change_refusal(
    target: User | None, role: str, active: bool, acting: User
) -> dict[str, str]:
    """Why this change to `target` may not be made, as {field name: message}; empty if it may.

    An administrator cannot demote or deactivate their own account, and the last active
    administrator can never be demoted or deactivated, so the directory is never left
    without anyone able to manage it.
    """
    if target is None or target.role != "admin" or not target.active:
        return {}
    demoting, deactivating = role != "admin", not active
    if not (demoting or deactivating):
        return {}
    refusals: dict[str, str] = {}
    if not _active_admin_ids(lock=True) - {target.id}:
        if demoting:
            refusals["role"] = LAST_ADMIN_DEMOTE
        if deactivating:
            refusals["active"] = LAST_ADMIN_DEACTIVATE
    elif target.id == acting.id:
        if demoting:
            refusals["role"] = SELF_DEMOTE
        if deactivating:
            refusals["active"] = SELF_DEACTIVATE
    return refusals


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int | None = None) -> Any:
    user = db.session.get(User, user_id) if user_id else None
    if user_id and user is None:
        abort(404)
    form = _user_form(user)
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        clash = db.session.execute(
            select(User.id).where(User.email == email, User.id != (user.id if user else 0))
        ).first()
        was_active_admin = user is not None and user.role == "admin" and user.active
        refusals = admin_change_refusal(user, form.role.data, form.active.data, current_user)
        if clash:
            form.email.errors.append("Another account already uses this email address")
        elif user is None and not form.password.data:
            form.password.errors.append("Set a password for the new account")
        elif form.role.data == "provider" and not form.organisation_id.data:
            form.organisation_id.errors.append("A provider must belong to an organisation")
        elif refusals:
            for name, message in refusals.items():
                form[name].errors.append(message)
        else:
            if user is None:
                user = User(email=email)
                db.session.add(user)
            user.email = email
            user.name = form.name.data or ""
            user.role = form.role.data
            user.organisation_id = form.organisation_id.data or None
            user.active = form.active.data
            if form.password.data:
                user.set_password(form.password.data)
            db.session.flush()
            if was_active_admin and not _active_admin_ids():
                # Another admin was demoted between the check above and this write.
                db.session.rollback()
                form.role.errors.append(LAST_ADMIN_DEMOTE)
                return render_template("admin/user_form.html", form=form, user=user)
            db.session.commit()
            flash(f"{user.email} was saved.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.route("/organisations")
def organisations() -> Any:
    rows = db.session.execute(
        select(Organisation, func.count(Activity.id))
        .outerjoin(Activity)
        .group_by(Organisation.id)
        .order_by(Organisation.name)
    ).all()
    return render_template("admin/organisations.html", rows=rows)


@bp.route("/organisations/new", methods=["GET", "POST"])
@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
def edit_organisation(organisation_id: int | None = None) -> Any:
    org = db.session.get(Organisation, organisation_id) if organisation_id else None
    if organisation_id and org is None:
        abort(404)
    form = OrganisationForm(obj=org)
    if form.validate_on_submit():
        target = org or Organisation()
        if save_organisation(form, target):
            if org is None:
                db.session.add(target)
            db.session.commit()
            flash(f"{target.name} was saved.", "success")
            return redirect(url_for("admin.organisations"))
        db.session.rollback()
    return render_template("admin/organisation_form.html", form=form, organisation=org)


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to upload")])


@bp.route("/import", methods=["GET", "POST"])
def import_activities() -> Any:
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            text = io.TextIOWrapper(upload.stream, encoding="utf-8-sig", newline="")
            report = import_csv(text, source="csv", honour_kite_mark=True)
        except UnicodeDecodeError:
            form.file.errors.append("The file is not UTF-8 text: save it as “CSV UTF-8”")
        except ImportFileError as exc:
            form.file.errors.append(str(exc))
    return render_template("admin/import.html", form=form, report=report)


@bp.route("/import/template.csv")
def import_template() -> Response:
    return Response(
        template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=spdirectory-import-template.csv"},
    )
