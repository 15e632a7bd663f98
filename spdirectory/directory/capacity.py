"""Spare capacity: updates that are safe under concurrency, staleness, and history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from ..audit import current_actor
from ..db_types import utcnow
from ..extensions import db
from .models import Activity, CapacityChange

CAPACITY_FIELDS = ("capacity", "spare_places", "waitlist_open", "capacity_updated_at")


class CapacityError(ValueError):
    def __init__(self, message: str, field: str = "spare_places") -> None:
        super().__init__(message)
        self.field = field


def validate_capacity(capacity: int | None, spare_places: int | None) -> None:
    if spare_places is None:
        raise CapacityError("Enter the number of spare places (0 if full)")
    if spare_places < 0:
        raise CapacityError("Spare places cannot be negative")
    if capacity is not None and capacity < 0:
        raise CapacityError("Places per week cannot be negative", field="capacity")
    if capacity is not None and spare_places > capacity:
        raise CapacityError(
            f"Spare places ({spare_places}) cannot be more than places per week ({capacity})"
        )


def lock_activity(activity_id: int) -> Activity | None:
    """Load an activity with a row lock (PostgreSQL) so concurrent updates serialise."""
    return db.session.execute(
        select(Activity).where(Activity.id == activity_id).with_for_update()
    ).scalar_one_or_none()


def update_capacity(
    activity: Activity,
    *,
    spare_places: int,
    waitlist_open: bool | None = None,
    capacity: int | None = None,
    reason: str = "quick_update",
    now: datetime | None = None,
) -> Activity:
    """Set spare places (and optionally waitlist, capacity); also confirms the listing is current.

    The caller commits. Pass an activity loaded with lock_activity() where requests may race.
    """
    new_capacity = activity.capacity if capacity is None else capacity
    validate_capacity(new_capacity, spare_places)
    activity.capacity = new_capacity
    activity.spare_places = spare_places
    if waitlist_open is not None:
        activity.waitlist_open = waitlist_open
    activity.capacity_updated_at = now or utcnow()
    activity.capacity_reason = reason  # type: ignore[attr-defined]
    return activity


def confirm_still_accurate(activity: Activity, now: datetime | None = None) -> Activity:
    activity.capacity_updated_at = now or utcnow()
    activity.capacity_reason = "confirm"  # type: ignore[attr-defined]
    return activity


@event.listens_for(Session, "after_flush")
def _record_capacity_history(session: Session, flush_context: Any) -> None:
    """Keep a CapacityChange for every new activity and every change of its capacity fields."""
    user_id, _ = current_actor()
    rows = []
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, Activity):
            continue
        state = inspect(obj)
        if obj not in session.new and not any(
            state.attrs[f].history.has_changes() for f in CAPACITY_FIELDS
        ):
            continue  # the reason stays for a later flush: an autoflush may come first
        rows.append(
            {
                "activity_id": obj.id,
                "at": obj.capacity_updated_at or utcnow(),
                "user_id": user_id,
                "capacity": obj.capacity,
                "spare_places": obj.spare_places,
                "waitlist_open": obj.waitlist_open,
                "reason": obj.__dict__.pop(
                    "capacity_reason", "create" if obj in session.new else "edit"
                ),
            }
        )
    if rows:
        session.connection().execute(insert(CapacityChange), rows)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_capacity_reasons(session: Session) -> None:
    """A reason left unused (nothing changed after all) must not label a later change."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Activity):
            obj.__dict__.pop("capacity_reason", None)
