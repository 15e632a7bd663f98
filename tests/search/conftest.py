"""The search conformance suite's fixtures: every test runs once per search backend present.

In the spirit of Wagtail's shared backend test mixin, one set of cases is run against every
backend: "database" (SQLite FTS5 and, with TEST_DATABASE_URL, PostgreSQL full text) always,
and "elasticsearch" when TEST_ELASTICSEARCH_URL is set (on top of the same database setup,
which stays the source of truth). A backend that lacks a feature lists the test in
KNOWN_GAPS with the reason, and that test is skipped for it by name.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine, inspect, text

import spdirectory.search
from spdirectory import create_app
from spdirectory.extensions import db
from spdirectory.search import SearchBackend, SearchQuery, SearchResults, get_backend

ES_URL = os.environ.get("TEST_ELASTICSEARCH_URL")
SEARCH_BACKENDS = ["database", "elasticsearch"]

# Relevance reports (test_relevance.py), shown at the end of the run even without -s.
RELEVANCE_REPORTS: list[str] = []

# Backend → {test function name: why the backend does not support it}. A test listed here
# is skipped for that backend only; every other backend must pass it.
KNOWN_GAPS: dict[str, dict[str, str]] = {
    "database": {},
    "elasticsearch": {},
}


@pytest.fixture(params=SEARCH_BACKENDS)
def search_backend_name(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "elasticsearch" and not ES_URL:
        pytest.skip(
            "Elasticsearch conformance needs TEST_ELASTICSEARCH_URL "
            "(e.g. http://127.0.0.1:9200); no server is available here"
        )
    reason = KNOWN_GAPS.get(name, {}).get(request.node.originalname)
    if reason:
        pytest.skip(f"{name} backend: {reason}")
    return name


@pytest.fixture(scope="session")
def _engines() -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


def _empty_tables(engines: dict[str, Engine], url: str) -> None:
    """Empty every table, children first. DELETE on these few small tables takes
    milliseconds where tests/conftest.py's TRUNCATE takes a third of a second or more on
    PostgreSQL, and this suite sets up a fresh database for each of some sixty tests."""
    engine = engines.get(url)
    if engine is None:
        engine = engines[url] = create_engine(url)
    known = [t.name for t in reversed(db.metadata.sorted_tables)]
    with engine.begin() as conn:
        present = set(inspect(conn).get_table_names())
        # Tables the models do not know of (there should be none): TRUNCATE ... CASCADE.
        others = present - set(known) - {"alembic_version", "search_fts"}
        others = {t for t in others if not t.startswith("search_fts_")}
        if others and engine.dialect.name == "postgresql":
            conn.execute(
                text("TRUNCATE " + ", ".join(f'"{t}"' for t in sorted(others)) + " CASCADE")
            )
        elif others:
            known = sorted(others) + known
        if engine.dialect.name == "sqlite":
            conn.execute(text("DELETE FROM search_fts"))
        for table in known:
            if table in present:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def app(
    search_backend_name: str,
    db_backend: str,
    database_urls: dict[str, str],
    tmp_path: Path,
    _engines: dict[str, Engine],
) -> Iterator[Flask]:
    """Overrides tests/conftest.py's `app`: the same fresh database, plus the search backend
    under test (so `make`, `client` and every other fixture use this app)."""
    url = database_urls[db_backend]
    _empty_tables(_engines, url)
    config: dict[str, Any] = {
        "DATABASE_URL": url,
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        # The database run must not pick up an ELASTICSEARCH_URL from the environment.
        "ELASTICSEARCH_URL": None,
    }
    prefix = f"spdtest-{uuid.uuid4().hex[:12]}"
    if search_backend_name == "elasticsearch":
        config.update(ELASTICSEARCH_URL=ES_URL, SEARCH_INDEX_PREFIX=prefix)
    flask_app = create_app(config, instance_path=tmp_path)
    with flask_app.app_context():
        if search_backend_name == "elasticsearch":
            # Start from an empty index whatever an earlier run left behind.
            get_backend().rebuild()
            refresh()
        yield flask_app
        close = getattr(get_backend(), "close", None)
        if close is not None:
            close()
        db.session.remove()
        db.engine.dispose()
    if search_backend_name == "elasticsearch":
        _drop_indices(prefix)


def _drop_indices(prefix: str) -> None:
    """Delete this test's indices by name (wildcard deletes are refused by default)."""
    from elasticsearch import Elasticsearch

    client = Elasticsearch(ES_URL)
    try:
        names = list(client.indices.get(index=f"{prefix}*", expand_wildcards="all"))
        for name in names:
            client.indices.delete(index=name, ignore_unavailable=True)
    finally:
        client.close()


class _Answered(SearchBackend):
    """An external backend that must answer itself: Elasticsearch falls back to the database
    backend when the server fails, which would quietly run this suite on the wrong engine."""

    def __init__(self, backend: SearchBackend) -> None:
        self.backend = backend
        self.name = backend.name

    def search(self, query: SearchQuery) -> SearchResults:
        results = self.backend.search(query)
        assert results.backend == self.name, f"answered by {results.backend}: {results.notice}"
        return results

    def suggest(self, prefix: str, limit: int = 10) -> list[Any]:
        return self.backend.suggest(prefix, limit)

    def index(self, activity_ids: Any) -> None:
        self.backend.index(activity_ids)

    def rebuild(self) -> int:
        return self.backend.rebuild()


@pytest.fixture
def search_backend(app: Flask, search_backend_name: str) -> SearchBackend:
    backend = get_backend()
    if search_backend_name == "database":
        return backend
    if backend.name != search_backend_name:
        pytest.fail(f"{search_backend_name} was configured, yet the backend is {backend.name!r}")
    return _Answered(backend)


@pytest.fixture
def backend_id(search_backend_name: str, db_backend: str) -> str:
    """Which engine answers: "sqlite" or "postgresql" (the database backend) or
    "elasticsearch"."""
    return db_backend if search_backend_name == "database" else search_backend_name


def refresh() -> None:
    """Make committed writes visible to search. The database backend needs nothing (its index
    commits with the data); an external backend drains its queue and refreshes its index."""
    refresh_index = getattr(spdirectory.search, "refresh_index", None)
    if refresh_index is not None:
        refresh_index()


def commit() -> None:
    """Commit, then make the change searchable (as a user would see it on the next request)."""
    db.session.commit()
    refresh()


def run(backend: SearchBackend, **fields: Any) -> SearchResults:
    """Search with a SearchQuery built from keyword arguments (per_page 100 unless given, so
    one page holds the whole small data set)."""
    fields.setdefault("per_page", 100)
    return backend.search(SearchQuery(**fields))


def hit_ids(results: SearchResults) -> list[int]:
    return [hit.activity_id for hit in results.hits]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if RELEVANCE_REPORTS:
        terminalreporter.section("search relevance")
        for report in RELEVANCE_REPORTS:
            terminalreporter.write_line(report)
