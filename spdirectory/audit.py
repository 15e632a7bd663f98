"""Audit trail: every insert, update and delete of an audited model is recorded in the same
transaction, with who did it and the old → new values.

Models opt in with the `Audited` mixin. Rows are written with Core inserts in `after_flush`
so that recording never triggers another ORM flush.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from flask import has_request_context
from sqlalchemy import JSON, ForeignKey, Index, String, and_, event, insert, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db_types import UTCDateTime, utcnow
from .extensions import db

_actor: contextvars.ContextVar[tuple[int | None, str] | None] = contextvars.ContextVar(
    "audit_actor", default=None
)


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[int] = mapped_column()
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Audited:
    """Mixin: changes to this model are audited. Override to leave noisy columns out."""

    audit_exclude: frozenset[str] = frozenset({"updated_at"})


@contextmanager
def acting_as(user: Any | None = None, label: str | None = None) -> Iterator[None]:
    """Attribute changes made outside a request (CLI, jobs) to a user or a described actor."""
    actor = (getattr(user, "id", None), label or getattr(user, "email", None) or "system")
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> tuple[int | None, str]:
    explicit = _actor.get()
    if explicit is not None:
        return explicit
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user.id, current_user.email
        return None, "anonymous"
    return None, "system"


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# session.info key: old values read from the database in before_flush (see below).
_OLD_VALUES = "audit_old_values"


@event.listens_for(Session, "before_flush")
def _read_unloaded_old_values(session: Session, flush_context: Any, instances: Any) -> None:
    """A column set on an expired object (say, after a commit) has no old value in its
    history, so the audit would say None → new. Read those from the row, which still holds
    them until this flush writes."""
    remembered: dict[Any, dict[str, Any]] = {}
    session.info[_OLD_VALUES] = remembered
    for obj in session.dirty:
        if not isinstance(obj, Audited):
            continue
        state = inspect(obj)
        if state.key is None:
            continue
        attrs = []
        for attr in state.mapper.column_attrs:
            hist = state.attrs[attr.key].history
            if attr.key not in obj.audit_exclude and hist.added and not hist.deleted:
                attrs.append(attr)
        if not attrs:
            continue
        where = and_(
            *(c == v for c, v in zip(state.mapper.primary_key, state.identity, strict=True))
        )
        row = (
            session.connection()
            .execute(select(*(attr.columns[0] for attr in attrs)).where(where))
            .first()
        )
        if row is not None:
            remembered[state] = {attr.key: value for attr, value in zip(attrs, row, strict=True)}


def _column_changes(obj: Any, action: str, old_values: dict[str, Any]) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in obj.audit_exclude:
            continue
        if action == "create":
            value = getattr(obj, key)
            if value not in (None, "", []):
                changes[key] = [None, _jsonable(value)]
        elif action == "delete":
            changes[key] = [_jsonable(getattr(obj, key)), None]
        elif (hist := state.attrs[key].history).has_changes():
            old = hist.deleted[0] if hist.deleted else old_values.get(key)
            new = hist.added[0] if hist.added else None
            if old != new:
                changes[key] = [_jsonable(old), _jsonable(new)]
    return changes


@event.listens_for(Session, "after_flush")
def _record_audit(session: Session, flush_context: Any) -> None:
    rows = []
    old_values = session.info.pop(_OLD_VALUES, None) or {}
    user_id, actor = current_actor()
    now = utcnow()
    for action, objects in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            if not isinstance(obj, Audited):
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _column_changes(obj, action, old_values.get(inspect(obj), {}))
            if action == "update" and not changes:
                continue
            rows.append(
                {
                    "at": now,
                    "user_id": user_id,
                    "actor": actor[:200],
                    "action": action,
                    "entity": obj.__tablename__,
                    "entity_id": obj.id,
                    "changes": changes,
                }
            )
    if rows:
        session.connection().execute(insert(AuditEvent), rows)
