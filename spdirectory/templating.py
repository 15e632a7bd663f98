"""Jinja helpers: vocabulary labels, dates, money."""

from __future__ import annotations

from datetime import datetime

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


def money(pence: int | None) -> str:
    if pence is None:
        return "Cost not given"
    if pence == 0:
        return "Free"
    return f"£{pence / 100:.2f}"


def init_templating(app: Flask) -> None:
    app.jinja_env.globals.update(
        vocab=vocab,
        label=vocab.label,
        stale_after_days=lambda: current_app.config["STALE_AFTER_DAYS"],
        now=utcnow,
    )
    app.jinja_env.filters.update(days_ago=days_ago, money=money)
    app.jinja_env.filters["date"] = lambda d, fmt="%-d %B %Y": d.strftime(fmt) if d else ""
