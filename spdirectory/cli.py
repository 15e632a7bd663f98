"""The `spdirectory` command group (also `flask --app spdirectory …`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from .extensions import db
from .search.cli import search_group


def main() -> None:
    cli = FlaskGroup(create_app=_create_app, help="spdirectory: social prescribing directory")
    cli.main(prog_name="spdirectory")


def _create_app() -> Flask:
    from . import create_app

    return create_app()


def init_commands(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(import_command)
    app.cli.add_command(users)
    app.cli.add_command(search_group)
    from .referrals.cli import referrals_group

    app.cli.add_command(referrals_group)
    from .reports.cli import areas_group

    app.cli.add_command(areas_group)
    from .openreferral.feed import import_feed_command

    app.cli.add_command(import_feed_command)
    from .kitemark.cli import kitemark_group

    app.cli.add_command(kitemark_group)
    from .notifications.cli import notifications_group

    app.cli.add_command(notifications_group)


def _fail(message: str) -> NoReturn:
    raise click.ClickException(message)


def upgrade_database() -> None:
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare the database only.")
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Create or upgrade the database, load demo data if it is empty, and serve."""
    from .demo.loader import DEMO_PASSWORD, demo_accounts, load_demo
    from .directory.models import Activity

    upgrade_database()
    if db.session.scalar(select(db.func.count(Activity.id))) == 0:
        click.echo("Loading the demo data set…")
        summary = load_demo(seed=current_app.config["DEMO_SEED"])
        click.echo(summary)
    click.echo(f"\nDemo accounts (password for all: {DEMO_PASSWORD}):")
    for email, role in demo_accounts():
        click.echo(f"  {role:<12} {email}")
    if no_serve:
        return
    click.echo(f"\nServing on http://{host}:{port}  (Ctrl+C to stop)")
    # Not app.run(): Flask ignores it inside a `flask`/`spdirectory` CLI command.
    from werkzeug.serving import run_simple

    run_simple(host, port, current_app._get_current_object(), threaded=True)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", default=None, help="Import source name (default: csv).")
@click.option(
    "--as",
    "as_email",
    default=None,
    help="Record changes as this user (kite marks honoured for admins).",
)
@with_appcontext
def import_command(file: Path, source: str | None, as_email: str | None) -> None:
    """Import activities from a CSV file (or Open Referral JSON)."""
    from .accounts.models import User
    from .audit import acting_as

    user = None
    if as_email:
        user = db.session.execute(
            select(User).where(User.email == as_email.strip().lower())
        ).scalar_one_or_none()
        if user is None:
            _fail(f"No user with email {as_email}")
    # The command line is the operator's: kite marks are honoured unless a non-admin is named.
    honour = user is None or user.role == "admin"
    suffix = file.suffix.lower()
    with acting_as(user, label=None if user else f"import {file.name}"):
        if suffix == ".csv":
            report = _import_csv_file(file, source or "csv", honour)
        elif suffix in {".json", ".ndjson"}:
            from .openreferral.importer import import_file_command

            import_file_command(file, source)  # prints its own errors and summary
            return
        else:
            _fail(f"{file.name}: import takes a .csv file (or Open Referral .json / .ndjson)")
            return
    for error in report.errors:
        click.echo(f"row {error.row}: {error.reason}", err=True)
    click.echo(report.summary())
    if report.errors:
        sys.exit(1)


def _import_csv_file(file: Path, source: str, honour_kite_mark: bool) -> Any:
    from tqdm import tqdm

    from .directory.importer import ImportFileError, count_rows, import_csv

    try:
        with file.open(encoding="utf-8-sig", newline="") as fh:
            total = count_rows(fh)
        with (
            file.open(encoding="utf-8-sig", newline="") as fh,
            tqdm(total=total, unit="row", disable=not sys.stderr.isatty()) as bar,
        ):
            return import_csv(
                fh, source=source, honour_kite_mark=honour_kite_mark, progress=bar.update
            )
    except UnicodeDecodeError:
        _fail(f"{file.name} is not UTF-8 text; save it as CSV UTF-8")
    except ImportFileError as exc:
        _fail(f"{file.name}: {exc}")


@click.group("users")
def users() -> None:
    """Manage user accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "link_worker", "provider", "panel", "reviewer"]),
)
@click.option("--organisation", default=None, help="Organisation name (providers).")
@click.option("--password", default=None, help="Prompted for when not given.")
@click.option("--name", default="")
@with_appcontext
def create_user(
    email: str, role: str, organisation: str | None, password: str | None, name: str
) -> None:
    """Create a user (or update role, organisation and password of an existing one)."""
    from email_validator import EmailNotValidError, validate_email

    from .accounts.models import User
    from .audit import acting_as
    from .directory.models import Organisation

    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        _fail(f"Invalid email address: {exc}")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        _fail("The password must have at least 10 characters")
    org = None
    organisation = (organisation or "").strip() or None
    if organisation:
        org = db.session.execute(
            select(Organisation).where(db.func.lower(Organisation.name) == organisation.lower())
        ).scalar_one_or_none()
        if org is None:
            org = Organisation(name=organisation)
            db.session.add(org)
    elif role == "provider":
        _fail("A provider needs --organisation")
    with acting_as(label="cli users create"):
        user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        created = user is None
        if user is None:
            user = User(email=email)
            db.session.add(user)
        elif user.role == "admin" and user.active and role != "admin":
            from .admin.views import LAST_ADMIN_DEMOTE, _active_admin_ids

            if not _active_admin_ids(lock=True) - {user.id}:
                db.session.rollback()
                _fail(LAST_ADMIN_DEMOTE)
        user.role = role
        user.name = name or user.name or ""
        user.organisation = org
        user.set_password(password)
        db.session.commit()
    click.echo(f"{'Created' if created else 'Updated'} {role} {email}")


@users.command("token")
@click.argument("email")
@with_appcontext
def user_token(email: str) -> None:
    """Print a new API token for the user with EMAIL."""
    from .accounts.models import ApiToken, User

    user = db.session.execute(
        select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()
    if user is None:
        _fail(f"No user with email {email}")
    row, token = ApiToken.issue(user)
    db.session.add(row)
    db.session.commit()
    click.echo(token)
