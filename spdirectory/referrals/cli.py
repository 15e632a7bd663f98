"""`spdirectory referrals …` commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..audit import acting_as


@click.group("referrals")
def referrals_group() -> None:
    """Referrals: data protection housekeeping."""


@referrals_group.command("purge")
@click.option(
    "--older-than",
    "older_than",
    required=True,
    help="Anonymise referrals closed longer ago than this: 24m (months), 2y, 90d or 12w.",
)
@click.option("--dry-run", is_flag=True, help="Only count what would be anonymised.")
@with_appcontext
def purge_command(older_than: str, dry_run: bool) -> None:
    """Anonymise closed referrals: remove the reference, summary, contact details and notes;
    keep the codes and dates that reports use. Emails about them in the outbox are deleted
    once sent or failed, and redacted while still queued."""
    from sqlalchemy import func, select

    from ..db_types import utcnow
    from ..extensions import db
    from ..notifications.models import OutboxEmail
    from ..notifications.referrals import ref_column
    from .models import Referral
    from .services import parse_age, purge, purgeable

    try:
        age = parse_age(older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from None
    if dry_run:
        cutoff = utcnow() - age
        count = db.session.scalar(select(func.count(Referral.id)).where(purgeable(cutoff)))
        emails = db.session.scalar(
            select(func.count(OutboxEmail.id))
            .join(Referral, OutboxEmail.ref == ref_column(Referral.id))
            .where(purgeable(cutoff))
        )
        click.echo(
            f"{count} closed referral(s) would be anonymised, "
            f"with {emails} email(s) about them in the outbox."
        )
        return
    with acting_as(None, label="referrals purge"):
        result = purge(age)
    click.echo(
        f"Anonymised {result.referrals} closed referral(s) closed more than {older_than} ago."
    )
    click.echo(
        f"Outbox: deleted {result.emails_deleted} sent or failed email(s) about anonymised "
        f"referrals, redacted the client reference in {result.emails_redacted} queued."
    )
