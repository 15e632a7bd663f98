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
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    case,
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
from ..extensions import db
from ..geo import bounding_box, distance_km
from .base import SearchBackend, SearchHit, SearchQuery, SearchResults, Suggestion
from .documents import Document, load_documents
from .models import search_document as doc
from .text import query_terms, words
from .vocab_bits import FACETS, bit, mask

KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_EQUATOR = 111.320
# Text relevance is damped by distance: score / (1 + (d / scale)²), so a good match 5 km
# away keeps half its weight.
DISTANCE_SCALE_KM = 5.0
FTS_WEIGHTS = "10.0, 4.0, 1.0, 3.0"  # title, organisation, body, tags
BATCH = 2000


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
        by_distance = [doc.c.latitude.is_(None), d2.asc()] if d2 is not None else []
        if query.sort == "distance" and d2 is not None:
            order = by_distance
        elif query.sort == "updated":
            order = [doc.c.capacity_updated_at.desc()]
        elif relevance is not None:
            order = [score.desc()]
        elif d2 is not None:
            order = by_distance
        else:
            order = [
                case((doc.c.spare_places > 0, 0), (doc.c.waitlist_open.is_(True), 1), else_=2),
                doc.c.capacity_updated_at.desc(),
            ]
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
        columns: list[Any] = [func.count().label("total")]
        keys: list[tuple[str, str]] = []
        if with_facets:
            for facet, mask_column in (
                ("category", doc.c.category_mask),
                ("need", doc.c.need_mask),
                ("mode", doc.c.mode_mask),
                ("day", doc.c.day_mask),
            ):
                for i, code in enumerate(FACETS[facet]):
                    # Literal bits (not parameters): one short statement, typed alike everywhere.
                    has_bit = mask_column.op("&")(literal_column(str(1 << i))) != 0
                    columns.append(func.sum(case((has_bit, 1), else_=0)))
                    keys.append((facet, code))
            for code in vocab.KITE_MARK:
                columns.append(func.sum(case((doc.c.kite_mark == code, 1), else_=0)))
                keys.append(("kite_mark", code))
        row = connection.execute(base(*columns), params).one()
        facets: dict[str, dict[str, int]] = {}
        if with_facets:
            for (facet, code), value in zip(keys, row[1:], strict=True):
                if value:
                    facets.setdefault(facet, {})[code] = int(value)
            facets = {
                name: dict(sorted(counts.items(), key=lambda kv: -kv[1]))
                for name, counts in facets.items()
            }
        return int(row[0]), facets

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
        for kind, text_column in (("activity", doc.c.title), ("organisation", doc.c.organisation)):
            for value in self._prefix_matches(connection, text_column, terms, per_kind):
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
        connection: Connection, text_column: Any, terms: list[str], limit: int
    ) -> list[str]:
        """Distinct values in which every term starts a word. LIKE on the stored text on
        both databases: an FTS5 prefix query matches stemmed tokens, so "walkin" (not a
        prefix of the stem "walk") found nothing while the user was still typing."""
        lowered = func.lower(text_column)
        conditions = []
        for term in terms:
            t = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(
                or_(
                    lowered.like(f"{t}%", escape="\\"),
                    lowered.like(f"% {t}%", escape="\\"),
                    lowered.like(f"%-{t}%", escape="\\"),
                    lowered.like(f"%({t}%", escape="\\"),
                )
            )
        rows = connection.execute(
            select(text_column)
            .where(and_(*conditions))
            .group_by(text_column)
            .order_by(func.length(text_column), text_column)
            .limit(limit)
        ).scalars()
        return list(rows)


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
