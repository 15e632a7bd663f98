"""The database search backend: SQLite FTS5 (BM25) or PostgreSQL full text (tsvector + GIN),
with filters and facets on the bit-mask columns of search_document and a bounding-box
pre-filter for distance.

Index writes happen inside the caller's transaction (see sync.py), so a saved change is
searchable as soon as it is committed.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    and_,
    bindparam,
    cast,
    column,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    table,
    text,
)

from .. import vocab
from ..dbapi import plain_rows
from ..extensions import db
from ..geo import KM_PER_DEGREE_LAT, KM_PER_DEGREE_LON_EQUATOR, bounding_box, distance_km
from .base import SearchBackend, SearchHit, SearchQuery, SearchResults, Suggestion
from .columns import Columns, current_columns
from .documents import Document, load_documents
from .models import search_document as doc
from .models import search_suggestion as suggestion_table
from .text import query_terms, words
from .vocab_bits import FACETS, bit, codes, mask

# Text relevance is damped by distance: score / (1 + (d / scale)²), so a good match 5 km
# away keeps half its weight.
DISTANCE_SCALE_KM = 5.0
FTS_WEIGHTS = "10.0, 4.0, 1.0, 3.0"  # title, organisation, body, tags
BATCH = 2000
# Spare places, then an open waitlist, then full: the order of a search with neither text
# nor a place. Must match ix_search_document_listing_order (migration 0012) character for
# character in meaning; SQLite only uses an expression index for the same expression.
LISTING_RANK = literal_column(
    "(CASE WHEN search_document.spare_places > 0 THEN 0"
    " WHEN search_document.waitlist_open THEN 1 ELSE 2 END)"
)


def fold(text: str) -> str:
    """Text without accents ("Café" → "Cafe"), for PostgreSQL's full text, which (unlike
    FTS5's unicode61 tokenizer) keeps them: a search for "cafe" must find "Memory Café"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _pg_tsquery(concepts: list[tuple[str, ...]]) -> str:
    parts = []
    for alternatives in concepts:
        options = []
        for alt in alternatives:
            # Split at apostrophes as PostgreSQL's parser does with the documents: "men's
            # shed" is men, s, shed (to_tsquery turns the stop word "s" into a gap, <2>).
            tokens = fold(alt).replace("'", " ").split()
            if tokens:
                options.append("(" + " <-> ".join(tokens) + ")")
        if options:
            parts.append("(" + " | ".join(options) + ")")
    return " & ".join(parts)


def _fts5_query(concepts: list[tuple[str, ...]]) -> str:
    parts = []
    for alternatives in concepts:
        options = ['"' + alt.replace('"', "") + '"' for alt in alternatives]
        parts.append("(" + " OR ".join(options) + ")")
    return " AND ".join(parts)


class DatabaseBackend(SearchBackend):
    name = "database"

    # ---- writing ---------------------------------------------------------------------
    def index(self, activity_ids: Iterable[int]) -> None:
        write_documents(db.session.connection(), list(activity_ids))

    def rebuild(self) -> int:
        connection = db.session.connection()
        dialect = connection.dialect.name
        connection.execute(delete(doc))
        if dialect == "sqlite":
            connection.execute(text("DELETE FROM search_fts"))
        count = 0
        batch: list[Document] = []
        for document in load_documents(connection):
            batch.append(document)
            if len(batch) >= BATCH:
                count += _insert(connection, batch)
                batch = []
        count += _insert(connection, batch)
        if dialect == "sqlite":
            # A new token: every process reloads its columns, so the removal log can go.
            connection.execute(text("DELETE FROM search_removal"))
            connection.execute(
                text("UPDATE search_revision SET token = lower(hex(randomblob(8))) WHERE id = 1")
            )
        db.session.commit()
        return count

    # ---- reading ---------------------------------------------------------------------
    def _filters(self, query: SearchQuery) -> list[ColumnElement[bool]]:
        c = doc.c
        where: list[ColumnElement[bool]] = []
        if query.categories:
            where.append(c.category_mask.op("&")(mask("category", query.categories)) != 0)
        if query.needs:
            where.append(c.need_mask.op("&")(mask("need", query.needs)) != 0)
        if query.mode:
            where.append(c.mode_mask.op("&")(bit("mode", query.mode)) != 0)
        if query.day:
            where.append(c.day_mask.op("&")(bit("day", query.day)) != 0)
        if query.kite_mark:
            where.append(c.kite_mark == query.kite_mark)
        if query.available:
            where.append(or_(c.spare_places > 0, c.waitlist_open.is_(True)))
        if query.free:
            where.append(c.cost_pence == 0)
        if query.organisation_id:
            where.append(c.organisation_id == query.organisation_id)
        if query.near and query.within_km is not None:
            lat, lon = query.near
            min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, query.within_km)
            where += [
                c.latitude.between(min_lat, max_lat),
                c.longitude.between(min_lon, max_lon),
                self._distance2(query) <= query.within_km**2,
            ]
        return where

    @staticmethod
    def _distance2(query: SearchQuery) -> Any:
        """Squared distance in km² (equirectangular: plain arithmetic, exact enough within
        a region, and needs no maths functions in the database)."""
        assert query.near is not None
        lat, lon = query.near
        kx = KM_PER_DEGREE_LON_EQUATOR * math.cos(math.radians(lat))
        dy = (doc.c.latitude - lat) * KM_PER_DEGREE_LAT
        dx = (doc.c.longitude - lon) * kx
        return dy * dy + dx * dx

    def search(self, query: SearchQuery) -> SearchResults:
        connection = db.session.connection()
        dialect = connection.dialect.name
        concepts = query_terms(query.text) if query.text.strip() else []
        if current_app.config.get("SEARCH_MEMORY_COLUMNS", True):
            columns = current_columns(connection)
            if columns is not None:
                return self._search_columns(connection, columns, query, concepts)
        where = self._filters(query)
        source: Any = doc
        relevance: Any = None
        params: dict[str, Any] = {}
        if concepts:
            if dialect == "sqlite":
                source = _with_fts()
                where.append(text("search_fts MATCH :fts"))
                params["fts"] = _fts5_query(concepts)
                relevance = -literal_column(f"bm25(search_fts, {FTS_WEIGHTS})")
            else:
                tsquery = func.to_tsquery(literal_column("'english'::regconfig"), bindparam("tsq"))
                tsv = literal_column("search_document.tsv")
                where.append(tsv.op("@@")(tsquery))
                params["tsq"] = _pg_tsquery(concepts)
                relevance = func.ts_rank_cd(tsv, tsquery)
        condition = and_(*where) if where else None

        def base(*columns: Any) -> Any:
            stmt = select(*columns).select_from(source)
            return stmt.where(condition) if condition is not None else stmt

        total, facets = self._count_and_facets(connection, base, params, query.with_facets)
        d2 = self._distance2(query) if query.near else None
        score: Any
        if relevance is not None and d2 is not None:
            # No place (online or phone only): no distance, so nothing to damp.
            score = relevance / (1.0 + func.coalesce(d2, 0.0) / DISTANCE_SCALE_KM**2)
        elif relevance is not None:
            score = relevance
        else:
            score = literal_column("0.0")
        order: list[Any]
        # Activities without a place sort after every distance (NULLs sort first on SQLite
        # and last on PostgreSQL unless told).
        kind = result_order(query, has_text=relevance is not None)
        if kind == "distance":
            assert d2 is not None  # "distance" needs `near`
            order = [doc.c.latitude.is_(None), d2.asc()]
        elif kind == "updated":
            order = [doc.c.capacity_updated_at.desc()]
        elif kind == "relevance":
            order = [score.desc()]
        else:
            # Literal SQL, the same as the expression index of migration 0012, so the first
            # page is read from that index rather than sorted out of every matching row.
            order = [LISTING_RANK, doc.c.capacity_updated_at.desc()]
        order.append(doc.c.activity_id)
        page = max(query.page, 1)
        rows = connection.execute(
            base(doc.c.activity_id, score.label("score"), doc.c.latitude, doc.c.longitude)
            .order_by(*order)
            .limit(query.per_page)
            .offset((page - 1) * query.per_page),
            params,
        ).all()
        hits = []
        for row in rows:
            distance = None
            if query.near and row.latitude is not None:
                distance = distance_km(query.near[0], query.near[1], row.latitude, row.longitude)
            hits.append(SearchHit(row.activity_id, float(row.score or 0.0), distance))
        return SearchResults(total=total, hits=hits, facets=facets, backend=self.name)

    @staticmethod
    def _count_and_facets(
        connection: Connection, base: Any, params: dict[str, Any], with_facets: bool
    ) -> tuple[int, dict[str, dict[str, int]]]:
        if not with_facets:
            return int(connection.execute(base(func.count()), params).scalar_one()), {}
        # One GROUP BY on the four masks packed into one integer, and the kite mark: a few
        # thousand groups at most, whose bits are counted here. About half the database's
        # time of summing ~40 CASE expressions over every matching row (docs/performance.md).
        key = literal_column("0")
        for facet, mask_column in _PACKED:
            # As BIGINT: PostgreSQL shifts an INTEGER within 32 bits.
            shifted = cast(mask_column, BigInteger).op("<<")(literal_column(str(_SHIFT[facet])))
            key = key.op("|")(shifted)
        total = 0
        by_field: dict[str, dict[int, int]] = {facet: {} for facet, _ in _PACKED}
        kite_marks: dict[str, int] = {}
        for packed, kite_mark, n in connection.execute(
            base(key.label("key"), doc.c.kite_mark, func.count()).group_by(
                literal_column("1"), doc.c.kite_mark
            ),
            params,
        ):
            total += n
            # Per distinct mask first (tens of them), bits after: few operations per group.
            for facet, shift, field in _FIELDS:
                seen = by_field[facet]
                bits = (packed >> shift) & field
                seen[bits] = seen.get(bits, 0) + n
            kite_marks[kite_mark] = kite_marks.get(kite_mark, 0) + n
        counts: dict[str, dict[str, int]] = {}
        for facet, _, _ in _FIELDS:
            facet_counts = counts.setdefault(facet, {})
            for bits, n in by_field[facet].items():
                for code in _codes_of(facet, bits):
                    facet_counts[code] = facet_counts.get(code, 0) + n
        counts["kite_mark"] = kite_marks
        return total, ordered_facets(counts)

    def _search_columns(
        self,
        connection: Connection,
        columns: Columns,
        query: SearchQuery,
        concepts: list[tuple[str, ...]],
    ) -> SearchResults:
        """The same answer as the SQL below, from the in-memory columns (columns.py)."""
        matches = None
        if concepts:
            # Relevance only for rows that pass the filters: ranking every match of a common
            # word nationally costs more than the filters save (the arrays filter again).
            relevance = -literal_column(f"bm25(search_fts, {FTS_WEIGHTS})")
            filters = self._filters(query)
            if filters:
                stmt = (
                    select(doc.c.activity_id, relevance)
                    .select_from(_with_fts())
                    .where(text("search_fts MATCH :fts"), *filters)
                )
            else:  # the full-text table alone (joined, SQLite would scan the index first)
                stmt = (
                    select(fts_table.c.rowid, relevance)
                    .select_from(fts_table)
                    .where(text("search_fts MATCH :fts"))
                )
            rows = plain_rows(connection, stmt, {"fts": _fts5_query(concepts)})
            found = np.array(rows, dtype=np.float64).reshape(-1, 2)
            matches = (found[:, 0].astype(np.int64), found[:, 1])
        order = result_order(query, has_text=bool(concepts))
        offset = (max(query.page, 1) - 1) * query.per_page
        with columns.lock:
            chosen = columns.select(query, matches, order, offset + query.per_page)
            ids = chosen.ids[offset:]
            latitudes, longitudes = columns.latitude[ids], columns.longitude[ids]
        scores = chosen.scores[offset:] if chosen.scores is not None else np.zeros(len(ids))
        hits = []
        for activity_id, score, lat, lon in zip(ids, scores, latitudes, longitudes, strict=True):
            distance = None
            if query.near and not math.isnan(lat):
                distance = distance_km(query.near[0], query.near[1], float(lat), float(lon))
            hits.append(SearchHit(int(activity_id), float(score), distance))
        facets = ordered_facets(chosen.counts) if query.with_facets else {}
        return SearchResults(total=chosen.total, hits=hits, facets=facets, backend=self.name)

    def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        terms = words(prefix)
        if not terms:
            return []
        found: list[Suggestion] = []
        for code, label in vocab.CATEGORIES.items():
            label_words = words(label)
            if any(w.startswith(terms[-1]) for w in label_words) and all(
                any(w.startswith(t) for w in label_words) for t in terms
            ):
                found.append(Suggestion(label, "category", code))
        connection = db.session.connection()
        per_kind = max(limit, 5)
        for kind in ("activity", "organisation"):
            for value in self._prefix_matches(connection, kind, terms, per_kind):
                found.append(
                    Suggestion(value, kind, value)  # type: ignore[arg-type]
                )
        # Categories first (short, broad), then titles, then organisations; no duplicates.
        seen: set[tuple[str, str]] = set()
        unique = []
        for s in found:
            key = (s.type, s.label.lower())
            if key not in seen:
                seen.add(key)
                unique.append(s)
        return unique[:limit]

    @staticmethod
    def _prefix_matches(
        connection: Connection, kind: str, terms: list[str], limit: int
    ) -> list[str]:
        """Distinct values in which every term starts a word. LIKE on the stored text on
        both databases: an FTS5 prefix query matches stemmed tokens, so "walkin" (not a
        prefix of the stem "walk") found nothing while the user was still typing."""
        s = suggestion_table
        conditions = []
        for term in terms:
            t = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            # `words` has a space before every word start (see models.py): the same matches
            # as testing the start of the text, and after " ", "-" and "(", in one LIKE.
            conditions.append(s.c.words.like(f"% {t}%", escape="\\"))
        # The distinct values (kept by triggers, see models.py), shortest first: the scan
        # follows ix_search_suggestion_order and stops at the first `limit` matches.
        rows = connection.execute(
            select(s.c.value)
            .where(s.c.kind == kind, and_(*conditions))
            .order_by(s.c.value_length, s.c.value)
            .limit(limit)
        ).scalars()
        return list(rows)


# Facet masks packed into one integer for the facet GROUP BY: each mask gets as many bits
# as its vocabulary has codes (vocabularies only grow; 37 of 63 bits are used today).
_PACKED = (
    ("category", doc.c.category_mask),
    ("need", doc.c.need_mask),
    ("mode", doc.c.mode_mask),
    ("day", doc.c.day_mask),
)
_SHIFT: dict[str, int] = {}
_FIELD_MASK: dict[str, int] = {}
_offset = 0
for _facet, _ in _PACKED:
    _SHIFT[_facet] = _offset
    _FIELD_MASK[_facet] = (1 << len(FACETS[_facet])) - 1
    _offset += len(FACETS[_facet])
assert _offset <= 62, "facet vocabularies outgrew one 64-bit key"
_FIELDS = [(f, _SHIFT[f], _FIELD_MASK[f]) for f, _ in _PACKED]
_FACET_ORDER = [(f, list(FACETS[f])) for f, _ in _PACKED] + [("kite_mark", list(vocab.KITE_MARK))]


def result_order(query: SearchQuery, *, has_text: bool) -> str:
    """How results are ordered, the same on both paths: "distance", "updated",
    "relevance" or "listing" (spare places, then an open waitlist, then full)."""
    if query.sort == "distance" and query.near:
        return "distance"
    if query.sort == "updated":
        return "updated"
    if has_text:
        return "relevance"
    return "distance" if query.near else "listing"


def ordered_facets(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Facets in FACET order, codes in vocabulary order then by count; empty ones left out."""
    facets: dict[str, dict[str, int]] = {}
    for facet, codes_in_order in _FACET_ORDER:
        found = counts.get(facet)
        if found:
            ordered = {c: found[c] for c in codes_in_order if found.get(c)}
            if ordered:
                facets[facet] = dict(sorted(ordered.items(), key=lambda kv: -kv[1]))
    return facets


@lru_cache(maxsize=4096)
def _codes_of(facet: str, bits: int) -> tuple[str, ...]:
    return tuple(codes(facet, bits))


# The SQLite FTS5 table, made by the migration (rowid = activity id).
fts_table = table("search_fts", column("rowid"), column("rank"))


def _with_fts() -> Any:
    return doc.join(fts_table, fts_table.c.rowid == doc.c.activity_id)


def _insert(connection: Connection, documents: list[Document]) -> int:
    if not documents:
        return 0
    connection.execute(insert(doc), [d.row for d in documents])
    if connection.dialect.name == "sqlite":
        connection.execute(
            text(
                "INSERT INTO search_fts (rowid, title, organisation, body, tags) "
                "VALUES (:id, :title, :organisation, :body, :tags)"
            ),
            [
                {
                    "id": d.row["activity_id"],
                    "title": d.row["title"],
                    "organisation": d.row["organisation"],
                    "body": d.description,
                    "tags": f"{d.category_labels} {d.need_labels}",
                }
                for d in documents
            ],
        )
    else:
        connection.execute(
            text(
                "UPDATE search_document SET tsv = "
                "setweight(to_tsvector('english', :title), 'A') || "
                "setweight(to_tsvector('english', :organisation), 'B') || "
                "setweight(to_tsvector('english', :tags), 'B') || "
                "setweight(to_tsvector('english', :body), 'C') "
                "WHERE activity_id = :id"
            ),
            [
                {
                    "id": d.row["activity_id"],
                    "title": fold(d.row["title"]),
                    "organisation": fold(d.row["organisation"]),
                    "body": fold(d.description),
                    "tags": fold(f"{d.category_labels} {d.need_labels}"),
                }
                for d in documents
            ],
        )
    return len(documents)


def write_documents(connection: Connection, activity_ids: list[int]) -> None:
    """Replace the index entries of these activities (inside the current transaction)."""
    for start in range(0, len(activity_ids), BATCH):
        ids = activity_ids[start : start + BATCH]
        connection.execute(delete(doc).where(doc.c.activity_id.in_(ids)))
        if connection.dialect.name == "sqlite":
            connection.execute(
                text("DELETE FROM search_fts WHERE rowid IN :ids").bindparams(
                    bindparam("ids", expanding=True)
                ),
                {"ids": ids},
            )
        _insert(connection, list(load_documents(connection, ids)))
