"""Authentication (sessions and bearer tokens), roles, and sign-in throttling."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import cache, wraps
from typing import Any, TypeVar

from flask import current_app, g, request
from flask_login import LoginManager, current_user
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..db_types import utcnow
from ..errors import ApiError, wants_json
from ..extensions import db
from .models import ApiToken, LoginFailure, User

F = TypeVar("F", bound=Callable[..., Any])


def configure_login(login_manager: LoginManager) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Sign in to see this page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user and user.active else None

    @login_manager.request_loader
    def load_from_token(req: Any) -> User | None:
        header = req.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        token = header[7:].strip()
        found = db.session.execute(
            select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(token))
        ).scalar_one_or_none()
        if found is None or found.revoked or not found.user.active:
            return None
        g.auth_via_token = True
        return found.user

    @login_manager.unauthorized_handler
    def unauthorized() -> Any:
        if wants_json():
            raise ApiError(401, "Sign in or send a valid API token (Authorization: Bearer …)")
        from flask import flash, redirect, url_for

        flash(login_manager.login_message, "info")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def roles_required(*roles: str) -> Callable[[F], F]:
    """Only signed-in users with one of these roles; anonymous users are sent to sign in."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if current_user.role not in roles:
                from flask import abort

                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def client_address() -> str:
    return request.remote_addr or "unknown"


def _failure_keys(email: str) -> list[str]:
    return [f"email:{email.strip().lower()}", f"ip:{client_address()}"]


def is_throttled(email: str) -> bool:
    cfg = current_app.config
    since = utcnow() - timedelta(minutes=cfg["LOGIN_FAILURE_WINDOW_MINUTES"])
    for key in _failure_keys(email):
        count = db.session.scalar(
            select(func.count(LoginFailure.id)).where(
                LoginFailure.key == key, LoginFailure.at >= since
            )
        )
        # The address limit is looser: several staff may share one practice's address.
        limit = cfg["LOGIN_MAX_FAILURES"] * (4 if key.startswith("ip:") else 1)
        if (count or 0) >= limit:
            return True
    return False


def record_failure(email: str) -> None:
    for key in _failure_keys(email):
        db.session.add(LoginFailure(key=key))
    db.session.commit()


def clear_failures(email: str) -> None:
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == _failure_keys(email)[0]))


@cache
def _decoy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


def authenticate(email: str, password: str) -> User | None:
    user = db.session.execute(
        select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()
    if user is None or not user.password_hash:
        # Spend as long as a real check, so the response time does not tell which email
        # addresses have accounts.
        check_password_hash(_decoy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user
