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
    keep the codes and dates that reports use."""
    from sqlalchemy import func, select

    from ..db_types import utcnow
    from ..extensions import db
    from .models import CLOSED_STATUSES, Referral
    from .services import parse_age, purge

    try:
        age = parse_age(older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from None
    if dry_run:
        count = db.session.scalar(
            select(func.count(Referral.id)).where(
                Referral.status.in_(CLOSED_STATUSES),
                Referral.closed_at < utcnow() - age,
                Referral.anonymised_at.is_(None),
            )
        )
        click.echo(f"{count} closed referral(s) would be anonymised.")
        return
    with acting_as(None, label="referrals purge"):
        count = purge(age)
    click.echo(f"Anonymised {count} closed referral(s) closed more than {older_than} ago.")
