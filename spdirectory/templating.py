"""Jinja helpers: vocabulary labels, dates, money."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from . import vocab
from .db_types import utcnow


def days_ago(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    days = (utcnow() - moment).days
    if days <= 0:
        return "today"
    if days == 1:
        return "1 day ago"
    return f"{days} days ago"


LONDON = ZoneInfo("Europe/London")


def show_date(moment: date | datetime | None, fmt: str = "%-d %B %Y") -> str:
    """A date as people in England read it: times stored in UTC are shown on London's
    calendar (00:30 BST on a Saturday is Saturday, not Friday)."""
    if not moment:
        return ""
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        moment = moment.astimezone(LONDON)
    return moment.strftime(fmt)


def money(pence: int | None) -> str:
    if pence is None:
        return "Cost not given"
    if pence == 0:
        return "Free"
    return f"£{pence / 100:.2f}"


def age_range(activity: object) -> str:
    low, high = getattr(activity, "age_min", None), getattr(activity, "age_max", None)
    if low is None and high is None:
        return "All ages"
    if high is None:
        return f"{low} and over"
    if low is None:
        return f"Up to {high}"
    return f"{low} to {high}"


def language_name(code: str) -> str:
    import pycountry

    lang = pycountry.languages.get(alpha_2=code) or pycountry.languages.get(alpha_3=code)
    return lang.name if lang else code


def combine_page(args: dict[str, list[str]], page: int | None) -> dict[str, object]:
    """Query arguments for another page of the same listing."""
    return {**args, "page": page}


def init_templating(app: Flask) -> None:
    app.jinja_env.globals.update(
        vocab=vocab,
        label=vocab.label,
        stale_after_days=lambda: current_app.config["STALE_AFTER_DAYS"],
        now=utcnow,
    )
    app.jinja_env.filters.update(
        days_ago=days_ago,
        money=money,
        age_range=age_range,
        language_name=language_name,
        combine_page=combine_page,
        vocab_need=lambda c: vocab.label(vocab.NEEDS, c),
        vocab_category=lambda c: vocab.label(vocab.CATEGORIES, c),
        vocab_mode=lambda c: vocab.label(vocab.MODES, c),
        vocab_route=lambda c: vocab.label(vocab.REFERRAL_ROUTES, c),
    )
    app.jinja_env.filters["date"] = show_date
