"""The Elasticsearch backend without a server.

What can be proven offline is proven here: the index settings and mapping, the request body
built for every SearchQuery feature, the reading of responses (hits, distances, facets,
suggestions), the fallback to the database with a notice when Elasticsearch cannot be
reached (a real client pointed at a closed port), the durable queue, the alias swap of a
rebuild (a fake client recording calls), backend selection and the CLI. Behaviour that
needs a real server (analysis, scoring, the whole conformance suite) runs in
test_backends.py when TEST_ELASTICSEARCH_URL is set; see docs/search.md.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError, Elasticsearch, NotFoundError
from elasticsearch import ConnectionError as ESConnectionError
from flask import Flask
from sqlalchemy import Engine, func, select

from spdirectory import create_app, vocab
from spdirectory.directory.models import Activity
from spdirectory.extensions import db
from spdirectory.geo import distance_km, lookup
from spdirectory.search import (
    SearchQuery,
    Suggestion,
    get_backend,
    queue,
    refresh_index,
)
from spdirectory.search.database import DISTANCE_SCALE_KM, DatabaseBackend
from spdirectory.search.documents import load_documents
from spdirectory.search.elasticsearch import (
    ANALYZER,
    REDUCED_MODE_NOTICE,
    SYNONYM_ANALYZER,
    ElasticsearchBackend,
    _is_outage,
    category_suggestions,
    document_source,
    index_mappings,
    index_settings,
    parse_facets,
    parse_search_response,
    parse_suggestions,
    request_kwargs,
    search_body,
    suggest_body,
)
from spdirectory.search.text import STOP_WORDS, query_terms, synonym_groups
from tests import factories

from .conftest import _empty_tables

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, connections are refused
ALIAS = "spdunit-activities"
LS1 = lookup("LS1 1AZ")


# ---- fixtures and fakes --------------------------------------------------------------------


@pytest.fixture
def es_app(
    db_backend: str, database_urls: dict[str, str], tmp_path: Path, _engines: dict[str, Engine]
) -> Iterator[Flask]:
    """An app configured for Elasticsearch at a closed port, on a fresh database."""
    url = database_urls[db_backend]
    _empty_tables(_engines, url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "ELASTICSEARCH_URL": UNREACHABLE,
            "SEARCH_INDEX_PREFIX": "spdunit",
        },
        instance_path=tmp_path,
    )
    with app.app_context():
        yield app
        backend = app.extensions.get("search_backend")
        if backend is not None and hasattr(backend, "close"):
            backend.close()
        db.session.remove()
        db.engine.dispose()


def api_error(cls: type[ApiError], status: int, message: str = "error") -> ApiError:
    meta = ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders(),
        duration=0.0,
        node=NodeConfig("http", "localhost", 9200),
    )
    return cls(message, meta=meta, body={"error": message, "status": status})


@lru_cache(maxsize=1)
def real_signatures() -> dict[str, set[str]]:
    """Keyword parameters of the installed client's methods, by call name ("bulk",
    "indices.create"…): the fake refuses any other, so every call the backend makes in these
    tests is one the real client (8.x or 9.x, whichever is installed) accepts."""
    client = Elasticsearch("http://127.0.0.1:9")
    try:
        found = {"options": set(inspect.signature(client.options).parameters)}
        for name in ("search", "bulk", "count"):
            found[name] = set(inspect.signature(getattr(client, name)).parameters)
        for name in ("create", "update_aliases", "get_alias", "exists", "delete", "refresh"):
            method = getattr(client.indices, name)
            found[f"indices.{name}"] = set(inspect.signature(method).parameters)
    finally:
        client.close()
    return found


class FakeIndices:
    def __init__(self, client: FakeClient) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return lambda **kwargs: self._client.call(f"indices.{name}", kwargs)


class FakeClient:
    """Records every call (name, keyword arguments); answers like a healthy server unless a
    handler for the call's name says otherwise."""

    def __init__(self, **handlers: Callable[..., Any]) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.handlers = handlers
        self.indices = FakeIndices(self)
        self.aliases: dict[str, list[str]] = {}  # alias → indices, kept by update_aliases

    def options(self, **kwargs: Any) -> FakeClient:
        assert set(kwargs) <= real_signatures()["options"], kwargs
        return self

    def close(self) -> None:
        pass

    def search(self, **kwargs: Any) -> Any:
        return self.call("search", kwargs)

    def bulk(self, **kwargs: Any) -> Any:
        return self.call("bulk", kwargs)

    def count(self, **kwargs: Any) -> Any:
        return self.call("count", kwargs)

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def of(self, name: str) -> list[dict[str, Any]]:
        return [kwargs for n, kwargs in self.calls if n == name]

    def call(self, name: str, kwargs: dict[str, Any]) -> Any:
        accepted = real_signatures()[name]
        assert set(kwargs) <= accepted, f"{name}: {set(kwargs) - accepted} not accepted"
        self.calls.append((name, kwargs))
        handler = self.handlers.get(name.replace(".", "_"))
        if handler is not None:
            return handler(**kwargs)
        if name == "bulk":
            return bulk_ok(kwargs["operations"])
        if name == "indices.get_alias":
            targets = self.aliases.get(kwargs["name"])
            if not targets:
                raise api_error(NotFoundError, 404, f"alias [{kwargs['name']}] missing")
            return {index: {"aliases": {kwargs["name"]: {}}} for index in targets}
        if name == "indices.update_aliases":
            for action in kwargs["actions"]:
                (kind, spec), *_ = action.items()
                if kind == "add":
                    self.aliases.setdefault(spec["alias"], []).append(spec["index"])
                elif kind == "remove":
                    self.aliases[spec["alias"]].remove(spec["index"])
            return {"acknowledged": True}
        if name == "indices.exists":
            return False
        if name == "search":
            return {"hits": {"total": {"value": 0}, "hits": []}}
        if name == "count":
            return {"count": 0}
        return {"acknowledged": True}


def bulk_ok(operations: list[dict[str, Any]]) -> dict[str, Any]:
    items = []
    for op in operations:
        if "index" in op:
            items.append({"index": {"_id": op["index"]["_id"], "status": 201}})
        elif "delete" in op:
            # Deleting a missing document: 404 "not_found", which is not an error.
            items.append(
                {"delete": {"_id": op["delete"]["_id"], "status": 404, "result": "not_found"}}
            )
    return {"errors": False, "items": items}


def indexed(operations: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """activity id → source of the index operations in a bulk body."""
    found = {}
    for action, source in zip(operations, operations[1:], strict=False):
        if "index" in action:
            found[int(action["index"]["_id"])] = source
    return found


def deleted(operations: list[dict[str, Any]]) -> set[int]:
    return {int(op["delete"]["_id"]) for op in operations if "delete" in op}


def fake_backend(app: Flask, client: FakeClient) -> ElasticsearchBackend:
    """Install an Elasticsearch backend talking to `client` as the app's backend."""
    backend = ElasticsearchBackend("http://fake:9200", index_prefix="spdunit", client=client)
    app.extensions["search_backend"] = backend
    return backend


def queued() -> set[int]:
    return queue.queued_ids(db.engine)


# ---- settings and mapping ------------------------------------------------------------------


def test_settings_carry_the_synonyms_in_a_search_time_filter_only() -> None:
    analysis = index_settings()["analysis"]
    rules = analysis["filter"]["spd_synonyms"]
    assert rules["type"] == "synonym_graph"
    parsed = [tuple(t.strip() for t in rule.split(",")) for rule in rules["synonyms"]]
    assert parsed == list(synonym_groups())  # every group of data/synonyms.txt, as written
    assert ("men's shed", "mens shed", "woodwork", "carpentry", "diy") in parsed
    index_chain = analysis["analyzer"][ANALYZER]["filter"]
    search_chain = analysis["analyzer"][SYNONYM_ANALYZER]["filter"]
    # A synonym_graph filter may not be used at index time; at search time it comes before
    # the stemmer, so rules match words as written.
    assert "spd_synonyms" not in index_chain
    assert search_chain.index("spd_synonyms") < search_chain.index("spd_stemmer")
    assert [f for f in search_chain if f != "spd_synonyms"] == index_chain


def test_settings_analyse_english_like_the_database() -> None:
    analysis = index_settings()["analysis"]
    chain = analysis["analyzer"][ANALYZER]["filter"]
    filters = analysis["filter"]
    assert {"lowercase", "asciifolding"} <= set(chain)  # "cafe" finds "Café"
    assert filters["spd_stemmer"] == {"type": "stemmer", "language": "english"}
    assert filters["spd_possessive"]["language"] == "possessive_english"  # "men's" → "men"
    assert set(filters["spd_stop"]["stopwords"]) == STOP_WORDS  # PostgreSQL's list
    assert chain.index("spd_possessive") < chain.index("spd_stemmer")
    assert index_settings()["number_of_shards"] == 1


def test_mapping_types() -> None:
    mapping = index_mappings()
    props = mapping["properties"]
    assert mapping["dynamic"] == "strict"  # a field the code forgot to map fails loudly
    assert props["location"] == {"type": "geo_point"}
    for facet in ("categories", "needs", "modes", "days", "routes", "languages", "kite_mark",
                  "postcode_district"):  # fmt: skip
        assert props[facet] == {"type": "keyword"}, facet
    for number in ("spare_places", "cost_pence", "age_min", "age_max", "activity_id"):
        assert props[number]["type"] == "integer", number
    for flag in ("waitlist_open", "free", "wheelchair_accessible"):
        assert props[flag]["type"] == "boolean", flag
    assert props["capacity_updated_at"]["type"] in {"date", "date_nanos"}
    for text in ("title", "organisation", "description", "tags"):
        assert props[text]["type"] == "text"
        assert props[text]["analyzer"] == ANALYZER
        assert props[text]["search_analyzer"] == SYNONYM_ANALYZER
    for field in ("title", "organisation"):  # suggestions
        sub = props[field]["fields"]
        assert sub["keyword"]["type"] == "keyword"
        assert sub["words"]["type"] == "text" and "index_prefixes" in sub["words"]
        assert props[f"{field}_length"]["type"] == "integer"


def test_mapping_only_names_analyzers_the_settings_define() -> None:
    defined = set(index_settings()["analysis"]["analyzer"])

    def analyzers(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in {"analyzer", "search_analyzer"}:
                    yield value
                else:
                    yield from analyzers(value)

    used = set(analyzers(index_mappings()))
    assert used and used <= defined
    chains = [a["filter"] for a in index_settings()["analysis"]["analyzer"].values()]
    custom = set(index_settings()["analysis"]["filter"])
    assert {f for chain in chains for f in chain if f.startswith("spd_")} <= custom


def test_documents_fit_the_mapping(es_app: Flask) -> None:
    fake = FakeClient()
    fake_backend(es_app, fake)
    org = factories.organisation("Armley Singers")
    sung = factories.activity(
        org,
        title="Community Choir",
        categories="music_singing;social_group",
        needs="loneliness;low_mood",
        schedule="Mon 10:00-12:00; Thu 18:30-20:00",
        spare_places="0",
        waitlist="yes",
        cost="free",
        postcode="LS1 1AZ",
    )
    online = factories.activity(
        org, title="Online Mindfulness", modes="online", postcode="", cost="3.50",
        spare_places="0", waitlist="no",
    )  # fmt: skip
    factories.commit()
    with db.engine.connect() as connection:
        docs = {d.row["activity_id"]: d for d in load_documents(connection, [sung.id, online.id])}
    source = document_source(docs[sung.id])
    assert set(source) <= set(index_mappings()["properties"])
    assert source["categories"] == ["music_singing", "social_group"]
    assert source["days"] == ["mon", "thu"]
    assert source["tags"] == [
        vocab.CATEGORIES["music_singing"], vocab.CATEGORIES["social_group"],
        vocab.NEEDS["loneliness"], vocab.NEEDS["low_mood"],
    ]  # fmt: skip
    assert source["free"] is True and source["cost_pence"] == 0
    assert source["availability_rank"] == 1  # no spare places, waiting list open
    assert source["location"] == pytest.approx({"lat": LS1.latitude, "lon": LS1.longitude})
    assert source["capacity_updated_at"].endswith("Z") and "." in source["capacity_updated_at"]
    assert source["title_length"] == len("Community Choir")
    other = document_source(docs[online.id])
    assert "location" not in other  # no place: no point (it sorts last by distance)
    assert other["free"] is False and other["availability_rank"] == 2


# ---- request bodies ------------------------------------------------------------------------


def body(**fields: Any) -> dict[str, Any]:
    return search_body(SearchQuery(**fields))


def alternatives(clause: dict[str, Any]) -> set[str]:
    """The alternatives (phrases) of one concept clause."""
    options = clause["bool"]["should"] if "bool" in clause else [clause]
    return {o["multi_match"]["query"] for o in options}


def test_browse_body() -> None:
    b = body()
    assert b["query"] == {"match_all": {}}
    # Places free now, then open waiting lists, then the rest; freshest first.
    assert b["sort"] == [
        {"availability_rank": "asc"},
        {"capacity_updated_at": "desc"},
        {"activity_id": "asc"},
    ]
    assert b["from"] == 0 and b["size"] == 20 and b["track_total_hits"] is True
    assert set(b["aggs"]) == {"category", "need", "mode", "day", "kite_mark"}
    assert b["aggs"]["category"]["terms"]["field"] == "categories"
    assert b["aggs"]["category"]["terms"]["size"] >= len(vocab.CATEGORIES)
    assert "track_scores" not in b


def test_text_becomes_concepts_with_synonyms() -> None:
    b = body(text="singing dementia")
    must = b["query"]["bool"]["must"]
    assert [alternatives(c) for c in must] == [set(c) for c in query_terms("singing dementia")]
    assert "choir" in alternatives(must[0]) and "alzheimer's" in alternatives(must[1])
    option = must[0]["bool"]["should"][0]["multi_match"]
    assert option["type"] == "phrase"  # multi-word synonyms ("men's shed") are phrases
    assert option["analyzer"] == ANALYZER  # expanded here, so not again by the index
    assert option["fields"] == ["title^10", "organisation^4", "tags^3", "description"]
    assert must[0]["bool"]["minimum_should_match"] == 1
    assert b["sort"] == [{"_score": "desc"}, {"activity_id": "asc"}]
    assert b["track_scores"] is True


def test_stop_and_filler_words_are_left_out() -> None:
    walking = body(text="walking")["query"]
    assert body(text="walking group")["query"] == walking
    assert body(text="help with debts")["query"] == body(text="debts")["query"]
    assert [alternatives(c) for c in body(text="men’s shed")["query"]["bool"]["must"]] == [
        {"men's shed", "mens shed", "woodwork", "carpentry", "diy"}
    ]
    # A word with no synonyms is a single phrase, not a one-option bool.
    single = body(text="towpath")["query"]["bool"]["must"][0]
    assert single["multi_match"]["query"] == "towpath"
    # Blank text is browsing.
    assert body(text="   ")["query"] == {"match_all": {}}


def filters_of(**fields: Any) -> list[dict[str, Any]]:
    return body(**fields)["query"]["bool"]["filter"]


def test_each_filter() -> None:
    assert filters_of(categories=["walking", "gardening"]) == [
        {"terms": {"categories": ["walking", "gardening"]}}
    ]
    assert filters_of(needs=["loneliness"]) == [{"terms": {"needs": ["loneliness"]}}]
    assert filters_of(mode="phone") == [{"term": {"modes": "phone"}}]
    assert filters_of(day="sat") == [{"term": {"days": "sat"}}]
    assert filters_of(kite_mark="awarded") == [{"term": {"kite_mark": "awarded"}}]
    assert filters_of(free=True) == [{"term": {"free": True}}]
    assert filters_of(organisation_id=7) == [{"term": {"organisation_id": 7}}]
    (available,) = filters_of(available=True)
    assert available == {
        "bool": {
            "should": [{"range": {"spare_places": {"gt": 0}}}, {"term": {"waitlist_open": True}}],
            "minimum_should_match": 1,
        }
    }
    (near,) = filters_of(near=(53.8, -1.55), within_km=5)
    assert near["geo_distance"]["distance"] == "5.0km"
    assert near["geo_distance"]["location"] == {"lat": 53.8, "lon": -1.55}
    # Filters and text combine: filters do not score.
    combined = body(text="walking", day="sat", free=True)["query"]["bool"]
    assert len(combined["must"]) == 1 and len(combined["filter"]) == 2
    assert len(filters_of(categories=["walking"], needs=["weight"], day="sat")) == 3


def test_near_without_radius_filters_nothing_and_radius_without_near_is_ignored() -> None:
    assert body(near=(53.8, -1.55))["query"] == {"match_all": {}}
    assert body(within_km=5)["query"] == {"match_all": {}}
    assert body(organisation_id=0)["query"] == {"match_all": {}}  # as the database: falsy
    (nothing,) = filters_of(near=(53.8, -1.55), within_km=-1)
    assert nothing == {"bool": {"must_not": [{"match_all": {}}]}}


def test_sorts() -> None:
    near = (LS1.latitude, LS1.longitude)
    by_distance = {
        "_geo_distance": {
            "location": {"lat": near[0], "lon": near[1]},
            "order": "asc",
            "unit": "km",
            "distance_type": "arc",
        }
    }
    tiebreak = {"activity_id": "asc"}
    assert body(near=near, sort="distance")["sort"] == [by_distance, tiebreak]
    assert body(near=near, text="walk", sort="distance")["sort"] == [by_distance, tiebreak]
    assert body(near=near)["sort"] == [by_distance, tiebreak]  # no text: nearest first
    updated = [{"capacity_updated_at": "desc"}, tiebreak]
    assert body(sort="updated")["sort"] == updated
    assert body(sort="updated", text="walk", near=near)["sort"] == updated
    # Distance without a place is relevance (as the database backend).
    assert body(sort="distance", text="walk")["sort"] == [{"_score": "desc"}, tiebreak]
    assert body(sort="distance")["sort"][0] == {"availability_rank": "asc"}


def test_relevance_near_a_place_decays_with_distance() -> None:
    near = (LS1.latitude, LS1.longitude)
    b = body(text="ukulele", near=near)
    scored = b["query"]["function_score"]
    assert scored["query"]["bool"]["must"]  # the text query inside
    (function,) = scored["functions"]
    decay = function["exp"]["location"]
    assert decay["origin"] == {"lat": near[0], "lon": near[1]}
    assert decay["scale"] == f"{DISTANCE_SCALE_KM}km" and decay["decay"] == 0.5
    assert scored["boost_mode"] == "multiply"
    assert b["sort"] == [{"_score": "desc"}, {"activity_id": "asc"}]
    # Within a radius the filter stays inside the scored query.
    inner = body(text="ukulele", near=near, within_km=10)["query"]["function_score"]["query"]
    assert inner["bool"]["filter"][0]["geo_distance"]["distance"] == "10.0km"
    # Without text there is nothing to decay.
    assert "function_score" not in body(near=near)["query"]


def test_paging_and_facets_switch() -> None:
    b = body(page=3, per_page=4)
    assert (b["from"], b["size"]) == (8, 4)
    assert body(page=0)["from"] == 0
    far = body(page=10_001, per_page=1)
    assert far["size"] == 0  # past Elasticsearch's window: the total, no hits, no error
    edge = body(page=3, per_page=4_000)
    assert edge["from"] + edge["size"] <= 10_000
    assert "aggs" not in body(with_facets=False)


def test_request_kwargs_fit_the_installed_client() -> None:
    kwargs = request_kwargs(body(text="walk", near=(53.8, -1.5), page=2))
    assert kwargs["from_"] == 20 and kwargs["source"] == ["activity_id", "location"]
    accepted = set(inspect.signature(Elasticsearch.search).parameters)
    assert set(kwargs) <= accepted
    suggest_kwargs = request_kwargs(suggest_body(["wal"], 5))
    assert set(suggest_kwargs) <= accepted


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"text": "men's shed walking", "categories": ["walking"], "needs": ["loneliness"]},
        {"text": "choir", "near": (53.8, -1.55), "within_km": 5, "available": True, "free": True},
        {"near": (53.8, -1.55), "sort": "distance", "mode": "phone", "day": "mon"},
        {"sort": "updated", "kite_mark": "awarded", "organisation_id": 3, "with_facets": False},
    ],
)
def test_bodies_use_only_query_and_aggregation_types_elasticsearch_knows(
    fields: dict[str, Any],
) -> None:
    """The client's DSL (elasticsearch.dsl, from client 8.18) knows every query and
    aggregation type: a body survives a round trip through it unchanged."""
    dsl = pytest.importorskip("elasticsearch.dsl")
    b = body(**fields)
    assert dsl.Search.from_dict(b).to_dict() == b
    suggestion = suggest_body(["wal", "foo"], 5)
    assert dsl.Search.from_dict(suggestion).to_dict() == suggestion


# ---- reading responses ---------------------------------------------------------------------


def test_parse_facets() -> None:
    aggregations = {
        "category": {
            "buckets": [
                {"key": "walking", "doc_count": 2},
                {"key": "gardening", "doc_count": 5},
                {"key": "no_such_code", "doc_count": 9},  # not in the vocabulary: left out
                {"key": "music_singing", "doc_count": 2},
            ]
        },
        "need": {"buckets": [{"key": "loneliness", "doc_count": 0}]},  # zero: left out
        "mode": {"buckets": [{"key": "in_person", "doc_count": 7}]},
        "day": {"buckets": []},
        "kite_mark": {"buckets": [{"key": "awarded", "doc_count": 1}]},
    }
    facets = parse_facets(aggregations)
    assert facets == {
        "category": {"gardening": 5, "walking": 2, "music_singing": 2},
        "mode": {"in_person": 7},
        "kite_mark": {"awarded": 1},
    }
    # Most frequent first; ties in vocabulary order (as the database backend).
    tied = [c for c in vocab.CATEGORIES if c in {"walking", "music_singing"}]
    assert list(facets["category"])[1:] == tied
    assert parse_facets({}) == {}


def test_parse_hits_computes_distance_from_the_stored_point() -> None:
    near = (LS1.latitude, LS1.longitude)
    response = {
        "hits": {
            "total": {"value": 42, "relation": "eq"},
            "hits": [
                {
                    "_score": 3.5,
                    "_source": {"activity_id": 7, "location": {"lat": 53.8, "lon": -1.6}},
                },
                {"_score": None, "_source": {"activity_id": 9}},  # online: no place
            ],
        },
        "aggregations": {"mode": {"buckets": [{"key": "online", "doc_count": 1}]}},
    }
    results = parse_search_response(response, SearchQuery(near=near))
    assert results.total == 42 and results.backend == "elasticsearch" and results.notice is None
    first, second = results.hits
    assert (first.activity_id, first.score) == (7, 3.5)
    assert first.distance_km == pytest.approx(distance_km(near[0], near[1], 53.8, -1.6))
    assert (second.activity_id, second.score, second.distance_km) == (9, 0.0, None)
    assert results.facets == {"mode": {"online": 1}}
    # No place asked for: no distances; no facets asked for: none read.
    plain = parse_search_response(response, SearchQuery(with_facets=False))
    assert plain.hits[0].distance_km is None and plain.facets == {}


def test_suggest_body_and_parsing() -> None:
    b = suggest_body(["singing", "Bré"], 5)
    assert b["size"] == 0
    for kind, field in (("activity", "title"), ("organisation", "organisation")):
        agg = b["aggs"][kind]
        prefixes = agg["filter"]["bool"]["filter"]
        # Every term must start a word; accents folded as the .words analyzer does.
        assert prefixes == [
            {"prefix": {f"{field}.words": {"value": "singing"}}},
            {"prefix": {f"{field}.words": {"value": "bre"}}},
        ]
        terms = agg["aggs"]["values"]["terms"]
        assert terms["field"] == f"{field}.keyword" and terms["size"] == 5
        assert terms["order"] == [{"length": "asc"}, {"_key": "asc"}]  # shortest first
    response = {
        "aggregations": {
            "activity": {"values": {"buckets": [{"key": "Singing for the Brain"}]}},
            "organisation": {"values": {"buckets": [{"key": "Brent Singers"}]}},
        }
    }
    assert parse_suggestions(response) == [
        Suggestion("Singing for the Brain", "activity", "Singing for the Brain"),
        Suggestion("Brent Singers", "organisation", "Brent Singers"),
    ]


def test_category_suggestions_follow_the_database_rule() -> None:
    sing = category_suggestions(["sing"])
    assert [(s.label, s.value, s.type) for s in sing] == [
        (vocab.CATEGORIES["music_singing"], "music_singing", "category")
    ]
    assert category_suggestions(["xyzzy"]) == []
    assert all(s.type == "category" for s in category_suggestions(["s"]))


# ---- the backend against a fake client ------------------------------------------------------


def test_suggest_puts_categories_first_and_removes_duplicates(es_app: Flask) -> None:
    response = {
        "aggregations": {
            "activity": {
                "values": {"buckets": [{"key": "Walking Football"}, {"key": "walking football"}]}
            },
            "organisation": {"values": {"buckets": [{"key": "Walkers Club"}]}},
        }
    }
    fake = FakeClient(search=lambda **kw: response)
    backend = fake_backend(es_app, fake)
    found = backend.suggest("walk")
    assert [(s.type, s.label) for s in found] == [
        ("category", vocab.CATEGORIES["walking"]),
        ("activity", "Walking Football"),
        ("organisation", "Walkers Club"),
    ]
    assert [s.label for s in backend.suggest("walk", limit=2)] == [
        vocab.CATEGORIES["walking"],
        "Walking Football",
    ]
    assert [r["index"] for r in fake.of("search")] == [ALIAS, ALIAS]
    calls = len(fake.calls)
    for empty in ("", "  ", "%", "_"):
        assert backend.suggest(empty) == []
    assert len(fake.calls) == calls  # no request for an empty prefix


def test_search_reads_the_alias_and_the_response(es_app: Flask) -> None:
    response = {
        "hits": {"total": {"value": 1}, "hits": [{"_score": 2.0, "_source": {"activity_id": 5}}]},
        "aggregations": {"category": {"buckets": [{"key": "walking", "doc_count": 1}]}},
    }
    fake = FakeClient(search=lambda **kw: response)
    backend = fake_backend(es_app, fake)
    results = backend.search(SearchQuery(text="walking", categories=["walking"]))
    assert results.total == 1 and [h.activity_id for h in results.hits] == [5]
    assert results.facets == {"category": {"walking": 1}} and results.notice is None
    (request,) = fake.of("search")
    assert request["index"] == ALIAS
    assert (
        request["query"]
        == search_body(SearchQuery(text="walking", categories=["walking"]))["query"]
    )


def test_writes_go_to_the_alias_and_deletes_of_missing_documents_are_fine(
    es_app: Flask,
) -> None:
    fake = FakeClient()
    fake_backend(es_app, fake)
    org = factories.organisation("Ramblers")
    walk = factories.activity(org, title="Hyde Park Walk")
    draft = factories.activity(org, title="Moonlight Ramble", status="draft")
    factories.commit()  # after the commit the backend indexes both at once
    (bulk,) = fake.of("bulk")
    assert bulk["index"] == ALIAS and bulk["require_alias"] is True
    assert set(indexed(bulk["operations"])) == {walk.id}
    assert indexed(bulk["operations"])[walk.id]["title"] == "Hyde Park Walk"
    assert deleted(bulk["operations"]) == {draft.id}  # not published: not in the index
    assert queued() == set()
    walk_id = walk.id
    db.session.delete(walk)
    factories.commit()
    assert deleted(fake.of("bulk")[-1]["operations"]) == {walk_id}
    assert queued() == set()


def refusing(*titles: str, error: str = "document_parsing_exception") -> Callable[..., Any]:
    """A bulk handler refusing the index operations of documents with these titles."""

    def bulk(operations: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
        answer = bulk_ok(operations)
        sources = indexed(operations)
        for item in answer["items"]:
            result = item.get("index")
            if result and (not titles or sources[int(result["_id"])]["title"] in titles):
                result.update(status=400 if error != "index_not_found_exception" else 404)
                result["error"] = {"type": error, "reason": "refused"}
                answer["errors"] = True
        return answer

    return bulk


def test_a_refused_document_is_queued_without_blocking_the_others(es_app: Flask) -> None:
    fake = FakeClient(bulk=refusing("Bad Walk"))
    backend = fake_backend(es_app, fake)
    org = factories.organisation()
    bad = factories.activity(org, title="Bad Walk")
    good = factories.activity(org, title="Good Walk")
    factories.commit()
    assert queued() == {bad.id}  # the good one went in
    assert backend.healthy  # one bad document is not an outage
    assert db.session.get(Activity, bad.id) is not None  # the write itself stood
    queue.push(db.engine, [good.id])  # e.g. queued during an earlier outage
    assert backend.process_queue() == 1  # the good one; the bad one goes to the back
    assert queued() == {bad.id}
    assert len(fake.of("bulk")) == 2  # one pass, not a loop over the refused document


def test_a_missing_alias_is_an_outage_and_everything_is_queued(es_app: Flask) -> None:
    fake = FakeClient(bulk=refusing(error="index_not_found_exception"))
    backend = fake_backend(es_app, fake)
    walk = factories.activity(factories.organisation(), title="Walk")
    factories.commit()
    assert queued() == {walk.id}
    assert not backend.healthy


def test_refresh_index_drains_the_queue_and_refreshes_the_alias(es_app: Flask) -> None:
    fake = FakeClient()
    backend = fake_backend(es_app, fake)
    queue.push(db.engine, [101, 102])
    queue.push(db.engine, [101])  # queued twice: two rows, one operation
    assert queue.length(db.engine) == 3
    refresh_index()
    assert queued() == set()
    (bulk,) = fake.of("bulk")
    assert deleted(bulk["operations"]) == {101, 102}  # unknown ids leave the index, once each
    assert (
        fake.names()[-1] == "indices.refresh" and fake.of("indices.refresh")[-1]["index"] == ALIAS
    )
    assert backend.healthy


# ---- Elasticsearch unreachable: a real client at a closed port ------------------------------


def test_unreachable_elasticsearch_falls_back_to_the_database_quickly(es_app: Flask) -> None:
    backend = get_backend()
    assert isinstance(backend, ElasticsearchBackend) and backend.url == UNREACHABLE
    org = factories.organisation("Armley Community Trust")
    choir = factories.activity(org, title="Community Choir", categories="music_singing")
    factories.activity(org, title="Tuesday Walk", categories="walking")
    started = time.monotonic()
    factories.commit()  # Elasticsearch refuses the connection: the commit must not notice
    assert time.monotonic() - started < 5

    assert not backend.healthy  # that failure opened the circuit breaker
    # Let the next search try Elasticsearch again (and fail): it must still answer, fast.
    backend._down_until = 0.0
    started = time.monotonic()
    results = backend.search(SearchQuery(text="singing"))
    assert time.monotonic() - started < 2
    assert [h.activity_id for h in results.hits] == [choir.id]  # the database's answer
    assert results.notice == REDUCED_MODE_NOTICE and "reduced mode" in results.notice
    assert results.backend == "database"
    assert results.facets["category"] == {"music_singing": 1}
    assert not backend.healthy  # the circuit breaker is open

    # While it is open no request goes to Elasticsearch: prove it with a recording client.
    recorder = FakeClient()
    backend._client = recorder
    again = backend.search(SearchQuery(categories=["walking"]))
    assert again.total == 1 and again.notice == REDUCED_MODE_NOTICE
    assert any(s.label == "Community Choir" for s in backend.suggest("comm"))
    assert recorder.calls == []


def test_the_api_passes_the_notice_on(es_app: Flask) -> None:
    walk = factories.activity(factories.organisation(), title="Tuesday Walk")
    token = factories.token(factories.user("link_worker"))
    factories.commit()
    client = es_app.test_client()
    response = client.get("/api/v1/activities?q=walk", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    data = response.get_json()
    assert [r["id"] for r in data["results"]] == [walk.id]
    assert data["notice"] == REDUCED_MODE_NOTICE
    suggested = client.get("/api/v1/suggest?q=tues", headers={"Authorization": f"Bearer {token}"})
    assert "Tuesday Walk" in [s["label"] for s in suggested.get_json()["suggestions"]]


def test_a_write_while_unreachable_commits_and_is_queued_then_caught_up(es_app: Flask) -> None:
    backend = get_backend()
    assert isinstance(backend, ElasticsearchBackend)
    org = factories.organisation("Ramblers")
    walk = factories.activity(org, title="Hyde Park Walk")
    factories.commit()
    walk_id = walk.id

    # The change is committed, in the database's own index, and queued for Elasticsearch.
    db.session.expire_all()
    assert db.session.get(Activity, walk_id).title == "Hyde Park Walk"
    assert DatabaseBackend().search(SearchQuery(text="hyde")).total == 1
    assert queued() == {walk_id}

    # More changes while it is down (the breaker is open: no waiting at all) join the queue.
    walk.title = "Hyde Park Health Walk"
    other = factories.activity(org, title="Canal Walk")
    started = time.monotonic()
    factories.commit()
    assert time.monotonic() - started < 2
    assert queued() == {walk_id, other.id}

    # Elasticsearch is back: the next search (its breaker closed) catches up first.
    fake = FakeClient()
    backend._client = fake
    backend._down_until = 0.0
    results = backend.search(SearchQuery(text="walk"))
    assert results.notice is None and results.backend == "elasticsearch"
    assert fake.names()[:2] == ["bulk", "search"]
    sent = indexed(fake.of("bulk")[0]["operations"])
    assert set(sent) == {walk_id, other.id}
    assert sent[walk_id]["title"] == "Hyde Park Health Walk"  # the current state, not the old
    assert queued() == set()
    # The queue is checked at most every few seconds, not on every search.
    backend.search(SearchQuery(text="walk"))
    assert fake.names().count("bulk") == 1


def test_process_queue_command_reports_what_is_left(es_app: Flask) -> None:
    walk = factories.activity(factories.organisation(), title="Walk")
    factories.commit()
    assert queued() == {walk.id}
    result = es_app.test_cli_runner().invoke(args=["search", "process-queue"])
    assert result.exit_code == 1, result.output
    assert "1 still queued" in result.output
    fake_backend(es_app, FakeClient())
    result = es_app.test_cli_runner().invoke(args=["search", "process-queue"])
    assert result.exit_code == 0, result.output
    assert "indexed 1 queued changes; 0 still queued" in result.output
    assert queued() == set()


def test_passwords_in_the_url_stay_out_of_logs_and_status() -> None:
    backend = ElasticsearchBackend("https://app:s3cret@es.example.org:9243", client=FakeClient())
    assert backend.display_url == "https://app:***@es.example.org:9243"
    assert "s3cret" not in str(backend.status())
    assert ElasticsearchBackend("http://127.0.0.1:9200").display_url == "http://127.0.0.1:9200"


def test_outage_classification() -> None:
    assert _is_outage(ESConnectionError("refused"))
    assert _is_outage(api_error(ApiError, 503, "unavailable"))
    assert _is_outage(api_error(NotFoundError, 404, "no such index"))  # run reindex
    assert _is_outage(api_error(ApiError, 429, "too many requests"))
    assert not _is_outage(api_error(ApiError, 400, "parsing_exception"))  # one bad request
    # A client one major version ahead of the server: every request fails alike.
    mismatch = "Accept version must be either version 8 or 7, but found 9. compatible-with=9"
    assert _is_outage(api_error(ApiError, 400, mismatch))
    assert not _is_outage(KeyError("hits"))


# ---- rebuild: a new index, an atomic alias swap, catch-up, the old index deleted ------------


def test_rebuild_swaps_the_alias_atomically(es_app: Flask) -> None:
    fake = FakeClient()
    backend = fake_backend(es_app, fake)
    fake.aliases[ALIAS] = ["spdunit-activities-old"]
    org = factories.organisation("Armley Singers")
    ids = {factories.activity(org, title=f"Choir {n}").id for n in range(3)}
    factories.activity(org, title="Draft", status="draft")
    factories.commit()
    fake.calls.clear()

    assert backend.rebuild() == 3
    names = fake.names()
    assert names == [
        "indices.create",
        "bulk",
        "indices.refresh",
        "indices.get_alias",
        "indices.update_aliases",
        "indices.delete",
        "indices.refresh",
    ]
    (create,) = fake.of("indices.create")
    new = create["index"]
    assert new.startswith(f"{ALIAS}-") and new != "spdunit-activities-old"
    assert create["settings"] == index_settings() and create["mappings"] == index_mappings()
    (bulk,) = fake.of("bulk")
    assert bulk["index"] == new and set(indexed(bulk["operations"])) == ids
    assert fake.of("indices.refresh")[0]["index"] == new  # searchable before the swap
    (swap,) = fake.of("indices.update_aliases")
    assert swap["actions"] == [
        {"add": {"index": new, "alias": ALIAS}},
        {"remove": {"index": "spdunit-activities-old", "alias": ALIAS}},
    ]  # one request: searches see the old index or the new, never neither
    assert fake.of("indices.delete") == [
        {"index": "spdunit-activities-old", "ignore_unavailable": True}
    ]
    assert fake.aliases[ALIAS] == [new]
    assert backend.live_index() == new


def test_rebuild_catches_up_with_changes_made_while_it_ran(es_app: Flask) -> None:
    org = factories.organisation("Ramblers")
    kept = factories.activity(org, title="Hyde Park Walk")
    doomed = factories.activity(org, title="Canal Walk")
    factories.commit()
    kept_id, doomed_id = kept.id, doomed.id
    state = {"done": False}

    def bulk(operations: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
        if kw.get("index", "").startswith(f"{ALIAS}-") and not state["done"]:
            state["done"] = True
            # Someone edits while the new index is being filled: their change goes to the
            # old index (the alias), which is about to be dropped.
            kept.title = "Hyde Park Health Walk"
            db.session.delete(doomed)
            late = factories.activity(org, title="Late Walk")
            state["late"] = late.id
            factories.commit()
        return bulk_ok(operations)

    fake = FakeClient(bulk=bulk)
    backend = fake_backend(es_app, fake)
    assert backend.rebuild() == 2  # kept and late
    new = fake.of("indices.create")[0]["index"]
    to_new = [c for c in fake.of("bulk") if c["index"] == new]
    assert len(to_new) == 2  # the load, then the catch-up after the swap
    catch_up = to_new[1]["operations"]
    assert set(indexed(catch_up)) == {kept_id, state["late"]}
    assert indexed(catch_up)[kept_id]["title"] == "Hyde Park Health Walk"
    assert deleted(catch_up) == {doomed_id}
    order = fake.names()
    assert order.index("indices.update_aliases") < max(
        i for i, (n, kw) in enumerate(fake.calls) if n == "bulk" and kw["index"] == new
    )


def test_a_failed_rebuild_leaves_the_live_index_alone(es_app: Flask) -> None:
    def broken(**kw: Any) -> Any:
        raise api_error(ApiError, 500, "disk full")

    fake = FakeClient(bulk=broken)
    backend = fake_backend(es_app, fake)
    fake.aliases[ALIAS] = ["spdunit-activities-old"]
    factories.activity(factories.organisation(), title="Walk")
    factories.commit()  # indexing fails too: queued, never raised
    fake.calls.clear()
    with pytest.raises(ApiError):
        backend.rebuild()
    new = fake.of("indices.create")[0]["index"]
    assert fake.of("indices.delete") == [{"index": new, "ignore_unavailable": True}]
    assert "indices.update_aliases" not in fake.names()
    assert fake.aliases[ALIAS] == ["spdunit-activities-old"]


def test_rebuild_replaces_a_concrete_index_squatting_the_alias_name(es_app: Flask) -> None:
    fake = FakeClient(indices_exists=lambda **kw: kw["index"] == ALIAS)
    backend = fake_backend(es_app, fake)
    assert backend.rebuild() == 0
    (swap,) = fake.of("indices.update_aliases")
    new = fake.of("indices.create")[0]["index"]
    assert swap["actions"] == [
        {"add": {"index": new, "alias": ALIAS}},
        {"remove_index": {"index": ALIAS}},
    ]


# ---- selection and the command line ----------------------------------------------------------


def test_backend_selection(es_app: Flask, tmp_path: Path, database_urls: dict[str, str]) -> None:
    backend = get_backend()
    assert isinstance(backend, ElasticsearchBackend)
    assert backend.alias == ALIAS and get_backend() is backend  # cached per app
    plain = create_app(
        {
            "DATABASE_URL": database_urls["sqlite"],
            "TESTING": True,
            "SECRET_KEY": "x",
            "ELASTICSEARCH_URL": None,
        },
        instance_path=tmp_path / "plain",
    )
    with plain.app_context():
        assert isinstance(get_backend(), DatabaseBackend)
        refresh_index()  # nothing to do, and no error
        db.engine.dispose()
    default_prefix = create_app(
        {
            "DATABASE_URL": database_urls["sqlite"],
            "TESTING": True,
            "SECRET_KEY": "x",
            "ELASTICSEARCH_URL": UNREACHABLE,
        },
        instance_path=tmp_path / "default",
    )
    with default_prefix.app_context():
        made = get_backend()
        assert isinstance(made, ElasticsearchBackend) and made.alias == "spdirectory-activities"
        db.engine.dispose()


def test_reindex_command_rebuilds_both_indexes(es_app: Flask) -> None:
    fake = FakeClient()
    fake_backend(es_app, fake)
    org = factories.organisation()
    for n in range(2):
        factories.activity(org, title=f"Walk {n}")
    factories.commit()
    # The database index lost its rows (an upgrade, a restore): reindex rebuilds it too.
    db.session.execute(db.text("DELETE FROM search_document"))
    db.session.commit()
    result = es_app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "database index: 2 activities in" in result.output
    assert "elasticsearch index spdunit-activities-" in result.output
    assert ": 2 activities in" in result.output.splitlines()[1]
    assert DatabaseBackend().search(SearchQuery(text="walk")).total == 2
    assert "indices.update_aliases" in fake.names()


def test_reindex_command_fails_clearly_when_elasticsearch_is_down(es_app: Flask) -> None:
    factories.activity(factories.organisation(), title="Walk")
    factories.commit()
    result = es_app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 1
    assert "database index: 1 activities" in result.output  # the database part is done
    assert "elasticsearch index: rebuild failed" in result.output


def test_status_command(es_app: Flask) -> None:
    fake = FakeClient(count=lambda **kw: {"count": 4})
    fake.aliases[ALIAS] = ["spdunit-activities-1"]
    fake_backend(es_app, fake)
    queue.push(db.engine, [1])
    result = es_app.test_cli_runner().invoke(args=["search", "status"])
    assert result.exit_code == 0, result.output
    assert "index: spdunit-activities-1" in result.output
    assert "documents: 4" in result.output and "queued: 1" in result.output


def test_queue_table_exists_with_its_columns(es_app: Flask) -> None:
    queue.push(db.engine, [3, 3, 4])
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(queue.search_queue.c.activity_id, func.count()).group_by(
                queue.search_queue.c.activity_id
            )
        ).all()
    assert dict(rows) == {3: 1, 4: 1}  # duplicates within one push collapse
    row_ids = [r for r, _ in queue.pending(db.engine, 10)]
    queue.remove(db.engine, row_ids[:1], short_wait=True)
    assert queue.queued_ids(db.engine) == {4}
