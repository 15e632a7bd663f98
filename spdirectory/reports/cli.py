"""`spdirectory areas import FILE.csv`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..audit import acting_as
from ..extensions import db


@click.group("areas")
def areas_group() -> None:
    """Areas for capacity-gap reports and the fund calculator."""


@areas_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_command(file: Path) -> None:
    """Import or update areas from a CSV file (code, name, type, parent_code, population,
    need_weight, postcode_districts)."""
    from .areas import AreaFileError, import_areas_csv

    if file.suffix.lower() != ".csv":
        raise click.ClickException(f"{file.name}: areas are imported from a .csv file")
    try:
        with (
            acting_as(label=f"areas import {file.name}"),
            file.open(encoding="utf-8-sig", newline="") as fh,
        ):
            report = import_areas_csv(fh)
            db.session.commit()
    except UnicodeDecodeError:
        db.session.rollback()
        raise click.ClickException(f"{file.name} is not UTF-8 text; save it as CSV UTF-8") from None
    except AreaFileError as exc:
        db.session.rollback()
        raise click.ClickException(f"{file.name}: {exc}") from None
    for error in report.errors:
        click.echo(f"row {error.row} ({error.code or 'no code'}): {error.reason}", err=True)
    click.echo(report.summary())
    if report.errors:
        sys.exit(1)


@areas_group.command("refresh-demand")
@with_appcontext
def refresh_demand_command() -> None:
    """Rebuild the monthly demand summary the reports read (after loading referrals, unmet
    needs or searches with SQL or bulk inserts, which it cannot see)."""
    from .summary import rebuild

    rows = rebuild()
    db.session.commit()
    click.echo(f"Demand summary rebuilt: {rows} rows (month × district × category).")
