"""Small factories for test data. Each returns a flushed object in the current session."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from spdirectory.accounts.models import ApiToken, User
from spdirectory.db_types import utcnow
from spdirectory.directory.listing import apply_listing, parse_listing
from spdirectory.directory.models import Activity, Organisation
from spdirectory.extensions import db

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def organisation(name: str | None = None, **kwargs: Any) -> Organisation:
    org = Organisation(name=name or f"Organisation {next(_seq)}", **kwargs)
    db.session.add(org)
    db.session.flush()
    return org


def user(
    role: str = "link_worker",
    email: str | None = None,
    organisation: Organisation | None = None,
    password: str = PASSWORD,
    **kwargs: Any,
) -> User:
    if role == "provider" and organisation is None:
        organisation = globals()["organisation"]()
    person = User(
        email=email or f"{role}{next(_seq)}@example.org",
        role=role,
        organisation=organisation,
        **kwargs,
    )
    person.set_password(password)
    db.session.add(person)
    db.session.flush()
    return person


def token(person: User) -> str:
    row, value = ApiToken.issue(person)
    db.session.add(row)
    db.session.flush()
    return value


def activity(
    organisation: Organisation | None = None,
    *,
    capacity_updated_at: datetime | None = None,
    status: str = "published",
    **fields: Any,
) -> Activity:
    """An activity from raw listing fields (CSV names), validated like any other listing."""
    raw = {
        "title": f"Activity {next(_seq)}",
        "categories": "walking",
        "needs": "loneliness",
        "postcode": "LS1 1AZ",
        "schedule": "Tue 10:00-11:00",
        "capacity": "10",
        "spare_places": "3",
        "cost": "free",
    }
    raw.update(fields)
    clean = parse_listing(raw)
    item = Activity(organisation=organisation or globals()["organisation"](), status=status)
    apply_listing(item, clean)
    if "kite_mark" in fields:
        item.kite_mark = fields["kite_mark"]
    item.capacity_updated_at = capacity_updated_at or utcnow()
    db.session.add(item)
    db.session.flush()
    return item


def days_ago(days: int) -> datetime:
    return utcnow() - timedelta(days=days)


def commit() -> None:
    db.session.commit()
