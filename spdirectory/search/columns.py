"""The SQLite search index's filter columns held in memory (numpy), one copy per process.

Why: on SQLite a broad search (one category, "available", a day) matches tens of thousands
of rows, and counting its facets in SQL means sorting all of them (docs/performance.md).
Held as arrays indexed by activity id, filters, facet counts and the order of a page are a
few vectorised passes: milliseconds for 100,000 listings.

Always current: triggers (migration 0013) give every index row the revision at which it
was last written, log removed rows, and count revisions in `search_revision`, whose random
token changes whenever the table is recreated or the index rebuilt. Before each search
the process reads that one row; if it moved, it loads only the rows written and removed
since. SQLite has one writer at a time, so revisions commit in order and nothing can be
skipped. A connection with uncommitted writes of its own is answered in SQL instead (its
changes may still roll back). PostgreSQL always answers in SQL.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection

from .. import vocab
from ..geo import KM_PER_DEGREE_LAT, KM_PER_DEGREE_LON_EQUATOR, bounding_box
from .base import SearchQuery
from .vocab_bits import FACETS, bit, mask

_COLUMNS = (
    "activity_id, organisation_id, category_mask, need_mask, mode_mask, day_mask, "
    "kite_mark, spare_places, waitlist_open, cost_pence, latitude, longitude, "
    "capacity_updated_at"
)
_FACET_ARRAYS = (("category", "category"), ("need", "need"), ("mode", "mode"), ("day", "day"))


@dataclass
class Selection:
    """Matching activity ids in result order, with their scores and the facet counts."""

    ids: np.ndarray
    scores: np.ndarray | None
    total: int
    counts: dict[str, dict[str, int]]


class Columns:
    """The filter columns of every index row, as arrays indexed by activity id."""

    def __init__(self) -> None:
        self.token: str | None = None
        self.revision = -1
        self.lock = threading.Lock()
        self.kite_codes: list[str] = list(vocab.KITE_MARK)
        self._allocate(0)

    # ---- loading ---------------------------------------------------------------------
    # name → (dtype, value of an empty slot); one array of each, indexed by activity id.
    _SPEC: dict[str, tuple[Any, Any]] = {
        "alive": (bool, False),
        "organisation": (np.int64, 0),
        "category": (np.int64, 0),
        "need": (np.int64, 0),
        "mode": (np.int64, 0),
        "day": (np.int64, 0),
        "kite": (np.int16, 0),
        "spare": (np.int64, 0),
        "waitlist": (bool, False),
        "cost": (np.int64, -1),  # -1: unknown cost
        "latitude": (np.float64, np.nan),
        "longitude": (np.float64, np.nan),
        "updated": (np.int64, 0),  # microseconds since 1970
    }

    def _allocate(self, size: int) -> None:
        for name, (dtype, empty) in self._SPEC.items():
            setattr(self, name, np.full(size, empty, dtype=dtype))

    def _grow(self, size: int) -> None:
        old = len(self.alive)
        if size <= old:
            return
        size = max(size, old + old // 2, 1024)
        for name, (dtype, empty) in self._SPEC.items():
            grown = np.full(size, empty, dtype=dtype)
            grown[:old] = getattr(self, name)
            setattr(self, name, grown)

    def _kite_index(self, code: str) -> int:
        try:
            return self.kite_codes.index(code)
        except ValueError:
            self.kite_codes.append(code)
            return len(self.kite_codes) - 1

    def _store(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        self._grow(int(ids.max()) + 1)
        columns = list(zip(*rows, strict=True))
        self.alive[ids] = True
        self.organisation[ids] = columns[1]
        self.category[ids] = columns[2]
        self.need[ids] = columns[3]
        self.mode[ids] = columns[4]
        self.day[ids] = columns[5]
        self.kite[ids] = [self._kite_index(k) for k in columns[6]]
        self.spare[ids] = columns[7]
        self.waitlist[ids] = [bool(w) for w in columns[8]]
        self.cost[ids] = [-1 if c is None else c for c in columns[9]]
        self.latitude[ids] = [np.nan if v is None else v for v in columns[10]]
        self.longitude[ids] = [np.nan if v is None else v for v in columns[11]]
        # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (naive UTC), which numpy reads directly.
        self.updated[ids] = np.array(columns[12], dtype="datetime64[us]").astype(np.int64)

    def refresh(self, raw: Any, token: str, revision: int) -> None:
        """Bring the arrays to the index's current state (`raw`: a DB-API connection)."""
        if token != self.token:
            self._allocate(0)
            self._store(raw.execute(f"SELECT {_COLUMNS} FROM search_document").fetchall())
        elif revision != self.revision:
            # Removals first: a row removed and written again is in both, and stays.
            removed = [
                r[0]
                for r in raw.execute(
                    "SELECT activity_id FROM search_removal WHERE revision > ?", (self.revision,)
                )
            ]
            rows = raw.execute(
                f"SELECT {_COLUMNS} FROM search_document WHERE revision > ?", (self.revision,)
            ).fetchall()
            gone = np.array([i for i in removed if i < len(self.alive)], dtype=np.int64)
            if len(gone):
                self.alive[gone] = False
            self._store(rows)
        self.token, self.revision = token, revision

    # ---- reading ---------------------------------------------------------------------
    def select(
        self,
        query: SearchQuery,
        text_matches: tuple[np.ndarray, np.ndarray] | None,
        order: str,
        limit: int,
    ) -> Selection:
        """Ids of the matching activities, the first `limit` in result order.

        `text_matches`: (ids, relevance) from the full-text index, or None for no text.
        `order`: "relevance", "distance", "updated" or "listing" (database.result_order)."""
        if text_matches is not None:
            ids, relevance = text_matches
            inside = ids < len(self.alive)
            ids, relevance = ids[inside], relevance[inside]
            keep = self._matches(query, ids) & self.alive[ids]
            ids, relevance = ids[keep], relevance[keep]
        else:
            ids = np.flatnonzero(self._matches(query, slice(None)) & self.alive)
            relevance = None
        total = int(len(ids))
        counts = self._facet_counts(ids) if query.with_facets else {}
        d2 = self._distance2(query, ids) if query.near else None
        scores = None
        if relevance is not None:
            scores = relevance if d2 is None else relevance / (1.0 + np.nan_to_num(d2) / 25.0)
        if order == "distance":
            assert d2 is not None
            key = np.where(np.isnan(d2), np.inf, d2)
        elif order == "updated":
            key = -self.updated[ids]
        elif order == "relevance":
            assert scores is not None
            key = -scores
        else:  # listing: spare places, then an open waitlist, then full; newest first
            spare, waitlist = self.spare[ids] > 0, self.waitlist[ids]
            rank = np.where(spare, 0, np.where(waitlist, 1, 2)).astype(np.int64)
            key = rank * 10**17 - self.updated[ids]
        first = _first(key, ids, limit)
        return Selection(
            ids=ids[first],
            scores=None if scores is None else scores[first],
            total=total,
            counts=counts,
        )

    def _matches(self, query: SearchQuery, at: Any) -> np.ndarray:
        keep = np.ones(len(self.alive[at]), dtype=bool)
        if query.categories:
            keep &= (self.category[at] & mask("category", query.categories)) != 0
        if query.needs:
            keep &= (self.need[at] & mask("need", query.needs)) != 0
        if query.mode:
            keep &= (self.mode[at] & bit("mode", query.mode)) != 0
        if query.day:
            keep &= (self.day[at] & bit("day", query.day)) != 0
        if query.kite_mark:
            known = query.kite_mark in self.kite_codes
            keep &= self.kite[at] == (self.kite_codes.index(query.kite_mark) if known else -1)
        if query.available:
            keep &= (self.spare[at] > 0) | self.waitlist[at]
        if query.free:
            keep &= self.cost[at] == 0
        if query.organisation_id:
            keep &= self.organisation[at] == query.organisation_id
        if query.near and query.within_km is not None:
            lat, lon = query.near
            min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, query.within_km)
            latitude, longitude = self.latitude[at], self.longitude[at]
            with np.errstate(invalid="ignore"):
                keep &= (latitude >= min_lat) & (latitude <= max_lat)
                keep &= (longitude >= min_lon) & (longitude <= max_lon)
                keep &= _distance2(lat, lon, latitude, longitude) <= query.within_km**2
        return keep

    def _distance2(self, query: SearchQuery, ids: np.ndarray) -> np.ndarray:
        assert query.near is not None
        return _distance2(query.near[0], query.near[1], self.latitude[ids], self.longitude[ids])

    def _facet_counts(self, ids: np.ndarray) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for facet, name in _FACET_ARRAYS:
            values = getattr(self, name)[ids]
            found = {}
            for i, code in enumerate(FACETS[facet]):
                n = int(np.count_nonzero(values & (1 << i)))
                if n:
                    found[code] = n
            counts[facet] = found
        kites = np.bincount(self.kite[ids], minlength=len(self.kite_codes))
        pairs = zip(self.kite_codes, kites[: len(self.kite_codes)], strict=True)
        counts["kite_mark"] = {c: int(n) for c, n in pairs if n}
        return counts


def _distance2(lat: float, lon: float, latitude: np.ndarray, longitude: np.ndarray) -> Any:
    """Squared km², with the same arithmetic in the same order as the SQL path."""
    kx = KM_PER_DEGREE_LON_EQUATOR * np.cos(np.radians(lat))
    dy = (latitude - lat) * KM_PER_DEGREE_LAT
    dx = (longitude - lon) * kx
    return dy * dy + dx * dx


def _first(key: np.ndarray, ids: np.ndarray, limit: int) -> np.ndarray:
    """Positions of the `limit` smallest (key, id) pairs, in order; exact with ties."""
    if limit <= 0 or not len(key):
        return np.zeros(0, dtype=np.int64)
    if limit < len(key):
        kth = np.partition(key, limit - 1)[limit - 1]
        candidates = np.flatnonzero(key <= kth)
    else:
        candidates = np.arange(len(key))
    ordered = candidates[np.lexsort((ids[candidates], key[candidates]))]
    return ordered[:limit]


_CACHE: dict[str, Columns] = {}
_CACHE_LOCK = threading.Lock()


def current_columns(connection: Connection) -> Columns | None:
    """This process's columns for the connection's SQLite database, brought up to date;
    None when SQL must answer (PostgreSQL, an older schema, uncommitted index writes)."""
    if connection.dialect.name != "sqlite":
        return None
    raw = connection.connection.dbapi_connection
    if raw is None or raw.in_transaction:
        return None  # this connection's own writes may still roll back
    try:
        row = raw.execute("SELECT token, n FROM search_revision WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        return None  # no such table: a schema before migration 0013
    # No row yet (emptied tables): recreated with a new token by the next index write.
    token, revision = (row[0], int(row[1])) if row else ("", 0)
    key = str(connection.engine.url)
    with _CACHE_LOCK:
        columns = _CACHE.setdefault(key, Columns())
    with columns.lock:
        if columns.token != token or columns.revision < revision:
            columns.refresh(raw, token, revision)
    return columns


def forget(urls: Iterable[str] | None = None) -> None:
    """Drop cached columns (all, or for these database URLs)."""
    with _CACHE_LOCK:
        for key in list(_CACHE) if urls is None else list(urls):
            _CACHE.pop(key, None)
