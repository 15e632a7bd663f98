"""spdirectory: a social prescribing directory (Flask application factory)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from .config import load_config

ROOT = Path(__file__).resolve().parent.parent


def create_app(
    config: dict[str, Any] | None = None, instance_path: str | Path | None = None
) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(instance_path) if instance_path else None,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    load_config(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_errorhandlers(app)
    register_commands(app)
    register_security(app)
    return app


def register_extensions(app: Flask) -> None:
    # Importing these registers their models and flush hooks (audit, capacity, search).
    from . import audit  # noqa: F401
    from .accounts import models as account_models  # noqa: F401
    from .directory import capacity, models  # noqa: F401
    from .extensions import csrf, db, login_manager, migrate
    from .kitemark import models as kitemark_models  # noqa: F401
    from .kitemark import services as kitemark_services  # noqa: F401  (new listings follow)
    from .notifications import models as notification_models  # noqa: F401
    from .openreferral import aggregation as openreferral_aggregation  # noqa: F401
    from .referrals import models as referral_models  # noqa: F401
    from .reports import models as report_models  # noqa: F401
    from .reports import summary as report_summary  # noqa: F401  (demand summary hooks)
    from .search import demand, sync  # noqa: F401
    from .search import models as search_models  # noqa: F401
    from .sqlite import configure_sqlite
    from .unmet_needs import models as unmet_need_models  # noqa: F401

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    from .accounts.auth import configure_login

    configure_login(login_manager)
    # Referral events queue emails (issue 4); registering twice is harmless.
    from .notifications.referrals import register as register_referral_emails

    register_referral_emails()


def register_blueprints(app: Flask) -> None:
    from .accounts.views import bp as accounts_bp
    from .admin.views import bp as admin_bp
    from .api import bp as api_bp
    from .directory.manage import bp as manage_bp
    from .directory.views import bp as directory_bp
    from .extensions import csrf
    from .kitemark.views import bp as kitemark_bp
    from .notifications.views import bp as outbox_bp
    from .openreferral.api import bp as openreferral_bp
    from .openreferral.review_views import bp as duplicates_bp
    from .referrals.views import bp as referrals_bp
    from .reports.views import bp as reports_bp
    from .search import views as search_views
    from .unmet_needs.views import bp as unmet_needs_bp

    app.register_blueprint(directory_bp)
    app.register_blueprint(manage_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(referrals_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(unmet_needs_bp)  # /unmet-needs/new
    app.register_blueprint(outbox_bp)  # /admin/outbox
    app.register_blueprint(duplicates_bp)  # /admin/duplicates (Open Referral aggregation)
    app.register_blueprint(kitemark_bp)  # /kite-mark/… (the public page is directory's)
    app.register_blueprint(search_views.bp)  # /match, /shortlist (the search page is /activities)
    # The API authenticates bearer tokens itself and checks CSRF for cookie sessions.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(openreferral_bp)  # /openreferral: public, read-only (GET only)


def register_template_helpers(app: Flask) -> None:
    from .templating import init_templating

    init_templating(app)


def register_errorhandlers(app: Flask) -> None:
    from .errors import init_errors

    init_errors(app)


def register_commands(app: Flask) -> None:
    from .cli import init_commands

    init_commands(app)


def register_security(app: Flask) -> None:
    from .security import init_security

    init_security(app)
