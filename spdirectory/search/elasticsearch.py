"""The Elasticsearch search backend (used when ELASTICSEARCH_URL is set).

The database stays the source of truth, and its own search index (database.py) is always
written in the same transaction as the data. Elasticsearch is told after the commit:

- Writes never fail because of Elasticsearch. `enqueue()` (called after each commit by
  sync.py) indexes the changed activities at once with a short timeout; on any error the ids
  go to the durable `search_queue` table (queue.py) and are indexed later by
  `process_queue()`: at the start of a search once Elasticsearch answers again (throttled),
  or by `spdirectory search process-queue`.
- Reads never fail because of Elasticsearch. When it cannot be reached, `search()` and
  `suggest()` answer from the database backend, with a plain-English notice, and a circuit
  breaker keeps requests off Elasticsearch for a while so none waits for a timeout.
- The live index is the alias `<prefix>-activities`. `rebuild()` fills a new timestamped
  index from the database, swaps the alias atomically, catches up with changes made while
  it ran, and deletes the old index: searches carry on throughout.

Query semantics follow the database backend exactly: the query text is split into concepts
by text.query_terms() (synonyms from data/synonyms.txt, stop and filler words), every
concept must match and any one of its alternatives will do. Expanding synonyms here, not in
Elasticsearch, keeps both backends in step and means an edit to the synonyms file takes
effect without a reindex. The index settings also carry the synonyms in a search-time
`synonym_graph` filter on every text field, for anyone querying the index directly (Kibana,
reports); that copy is refreshed by `spdirectory search reindex`. Our own queries name the
analyzer without synonyms so nothing is expanded twice. See docs/search.md.

The request bodies are built by pure functions (index_settings, index_mappings,
document_source, search_body, suggest_body) and responses are read by pure functions
(parse_search_response, parse_facets), so all of it is tested without a server.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .. import vocab
from ..extensions import db
from ..geo import distance_km
from . import queue
from .base import SearchBackend, SearchHit, SearchQuery, SearchResults, Suggestion
from .database import DISTANCE_SCALE_KM, DatabaseBackend, fold
from .documents import Document, load_documents
from .text import STOP_WORDS, query_terms, synonym_groups, words

log = logging.getLogger(__name__)

REDUCED_MODE_NOTICE = (
    "Search is running in reduced mode: the main search service is not answering just now, "
    "so these results come straight from the directory's database. They are complete and "
    "up to date, but may be ordered a little differently."
)

ALIAS_SUFFIX = "-activities"
# Analyzers defined in index_settings().
ANALYZER = "spd_english"  # indexing, and our own queries
SYNONYM_ANALYZER = "spd_english_synonyms"  # the fields' default search analyzer
WORDS_ANALYZER = "spd_words"  # the .words sub-fields that suggestions match prefixes on
# Field weights as the database backend's FTS_WEIGHTS: title, organisation, body, tags.
TEXT_FIELDS = ("title^10", "organisation^4", "tags^3", "description")
# Facet name (as in SearchResults.facets) → (index field, vocabulary in display order).
FACET_FIELDS: dict[str, tuple[str, dict[str, str]]] = {
    "category": ("categories", vocab.CATEGORIES),
    "need": ("needs", vocab.NEEDS),
    "mode": ("modes", vocab.MODES),
    "day": ("days", vocab.DAYS),
    "kite_mark": ("kite_mark", vocab.KITE_MARK),
}
MAX_RESULT_WINDOW = 10_000  # Elasticsearch's default index.max_result_window
BULK_CHUNK = 500
BULK_RETRIES = 3  # per chunk, for items rejected with 429 (too many requests)
QUEUE_BATCH = 500


# ---- index settings and documents --------------------------------------------------------


def index_settings() -> dict[str, Any]:
    """Settings for a new index: one shard (a directory is small, and one shard keeps scores
    and the suggestion ordering exact), a replica when there is a second node, and the
    analyzers."""
    return {
        "number_of_shards": 1,
        "auto_expand_replicas": "0-1",
        "analysis": {
            "filter": {
                "spd_possessive": {"type": "stemmer", "language": "possessive_english"},
                # PostgreSQL's English stop words, as text.py drops them from queries.
                "spd_stop": {"type": "stop", "stopwords": sorted(STOP_WORDS)},
                "spd_stemmer": {"type": "stemmer", "language": "english"},
                "spd_synonyms": {
                    "type": "synonym_graph",
                    "synonyms": [", ".join(group) for group in synonym_groups()],
                    # A rule the analyzer cannot parse is skipped, not fatal to the index.
                    "lenient": True,
                },
            },
            "analyzer": {
                ANALYZER: {
                    "type": "custom",
                    "tokenizer": "standard",
                    # asciifolding: "cafe" finds "Café", as on the database backend.
                    "filter": [
                        "spd_possessive",
                        "lowercase",
                        "asciifolding",
                        "spd_stop",
                        "spd_stemmer",
                    ],
                },
                SYNONYM_ANALYZER: {
                    "type": "custom",
                    "tokenizer": "standard",
                    # Synonyms before the stemmer: the rules are matched as written, never
                    # by stem ("care" must not become "carers").
                    "filter": [
                        "spd_possessive",
                        "lowercase",
                        "asciifolding",
                        "spd_stop",
                        "spd_synonyms",
                        "spd_stemmer",
                    ],
                },
                WORDS_ANALYZER: {
                    "type": "custom",
                    "tokenizer": "standard",
                    "filter": ["lowercase", "asciifolding"],
                },
            },
        },
    }


def _text_field(*, suggest: bool = False) -> dict[str, Any]:
    field: dict[str, Any] = {
        "type": "text",
        "analyzer": ANALYZER,
        "search_analyzer": SYNONYM_ANALYZER,
    }
    if suggest:
        field["fields"] = {
            # Distinct values for suggestions (a terms aggregation).
            "keyword": {"type": "keyword", "ignore_above": 512},
            # Whole words, unstemmed, with indexed prefixes: "walkin" finds "Walking".
            "words": {
                "type": "text",
                "analyzer": WORDS_ANALYZER,
                "index_prefixes": {"min_chars": 1, "max_chars": 10},
            },
        }
    return field


def index_mappings() -> dict[str, Any]:
    keyword = {"type": "keyword"}
    return {
        "dynamic": "strict",
        "properties": {
            "activity_id": {"type": "integer"},
            "organisation_id": {"type": "integer"},
            "title": _text_field(suggest=True),
            "title_length": {"type": "integer"},
            "organisation": _text_field(suggest=True),
            "organisation_length": {"type": "integer"},
            "description": _text_field(),
            "tags": _text_field(),  # category and need labels
            "categories": keyword,
            "needs": keyword,
            "modes": keyword,
            "days": keyword,
            "routes": keyword,
            "languages": keyword,
            "kite_mark": keyword,
            "postcode": keyword,
            "postcode_district": keyword,
            "spare_places": {"type": "integer"},
            "waitlist_open": {"type": "boolean"},
            # 0 spare places, 1 waiting list open, 2 neither: the browse order.
            "availability_rank": {"type": "byte"},
            "cost_pence": {"type": "integer"},
            "free": {"type": "boolean"},
            "age_min": {"type": "integer"},
            "age_max": {"type": "integer"},
            "wheelchair_accessible": {"type": "boolean"},
            "location": {"type": "geo_point"},
            # Nanoseconds: the database keeps microseconds, and "updated" must sort alike.
            "capacity_updated_at": {"type": "date_nanos"},
        },
    }


def _timestamp(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def document_source(document: Document) -> dict[str, Any]:
    """The Elasticsearch document for one published activity."""
    row = document.row
    spare = row["spare_places"] or 0
    waitlist = bool(row["waitlist_open"])
    source: dict[str, Any] = {
        "activity_id": row["activity_id"],
        "organisation_id": row["organisation_id"],
        "title": row["title"],
        "title_length": len(row["title"]),
        "organisation": row["organisation"],
        "organisation_length": len(row["organisation"]),
        "description": document.description,
        # One value per label, so a phrase cannot run from one label into the next.
        "tags": [vocab.label(vocab.CATEGORIES, c) for c in document.categories]
        + [vocab.label(vocab.NEEDS, c) for c in document.needs],
        "categories": list(document.categories),
        "needs": list(document.needs),
        "modes": list(document.modes),
        "days": list(document.days),
        "routes": list(document.routes),
        "languages": list(document.languages),
        "kite_mark": row["kite_mark"],
        "postcode": document.postcode,
        "postcode_district": row["postcode_district"],
        "spare_places": spare,
        "waitlist_open": waitlist,
        "availability_rank": 0 if spare > 0 else 1 if waitlist else 2,
        "cost_pence": row["cost_pence"],
        "free": row["cost_pence"] == 0,  # unknown cost is not free
        "age_min": row["age_min"],
        "age_max": row["age_max"],
        "wheelchair_accessible": row["wheelchair_accessible"],
        "capacity_updated_at": _timestamp(row["capacity_updated_at"]),
    }
    if row["latitude"] is not None and row["longitude"] is not None:
        source["location"] = {"lat": row["latitude"], "lon": row["longitude"]}
    return source


def _digest(source: dict[str, Any]) -> bytes:
    encoded = json.dumps(source, sort_keys=True, default=str).encode()
    return hashlib.blake2b(encoded, digest_size=16).digest()


# ---- search requests -----------------------------------------------------------------------


def concept_clause(alternatives: tuple[str, ...]) -> dict[str, Any]:
    """One concept: any of its alternatives, each a phrase in any text field."""
    options = [
        {
            "multi_match": {
                "query": alternative,
                "type": "phrase",
                "fields": list(TEXT_FIELDS),
                "analyzer": ANALYZER,
                # Mostly the best field's score; a match in several fields counts a little more.
                "tie_breaker": 0.3,
            }
        }
        for alternative in alternatives
    ]
    if len(options) == 1:
        return options[0]
    return {"bool": {"should": options, "minimum_should_match": 1}}


def _point(near: tuple[float, float]) -> dict[str, float]:
    return {"lat": float(near[0]), "lon": float(near[1])}


def filter_clauses(query: SearchQuery) -> list[dict[str, Any]]:
    """The filters of a query (no scoring), as database.DatabaseBackend._filters."""
    clauses: list[dict[str, Any]] = []
    if query.categories:
        clauses.append({"terms": {"categories": list(query.categories)}})
    if query.needs:
        clauses.append({"terms": {"needs": list(query.needs)}})
    if query.mode:
        clauses.append({"term": {"modes": query.mode}})
    if query.day:
        clauses.append({"term": {"days": query.day}})
    if query.kite_mark:
        clauses.append({"term": {"kite_mark": query.kite_mark}})
    if query.available:
        clauses.append(
            {
                "bool": {
                    "should": [
                        {"range": {"spare_places": {"gt": 0}}},
                        {"term": {"waitlist_open": True}},
                    ],
                    "minimum_should_match": 1,
                }
            }
        )
    if query.free:
        clauses.append({"term": {"free": True}})
    if query.organisation_id:
        clauses.append({"term": {"organisation_id": query.organisation_id}})
    if query.near and query.within_km is not None:
        if query.within_km < 0:
            clauses.append({"bool": {"must_not": [{"match_all": {}}]}})  # nothing is that near
        else:
            clauses.append(
                {
                    "geo_distance": {
                        # A zero radius is refused; a metre is "the same place".
                        "distance": f"{max(float(query.within_km), 0.001)}km",
                        "distance_type": "arc",
                        "location": _point(query.near),
                    }
                }
            )
    return clauses


def _distance_sort(near: tuple[float, float]) -> dict[str, Any]:
    # Documents without a location are infinitely far: they sort last, as on the database.
    return {
        "_geo_distance": {
            "location": _point(near),
            "order": "asc",
            "unit": "km",
            "distance_type": "arc",
        }
    }


def search_body(query: SearchQuery) -> dict[str, Any]:
    """The search request for a query: keys are those of the search API's body."""
    concepts = query_terms(query.text) if query.text.strip() else []
    filters = filter_clauses(query)
    boolean: dict[str, Any] = {}
    if concepts:
        boolean["must"] = [concept_clause(c) for c in concepts]
    if filters:
        boolean["filter"] = filters
    es_query: dict[str, Any] = {"bool": boolean} if boolean else {"match_all": {}}
    if concepts and query.near:
        # Damp relevance by distance: half the weight at DISTANCE_SCALE_KM, as the database
        # backend's score / (1 + (d / scale)²), though with an exponential tail. A document
        # without a location (online, phone) is not damped: decay functions return 1.
        es_query = {
            "function_score": {
                "query": es_query,
                "functions": [
                    {
                        "exp": {
                            "location": {
                                "origin": _point(query.near),
                                "scale": f"{DISTANCE_SCALE_KM}km",
                                "offset": "0km",
                                "decay": 0.5,
                            }
                        }
                    }
                ],
                "score_mode": "multiply",
                "boost_mode": "multiply",
            }
        }

    tiebreak = {"activity_id": "asc"}
    sort: list[Any]
    if query.sort == "distance" and query.near:
        sort = [_distance_sort(query.near), tiebreak]
    elif query.sort == "updated":
        sort = [{"capacity_updated_at": "desc"}, tiebreak]
    elif concepts:
        sort = [{"_score": "desc"}, tiebreak]
    elif query.near:
        sort = [_distance_sort(query.near), tiebreak]
    else:
        # Browsing: places free now, then open waiting lists, then the rest; freshest first.
        sort = [{"availability_rank": "asc"}, {"capacity_updated_at": "desc"}, tiebreak]

    page = max(query.page, 1)
    size = max(query.per_page, 0)
    start = (page - 1) * size
    if start >= MAX_RESULT_WINDOW:
        start, size = 0, 0  # past what Elasticsearch will page to: the total, no hits
    else:
        size = min(size, MAX_RESULT_WINDOW - start)

    body: dict[str, Any] = {
        "query": es_query,
        "sort": sort,
        "from": start,
        "size": size,
        "track_total_hits": True,
        "_source": ["activity_id", "location"],
    }
    if concepts:
        body["track_scores"] = True  # a score on every hit, whatever the sort
    if query.with_facets:
        body["aggs"] = {
            name: {"terms": {"field": field, "size": len(codes) + 20}}
            for name, (field, codes) in FACET_FIELDS.items()
        }
    return body


def request_kwargs(body: dict[str, Any]) -> dict[str, Any]:
    """A request body as keyword arguments of Elasticsearch.search() (clients 8 and 9)."""
    renamed = {"from": "from_", "_source": "source"}
    return {renamed.get(key, key): value for key, value in body.items()}


def _body(response: Any) -> Any:
    """The JSON body of a client response (ObjectApiResponse), or a plain dict as it is."""
    return getattr(response, "body", response)


def parse_facets(aggregations: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Facet counts from the terms aggregations: only known codes with a non-zero count,
    most frequent first and otherwise in vocabulary order (as the database backend)."""
    facets: dict[str, dict[str, int]] = {}
    for name, (_field, codes) in FACET_FIELDS.items():
        buckets = aggregations.get(name, {}).get("buckets", [])
        counts = {b["key"]: int(b["doc_count"]) for b in buckets if b.get("doc_count")}
        ordered = {code: counts[code] for code in codes if counts.get(code)}
        if ordered:
            facets[name] = dict(sorted(ordered.items(), key=lambda kv: -kv[1]))
    return facets


def parse_search_response(response: Any, query: SearchQuery) -> SearchResults:
    data = _body(response)
    hits_part = data["hits"]
    total = hits_part["total"]
    total = int(total["value"] if isinstance(total, dict) else total)
    hits = []
    for hit in hits_part["hits"]:
        source = hit.get("_source") or {}
        location = source.get("location")
        distance = None
        if query.near and location:
            # The same formula as the database backend, on the stored point.
            distance = distance_km(query.near[0], query.near[1], location["lat"], location["lon"])
        hits.append(
            SearchHit(int(source["activity_id"]), float(hit.get("_score") or 0.0), distance)
        )
    facets = parse_facets(data.get("aggregations") or {}) if query.with_facets else {}
    return SearchResults(total=total, hits=hits, facets=facets, backend="elasticsearch")


# ---- suggestions ---------------------------------------------------------------------------


def category_suggestions(terms: list[str]) -> list[Suggestion]:
    """Categories whose label has a word starting with each term (the last one included),
    as the database backend."""
    found = []
    for code, label in vocab.CATEGORIES.items():
        label_words = words(label)
        if any(w.startswith(terms[-1]) for w in label_words) and all(
            any(w.startswith(t) for w in label_words) for t in terms
        ):
            found.append(Suggestion(label, "category", code))
    return found


def suggest_body(terms: list[str], per_kind: int) -> dict[str, Any]:
    """Distinct titles and organisation names in which every term starts a word, shortest
    first, then alphabetical (as the database backend)."""

    def distinct_values(field: str) -> dict[str, Any]:
        prefixes = [{"prefix": {f"{field}.words": {"value": fold(t).lower()}}} for t in terms]
        return {
            "filter": {"bool": {"filter": prefixes}},
            "aggs": {
                "values": {
                    "terms": {
                        "field": f"{field}.keyword",
                        "size": per_kind,
                        "order": [{"length": "asc"}, {"_key": "asc"}],
                    },
                    "aggs": {"length": {"min": {"field": f"{field}_length"}}},
                }
            },
        }

    return {
        "size": 0,
        "track_total_hits": False,
        "aggs": {
            "activity": distinct_values("title"),
            "organisation": distinct_values("organisation"),
        },
    }


def parse_suggestions(response: Any) -> list[Suggestion]:
    aggregations = _body(response).get("aggregations") or {}
    found = []
    for kind in ("activity", "organisation"):
        for bucket in aggregations.get(kind, {}).get("values", {}).get("buckets", []):
            value = str(bucket["key"])
            found.append(Suggestion(value, kind, value))  # type: ignore[arg-type]
    return found


def _unique(suggestions: Iterable[Suggestion], limit: int) -> list[Suggestion]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for s in suggestions:
        key = (s.type, s.label.lower())
        if key not in seen:
            seen.add(key)
            unique.append(s)
    return unique[:limit]


# ---- errors --------------------------------------------------------------------------------


class IndexingError(RuntimeError):
    """Elasticsearch refused documents of a bulk request. `outage` when it refuses all
    writes for now (overloaded, or the alias is missing) rather than particular documents."""

    def __init__(self, message: str, *, outage: bool = False) -> None:
        super().__init__(message)
        self.outage = outage


def _is_outage(exc: BaseException) -> bool:
    """Whether an error means Elasticsearch cannot serve us for now (open the circuit
    breaker), rather than that one request was wrong."""
    from elasticsearch import ApiError, TransportError

    if isinstance(exc, TransportError):  # connection refused, timeout, TLS…
        return True
    if isinstance(exc, ApiError):
        if _version_mismatch(exc):
            return True
        return exc.status_code not in (400, 409, 413)
    return isinstance(exc, IndexingError) and exc.outage


def _version_mismatch(exc: BaseException) -> bool:
    text = str(exc)
    return any(s in text for s in ("compatible-with", "media-type", "media_type_header"))


def _describe(exc: BaseException) -> str:
    if _version_mismatch(exc):
        import elasticsearch

        major = elasticsearch.__versionstr__.split(".")[0]
        return (
            f"{exc} — the Python client is version {elasticsearch.__versionstr__}; it needs an "
            f"Elasticsearch {major}.x server (install elasticsearch>=8.12,<9 for an 8.x server)"
        )
    return f"{type(exc).__name__}: {exc}"


# ---- the backend ---------------------------------------------------------------------------


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"

    def __init__(
        self,
        url: str,
        index_prefix: str = "spdirectory",
        *,
        timeout: float = 3.0,
        write_timeout: float = 2.0,
        retry_after: float = 30.0,
        queue_check_interval: float = 10.0,
        client_options: dict[str, Any] | None = None,
        client: Any = None,
    ) -> None:
        self.url = url
        self.display_url = _redacted(url)  # for logs and status: no password
        self.alias = f"{index_prefix.lower()}{ALIAS_SUFFIX}"  # index names are lower case
        self.timeout = timeout
        self.write_timeout = write_timeout
        self.retry_after = retry_after
        self.queue_check_interval = queue_check_interval
        self.fallback = DatabaseBackend()
        self._client_options = dict(client_options or {})
        self._client = client
        self._down_until = 0.0  # monotonic time; the circuit breaker is open until then
        self._next_queue_check = 0.0
        self._queue_lock = threading.Lock()

    # ---- connection and health -----------------------------------------------------------
    @property
    def client(self) -> Any:
        """The Elasticsearch client, made on first use (making it does not connect)."""
        if self._client is None:
            from elasticsearch import Elasticsearch

            options = {"request_timeout": self.timeout, "max_retries": 0}
            options.update(self._client_options)
            self._client = Elasticsearch(self.url, **options)
        return self._client

    def _requests(self, timeout: float, **options: Any) -> Any:
        return self.client.options(request_timeout=timeout, **options)

    @property
    def healthy(self) -> bool:
        return time.monotonic() >= self._down_until

    def _succeeded(self) -> None:
        self._down_until = 0.0

    def _failed(self, action: str, exc: BaseException) -> None:
        if _is_outage(exc):
            if self.healthy:
                log.warning(
                    "Elasticsearch at %s failed during %s (%s); search uses the database "
                    "for the next %.0f s and index changes are queued",
                    self.display_url,
                    action,
                    _describe(exc),
                    self.retry_after,
                )
            self._down_until = time.monotonic() + self.retry_after
        else:
            log.error("Elasticsearch %s failed: %s", action, _describe(exc), exc_info=exc)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # ---- reading -------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResults:
        if self.healthy:
            self._maybe_process_queue()
        if not self.healthy:  # open, or just opened by the queue's attempt
            return self._fallback_search(query)
        try:
            response = self._requests(self.timeout).search(
                index=self.alias, **request_kwargs(search_body(query))
            )
            results = parse_search_response(response, query)
        except Exception as exc:  # any failure: the database answers instead
            self._failed("search", exc)
            return self._fallback_search(query)
        self._succeeded()
        return results

    def _fallback_search(self, query: SearchQuery) -> SearchResults:
        results = self.fallback.search(query)
        results.notice = REDUCED_MODE_NOTICE
        return results

    def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        terms = words(prefix)
        if not terms or limit <= 0:
            return []
        if not self.healthy:
            return self.fallback.suggest(prefix, limit)
        try:
            response = self._requests(self.timeout).search(
                index=self.alias, **request_kwargs(suggest_body(terms, max(limit, 5)))
            )
            values = parse_suggestions(response)
        except Exception as exc:
            self._failed("suggest", exc)
            return self.fallback.suggest(prefix, limit)
        self._succeeded()
        # Categories first (short, broad), then titles, then organisations; no duplicates.
        return _unique([*category_suggestions(terms), *values], limit)

    # ---- writing -------------------------------------------------------------------------
    def index(self, activity_ids: Iterable[int]) -> None:
        """Upsert or delete these activities in the live index now (raises on failure)."""
        ids = sorted(set(activity_ids))
        refused = self._write(ids, self.write_timeout) if ids else set()
        if refused:
            raise IndexingError(f"Elasticsearch refused activities {sorted(refused)}")

    def enqueue(self, activity_ids: Iterable[int]) -> None:
        """After a commit: index these activities now, or queue them. Never raises: the
        change is committed whatever happens here."""
        ids = sorted(set(activity_ids))
        if not ids:
            return
        try:
            if self.healthy:
                try:
                    refused = self._write(ids, self.write_timeout)
                except Exception as exc:
                    self._failed("indexing", exc)
                else:
                    if refused:
                        queue.push(db.engine, refused)
                    return
            queue.push(db.engine, ids)
        except Exception:
            log.exception("Could not index or queue search updates for activities %s", ids)

    def _write(self, ids: list[int], timeout: float) -> set[int]:
        """Bring these activities' documents in the live index in line with the database;
        returns the ids Elasticsearch refused (logged), raises when it refuses everything."""
        with db.engine.connect() as connection:
            sources = {
                d.row["activity_id"]: document_source(d) for d in load_documents(connection, ids)
            }
        operations: list[dict[str, Any]] = []
        for activity_id in ids:
            source = sources.get(activity_id)
            if source is None:  # unpublished or deleted
                operations.append({"delete": {"_id": str(activity_id)}})
            else:
                operations += [{"index": {"_id": str(activity_id)}}, source]
        # require_alias: never let a write create a concrete index under the alias's name.
        refused = self._bulk(
            self._requests(timeout), operations, index=self.alias, require_alias=True
        )
        if any(e.get("type") == "index_not_found_exception" for e in refused.values()):
            raise IndexingError(
                f"the index alias {self.alias} does not exist: run `spdirectory search reindex`",
                outage=True,
            )
        self._succeeded()
        if refused:
            first_id, first = next(iter(refused.items()))
            log.error(
                "Elasticsearch refused %d documents (activities %s); the first, %s: %s",
                len(refused),
                sorted(refused),
                first_id,
                first,
            )
        return set(refused)

    @staticmethod
    def _bulk(
        client: Any, operations: list[dict[str, Any]], **params: Any
    ) -> dict[int, dict[str, Any]]:
        """Send action/source pairs in one bulk request, retrying items refused with 429
        (too many requests). Returns activity id → error of the items refused for good;
        deleting a document that is not there is not an error."""
        refused: dict[int, dict[str, Any]] = {}
        for attempt in range(BULK_RETRIES + 1):
            response = _body(client.bulk(operations=operations, **params))
            if not response.get("errors"):
                return refused
            retry: list[dict[str, Any]] = []
            for (action, source), item in zip(_pairs(operations), response["items"], strict=True):
                result = next(iter(item.values()))
                if "error" not in result:
                    continue
                if result.get("status") == 429:
                    retry += [action] if source is None else [action, source]
                else:
                    error = result["error"]
                    refused[int(next(iter(action.values()))["_id"])] = (
                        error if isinstance(error, dict) else {"reason": str(error)}
                    )
            if not retry:
                return refused
            operations = retry
            if attempt < BULK_RETRIES:
                time.sleep(0.5 * 2**attempt)
        raise IndexingError(
            f"{len(_pairs(operations))} index operations still refused (429)", outage=True
        )

    def _bulk_strict(self, client: Any, operations: list[dict[str, Any]], index: str) -> None:
        """A bulk request of a rebuild: any refused document fails the rebuild (before the
        swap, the live index is untouched)."""
        refused = self._bulk(client, operations, index=index)
        if refused:
            first_id, first = next(iter(refused.items()))
            raise IndexingError(
                f"Elasticsearch refused {len(refused)} documents; activity {first_id}: {first}"
            )

    # ---- the queue -----------------------------------------------------------------------
    def _maybe_process_queue(self) -> None:
        """Catch up on queued changes at most every queue_check_interval seconds, from the
        request path; never fails the search."""
        now = time.monotonic()
        if now < self._next_queue_check:
            return
        self._next_queue_check = now + self.queue_check_interval
        try:
            self.process_queue(short_wait=True)
        except Exception:
            log.exception("Processing the search queue failed")

    def process_queue(self, *, max_batches: int | None = None, short_wait: bool = False) -> int:
        """Index the queued activities, oldest first, in batches; returns how many queued
        rows were done. Stops at the first failure (the rest stays queued). A document
        Elasticsearch refuses goes back to the end of the queue, so it cannot hold up the
        others."""
        if not self._queue_lock.acquire(blocking=False):
            return 0  # another thread of this process is on it
        done = 0
        try:
            batches = 0
            last = 0
            # Only what is queued now: rows re-queued in this pass wait for the next one.
            ceiling = queue.last_id(db.engine)
            while ceiling and (max_batches is None or batches < max_batches):
                rows = queue.pending(db.engine, QUEUE_BATCH, after=last, up_to=ceiling)
                if not rows:
                    break
                batches += 1
                last = rows[-1][0]
                try:
                    refused = self._write(
                        sorted({a for _, a in rows}), max(self.write_timeout, 10.0)
                    )
                except Exception as exc:
                    self._failed("processing the queue", exc)
                    break
                queue.remove(db.engine, [r for r, _ in rows], short_wait=short_wait)
                if refused:
                    queue.push(db.engine, refused)
                done += sum(1 for _, a in rows if a not in refused)
        finally:
            self._queue_lock.release()
        return done

    def queue_length(self) -> int:
        return queue.length(db.engine)

    def refresh(self) -> None:
        """Make every committed change searchable now (tests, scripts): index the queue and
        refresh the live index. Raises when Elasticsearch fails."""
        self.process_queue()
        self._requests(max(self.timeout, 30.0)).indices.refresh(index=self.alias)
        self._succeeded()

    # ---- the whole index -----------------------------------------------------------------
    def _alias_targets(self, client: Any) -> list[str]:
        from elasticsearch import NotFoundError

        try:
            return sorted(_body(client.indices.get_alias(name=self.alias)))
        except NotFoundError:
            return []

    def live_index(self) -> str | None:
        """The concrete index behind the alias (None when there is none yet)."""
        targets = self._alias_targets(self._requests(self.timeout))
        return targets[0] if targets else None

    def ensure_index(self) -> bool:
        """Build the index when the alias does not exist yet (a first start with
        ELASTICSEARCH_URL set); returns whether it built one."""
        if self.live_index() is not None:
            return False
        self.rebuild()
        return True

    def rebuild(self) -> int:
        """Fill a new index from the database, point the alias at it and delete the old
        one. Searches use the old index until the atomic swap; changes committed while the
        new one is filled are caught up after the swap."""
        client = self._requests(120.0, max_retries=3, retry_on_timeout=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        new_index = f"{self.alias}-{stamp}"
        client.indices.create(index=new_index, settings=index_settings(), mappings=index_mappings())
        try:
            sent = self._load_into(client, new_index, self._all_sources())
            client.indices.refresh(index=new_index)
            old = self._alias_targets(client)
            actions: list[dict[str, Any]] = [{"add": {"index": new_index, "alias": self.alias}}]
            actions += [{"remove": {"index": name, "alias": self.alias}} for name in old]
            if not old and client.indices.exists(index=self.alias):
                # A concrete index squats the alias's name (made by a stray write): drop it
                # in the same atomic step.
                actions.append({"remove_index": {"index": self.alias}})
            client.indices.update_aliases(actions=actions)
        except BaseException:
            try:  # leave no half-built index behind
                client.indices.delete(index=new_index, ignore_unavailable=True)
            except Exception:
                log.exception("Could not delete the unfinished index %s", new_index)
            raise
        count = self._catch_up(client, new_index, sent)
        for name in old:
            client.indices.delete(index=name, ignore_unavailable=True)
        client.indices.refresh(index=new_index)
        self._succeeded()
        return count

    @staticmethod
    def _all_sources() -> Iterator[dict[str, Any]]:
        with db.engine.connect() as connection:
            for document in load_documents(connection):
                yield document_source(document)

    def _load_into(
        self, client: Any, index: str, sources: Iterable[dict[str, Any]]
    ) -> dict[int, bytes]:
        """Bulk-index documents in chunks; returns activity id → digest of what was sent."""
        sent: dict[int, bytes] = {}
        chunk: list[dict[str, Any]] = []
        for source in sources:
            sent[source["activity_id"]] = _digest(source)
            chunk += [{"index": {"_id": str(source["activity_id"])}}, source]
            if len(chunk) >= 2 * BULK_CHUNK:
                self._bulk_strict(client, chunk, index)
                chunk = []
        if chunk:
            self._bulk_strict(client, chunk, index)
        return sent

    def _catch_up(self, client: Any, index: str, sent: dict[int, bytes]) -> int:
        """After the swap: re-read the database and send what changed since the documents
        were loaded (a change committed meanwhile was written to the old index)."""
        current = {s["activity_id"]: s for s in self._all_sources()}
        changed = [s for i, s in current.items() if sent.get(i) != _digest(s)]
        gone = sorted(set(sent) - set(current))
        operations: list[dict[str, Any]] = [{"delete": {"_id": str(i)}} for i in gone]
        for source in changed:
            operations += [{"index": {"_id": str(source["activity_id"])}}, source]
        for start in range(0, len(operations), 2 * BULK_CHUNK):
            self._bulk_strict(client, operations[start : start + 2 * BULK_CHUNK], index)
        if changed or gone:
            log.info("Search rebuild caught up %d changed and %d removed", len(changed), len(gone))
        return len(current)

    def status(self) -> dict[str, Any]:
        """For `spdirectory search status`: where the index is and how it is doing."""
        info: dict[str, Any] = {"backend": self.name, "url": self.display_url, "alias": self.alias}
        try:
            info["queued"] = self.queue_length()
        except Exception as exc:
            info["queued"] = f"unknown ({exc})"
        try:
            client = self._requests(self.timeout)
            info["index"] = self.live_index()
            if info["index"]:
                info["documents"] = int(_body(client.count(index=self.alias))["count"])
            info["reachable"] = True
        except Exception as exc:
            info["reachable"] = False
            info["error"] = _describe(exc)
        return info


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _pairs(operations: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Bulk operations as (action, source or None): index actions are followed by a source,
    delete actions are not."""
    pairs = []
    i = 0
    while i < len(operations):
        action = operations[i]
        if "delete" in action:
            pairs.append((action, None))
            i += 1
        else:
            pairs.append((action, operations[i + 1]))
            i += 2
    return pairs
