"""`spdirectory kitemark …`: expiry and renewal reminders (for cron), and the questionnaire."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..audit import acting_as


def _parse_today(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"“{value}” is not a date like 2027-03-31") from None


TODAY_OPTION = click.option(
    "--today",
    "today_text",
    metavar="YYYY-MM-DD",
    help="Act as if today were this date (default: today, UTC).",
)


@click.group("kitemark")
def kitemark_group() -> None:
    """Kite mark: expire lapsed awards, send renewal reminders, manage the questionnaire."""


def _expire(on: date | None) -> int:
    from ..extensions import db
    from .services import expire

    with acting_as(None, label="kitemark expire"):
        changed = expire(on)
        db.session.commit()
    return len(changed)


def _remind(on: date | None, days: int | None) -> int:
    from ..extensions import db
    from .services import remind

    with acting_as(None, label="kitemark remind"):
        reminded = remind(on, days)
        db.session.commit()
    return len(reminded)


@kitemark_group.command("expire")
@TODAY_OPTION
@with_appcontext
def expire_command(today_text: str | None) -> None:
    """Mark kite marks whose valid-until date has passed as expired (and their listings)."""
    count = _expire(_parse_today(today_text))
    click.echo(f"Expired {count} kite mark(s).")


@kitemark_group.command("remind")
@TODAY_OPTION
@click.option("--days", type=click.IntRange(min=0), help="Days ahead (default 30).")
@with_appcontext
def remind_command(today_text: str | None, days: int | None) -> None:
    """Queue a renewal reminder for kite marks running out soon (once per award)."""
    count = _remind(_parse_today(today_text), days)
    click.echo(f"Reminded {count} organisation(s).")


@kitemark_group.command("run")
@TODAY_OPTION
@with_appcontext
def run_command(today_text: str | None) -> None:
    """Expire, then remind: the one command to run daily from cron."""
    on = _parse_today(today_text)
    expired = _expire(on)
    reminded = _remind(on, None)
    click.echo(f"Expired {expired} kite mark(s). Reminded {reminded} organisation(s).")


@kitemark_group.command("adopt")
@with_appcontext
def adopt_command() -> None:
    """Create award records for organisations whose listings were imported with a kite-mark
    status (all the same, not none) and that have no record yet."""
    from ..extensions import db
    from .demo import adopt_listing_statuses

    with acting_as(None, label="kitemark adopt"):
        adopted = adopt_listing_statuses()
        db.session.commit()
    click.echo(f"Recorded the kite-mark status of {len(adopted)} organisation(s).")


@kitemark_group.group("questions")
def questions_group() -> None:
    """The questionnaire (JSON: a list of {code, text, hint, kind, evidence, caps_validity})."""


@questions_group.command("export")
@with_appcontext
def export_command() -> None:
    """Print the active questionnaire as JSON (edit it, then import it)."""
    from ..extensions import db
    from .questionnaire import export_questions

    questions = export_questions()
    db.session.commit()  # the default set, when this is the first use
    click.echo(json.dumps(questions, indent=2, ensure_ascii=False))


@questions_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_command(file: Path) -> None:
    """Make the questionnaire exactly FILE's questions: update by code, add new, retire the
    rest (answers to retired questions are kept)."""
    from ..extensions import db
    from .questionnaire import QuestionFileError, import_questions, parse_questions

    try:
        specs = parse_questions(file.read_text(encoding="utf-8"))
    except (QuestionFileError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    with acting_as(None, label="kitemark questions import"):
        added, updated, retired = import_questions(specs)
        db.session.commit()
    click.echo(f"Questionnaire: {added} added, {updated} updated, {retired} retired.")
