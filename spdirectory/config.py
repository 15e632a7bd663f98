"""Configuration: defaults, then an optional file (SPDIRECTORY_CONFIG), then the environment.

The names of the environment variables are a public contract (docs/configuration.md).
"""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "ELASTICSEARCH_URL": None,
    # Listings whose capacity has not been confirmed for this many days are shown as stale.
    "STALE_AFTER_DAYS": 30,
    "PER_PAGE": 20,
    "MAX_PER_PAGE": 100,
    # Sign-in throttling: this many failures within the window locks the account/address.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_FAILURE_WINDOW_MINUTES": 15,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Secure cookies need HTTPS; the demo serves plain HTTP on localhost, deployments set True.
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "DEMO_SEED": 20261123,
    # Referrals: open referrals unchanged this many days show as "follow-up due" to the
    # link worker; ONS4 distance travelled is shown only from this many people (privacy).
    "REFERRAL_FOLLOW_UP_DAYS": 14,
    "OUTCOMES_MIN_PEOPLE": 10,
    # Capacity-gap reports and the fund calculator (docs/reports.md).
    "REPORT_DEFAULT_AREA_TYPE": "ward",
    "REPORT_PRIORITY_WEIGHTS": {
        "demand": 0.35,
        "unmet": 0.25,
        "waitlist": 0.15,
        "scarcity": 0.15,
        "trend": 0.10,
    },
    "REPORT_SUPPRESS_BELOW": 5,
    "REPORT_SPLIT_TOP": 5,
    "REPORT_PG_WORK_MEM": "64MB",
    "FUND_PER_HEAD_PENCE": 90,
    "FUND_BASE_YEAR": 2025,
    # September CPI (ONS, annual rate %) by year; the cpi_index table overrides these.
    "FUND_CPI_SEPTEMBER": {2024: 1.7, 2025: 3.8},
    "FUND_CPI_ASSUMED": 2.0,
    # Kite mark (docs/kitemark.md): evidence folder (relative: inside the instance folder),
    # largest evidence file, award length, reminder lead time.
    "KITEMARK_EVIDENCE_DIR": "kitemark-evidence",
    "KITEMARK_EVIDENCE_MAX_BYTES": 5 * 1024 * 1024,
    "KITEMARK_VALID_MONTHS": 12,
    "KITEMARK_REMIND_DAYS": 30,
    # Notifications (docs/notifications.md): no MAIL_SERVER = emails stay in the outbox.
    "BASE_URL": None,
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_FROM": "spdirectory@localhost",
    "MAIL_TIMEOUT_SECONDS": 20,
    "MAIL_MAX_ATTEMPTS": 6,
    "MAIL_RETRY_BASE_SECONDS": 60,
    "MAIL_RETRY_MAX_SECONDS": 6 * 3600,
    "REFERRAL_RESPONSE_WORKING_DAYS": 3,
}

ENV_VARS = (
    "DATABASE_URL",
    "ELASTICSEARCH_URL",
    "SECRET_KEY",
    # Notifications; strings here, parsed where used (spdirectory/notifications/delivery.py).
    "BASE_URL",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USE_SSL",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_FROM",
    "REFERRAL_RESPONSE_WORKING_DAYS",
)


def load_config(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    """Fill app.config from defaults, SPDIRECTORY_CONFIG, the environment and then overrides."""
    app.config.update(DEFAULTS)
    config_file = os.environ.get("SPDIRECTORY_CONFIG")
    if config_file:
        _load_file(app, Path(config_file))
    for name in ENV_VARS:
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    if os.environ.get("SESSION_COOKIE_SECURE", "").lower() in {"1", "true", "yes"}:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    if overrides:
        app.config.update(overrides)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = "sqlite:///" + str(Path(app.instance_path) / "spdirectory.db")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["DATABASE_URL"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))


def normalise_database_url(url: str) -> str:
    """Accept the postgres:// and postgresql:// forms hosting platforms hand out; use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _load_file(app: Flask, path: Path) -> None:
    if not path.is_file():
        raise RuntimeError(f"SPDIRECTORY_CONFIG points at {path}, which is not a file")
    if path.suffix == ".toml":
        with path.open("rb") as fh:
            app.config.update({k.upper(): v for k, v in tomllib.load(fh).items()})
    else:
        app.config.from_pyfile(str(path))


def _instance_secret(instance: Path) -> str:
    """A random key made once per installation, so sessions survive restarts without a constant."""
    key_file = instance / "secret_key"
    try:
        # Created owner-only from the start (O_EXCL: two workers starting together agree).
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    return key_file.read_text().strip()
