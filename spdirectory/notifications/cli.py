"""`spdirectory notifications …`: cron commands that send the outbox and overdue reminders."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from ..audit import acting_as


def _parse_now(value: str | None) -> datetime | None:
    """--now for tests and catch-up runs: ISO 8601; a time without a zone is UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(
            f"“{value}” is not a date and time: use ISO 8601, like 2026-12-29T09:00",
            param_hint="--now",
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


NOW_OPTION = click.option(
    "--now", "now_text", default=None, help="Act as if it were this time (ISO 8601, UTC)."
)


@click.group("notifications")
def notifications_group() -> None:
    """Email notifications: deliver the outbox, remind about overdue referrals."""


def _send(now: datetime | None, limit: int) -> bool:
    from .delivery import MailConfigError, send_due

    try:
        report = send_due(now=now, limit=limit)
    except MailConfigError as exc:
        raise click.ClickException(str(exc)) from None
    for error in report.errors:
        click.echo(error, err=True)
    click.echo(report.summary())
    return not report.errors


def _remind(now: datetime | None) -> None:
    from .referrals import remind_overdue

    with acting_as(None, label="notifications remind"):
        count = remind_overdue(now=now)
    click.echo(f"Overdue reminders queued for {count} referral(s).")


@notifications_group.command("send")
@NOW_OPTION
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 10000))
@with_appcontext
def send_command(now_text: str | None, limit: int) -> None:
    """Deliver due queued emails through MAIL_SERVER (without one they stay in the outbox).
    Exits 1 when some could not be delivered this time (they are retried later)."""
    if not _send(_parse_now(now_text), limit):
        sys.exit(1)


@notifications_group.command("remind")
@NOW_OPTION
@with_appcontext
def remind_command(now_text: str | None) -> None:
    """Queue one reminder per overdue referral, to the provider and the link worker."""
    _remind(_parse_now(now_text))


@notifications_group.command("run")
@NOW_OPTION
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 10000))
@with_appcontext
def run_command(now_text: str | None, limit: int) -> None:
    """remind, then send: the single cron line."""
    now = _parse_now(now_text)
    _remind(now)
    if not _send(now, limit):
        sys.exit(1)
