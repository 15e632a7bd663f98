"""Sign in, sign out, and the user's own account page (API tokens)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..db_types import utcnow
from ..extensions import db
from .auth import authenticate, clear_failures, is_throttled, record_failure
from .forms import LoginForm
from .models import ApiToken

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths, so a crafted link cannot bounce users elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def home_for(user: Any) -> str:
    if user.role == "provider":
        return url_for("manage.listings")
    if user.role == "admin":
        return url_for("admin.index")
    return url_for("directory.browse")


@bp.route("/sign-in", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data or ""
        if is_throttled(email):
            form.email.errors.append(
                "Too many failed attempts to sign in. Wait 15 minutes and try again."
            )
            status = 429
        else:
            user = authenticate(email, form.password.data or "")
            if user is None:
                record_failure(email)
                form.email.errors.append("The email address or password is not correct")
                status = 200
            else:
                clear_failures(email)
                user.last_login_at = utcnow()
                db.session.commit()
                login_user(user, remember=form.remember.data)
                return redirect(safe_next(request.args.get("next")) or home_for(user))
    elif request.method == "POST":
        status = 200
    return render_template("accounts/login.html", form=form), status


@bp.route("/sign-out", methods=["POST"])
def logout() -> Any:
    logout_user()
    flash("You have signed out.", "success")
    return redirect(url_for("directory.home"))


@bp.route("/account", methods=["GET"])
@login_required
def account() -> Any:
    tokens = db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == current_user.id, ApiToken.revoked.is_(False))
        .order_by(ApiToken.created_at.desc())
    ).all()
    return render_template("accounts/account.html", tokens=tokens, new_token=None)


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_token() -> Any:
    token_row, token = ApiToken.issue(current_user)
    db.session.add(token_row)
    db.session.commit()
    tokens = db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == current_user.id, ApiToken.revoked.is_(False))
        .order_by(ApiToken.created_at.desc())
    ).all()
    return render_template("accounts/account.html", tokens=tokens, new_token=token)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> Any:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        from flask import abort

        abort(404)
    token.revoked = True
    db.session.commit()
    flash("The token was revoked.", "success")
    return redirect(url_for("accounts.account"))
