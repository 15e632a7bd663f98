"""A durable queue of activity ids whose external search index entries are out of date.

An external backend (Elasticsearch) is told about changes after the commit; when it cannot
be reached the ids land here, in the same database as the data, and are indexed later
(`spdirectory search process-queue`, or the backend itself once it is reachable again).

Rows are only ever added and deleted by id, never updated: the same activity may be queued
twice (both rows go once it is indexed), and a row added while a batch is being indexed is
left for the next batch. There is deliberately no foreign key to activity: a deleted
activity must still be queued, so that it leaves the index.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Column, Engine, Integer, Table, delete, func, insert, select

from ..db_types import UTCDateTime, utcnow
from ..extensions import db

search_queue = Table(
    "search_queue",
    db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("activity_id", Integer, nullable=False),
    Column("queued_at", UTCDateTime, nullable=False, default=utcnow),
)

# SQLite waits up to this long (busy_timeout) when another connection holds the write lock
# while queued rows are removed during a search; rows left behind are simply indexed again.
_SHORT_LOCK_WAIT_MS = 250
_NORMAL_LOCK_WAIT_MS = 10_000  # as spdirectory/sqlite.py sets for every connection


def push(engine: Engine, activity_ids: Iterable[int]) -> None:
    """Queue these activities (on a connection of its own: this runs after the commit)."""
    now = utcnow()
    rows = [{"activity_id": int(i), "queued_at": now} for i in sorted(set(activity_ids))]
    if rows:
        with engine.begin() as connection:
            connection.execute(insert(search_queue), rows)


def pending(
    engine: Engine, limit: int, after: int = 0, up_to: int | None = None
) -> list[tuple[int, int]]:
    """The oldest queued rows with a row id above `after` (and at most `up_to`), as
    (row id, activity id)."""
    stmt = select(search_queue.c.id, search_queue.c.activity_id).where(search_queue.c.id > after)
    if up_to is not None:
        stmt = stmt.where(search_queue.c.id <= up_to)
    with engine.connect() as connection:
        rows = connection.execute(stmt.order_by(search_queue.c.id).limit(limit)).all()
    return [(row.id, row.activity_id) for row in rows]


def remove(engine: Engine, row_ids: list[int], *, short_wait: bool = False) -> None:
    """Delete these queue rows (by row id, so rows queued meanwhile stay)."""
    if not row_ids:
        return
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite and short_wait:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={_SHORT_LOCK_WAIT_MS}")
        try:
            connection.execute(delete(search_queue).where(search_queue.c.id.in_(row_ids)))
            connection.commit()
        finally:
            if sqlite and short_wait:
                connection.rollback()
                connection.exec_driver_sql(f"PRAGMA busy_timeout={_NORMAL_LOCK_WAIT_MS}")
                connection.commit()


def last_id(engine: Engine) -> int:
    """The highest row id queued now (0 when the queue is empty)."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.max(search_queue.c.id))).scalar() or 0)


def length(engine: Engine) -> int:
    """How many rows are queued (an activity queued twice counts twice)."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(search_queue)).scalar())


def queued_ids(engine: Engine) -> set[int]:
    """The distinct activity ids waiting to be indexed."""
    with engine.connect() as connection:
        return set(connection.execute(select(search_queue.c.activity_id).distinct()).scalars())
