"""Keep the search index in step with the database.

After every flush the touched activities' rows in the database index are rewritten on the
same connection, so they commit or roll back with the change. External backends
(Elasticsearch) are told after the commit, and never make a write fail (see
elasticsearch.py for their queue).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from ..directory.models import Activity, ActivitySession, Organisation
from .database import write_documents

PENDING = "search_pending"
COMMITTED = "search_committed"

# Organisation columns that appear in search documents.
_ORGANISATION_FIELDS = ("name",)


def _touched(session: Session) -> set[int]:
    ids: set[int] = set()
    org_ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Activity):
            ids.add(obj.id)
        elif isinstance(obj, ActivitySession):
            activity_id = obj.activity_id or (obj.activity.id if obj.activity else None)
            if activity_id:
                ids.add(activity_id)
        elif isinstance(obj, Organisation) and obj not in session.new:
            state = inspect(obj)
            if any(state.attrs[f].history.has_changes() for f in _ORGANISATION_FIELDS):
                org_ids.add(obj.id)
    if org_ids:
        ids.update(
            session.connection()
            .execute(select(Activity.id).where(Activity.organisation_id.in_(org_ids)))
            .scalars()
        )
    ids.discard(None)  # type: ignore[arg-type]
    return ids


@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context: Any) -> None:
    ids = _touched(session)
    if ids:
        session.info.setdefault(PENDING, set()).update(ids)


@event.listens_for(Session, "after_flush_postexec")
def _write_database_index(session: Session, flush_context: Any) -> None:
    ids = session.info.pop(PENDING, None)
    if not ids:
        return
    write_documents(session.connection(), sorted(ids))
    session.info.setdefault(COMMITTED, set()).update(ids)


@event.listens_for(Session, "after_commit")
def _notify_external(session: Session) -> None:
    ids = session.info.pop(COMMITTED, None)
    if ids:
        from . import external_index_changed

        external_index_changed(ids)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(COMMITTED, None)
