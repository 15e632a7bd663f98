"""Search: one interface (base.SearchBackend), a database backend always maintained in the
same transaction as the data, and Elasticsearch when ELASTICSEARCH_URL is set."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import current_app, has_app_context

from . import queue  # noqa: F401  (registers the search_queue table)
from .base import SearchBackend, SearchHit, SearchQuery, SearchResults, Suggestion
from .database import DatabaseBackend

__all__ = [
    "SearchBackend",
    "SearchHit",
    "SearchQuery",
    "SearchResults",
    "Suggestion",
    "get_backend",
    "external_index_changed",
    "refresh_index",
]


def get_backend() -> SearchBackend:
    """The configured backend for this app (cached on the app): Elasticsearch when
    ELASTICSEARCH_URL is set, else the database backend."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    backend = app.extensions.get("search_backend")
    if backend is None:
        backend = _make_backend(app.config)
        app.extensions["search_backend"] = backend
    return backend


def _make_backend(config: Any) -> SearchBackend:
    url = config.get("ELASTICSEARCH_URL")
    if not url:
        return DatabaseBackend()
    # Imported only when used: the client library is not needed for the database backend.
    from .elasticsearch import ElasticsearchBackend

    return ElasticsearchBackend(
        url,
        index_prefix=config.get("SEARCH_INDEX_PREFIX") or "spdirectory",
        timeout=float(config.get("SEARCH_TIMEOUT", 3.0)),
        write_timeout=float(config.get("SEARCH_WRITE_TIMEOUT", 2.0)),
        retry_after=float(config.get("SEARCH_RETRY_AFTER", 30.0)),
        client_options=config.get("ELASTICSEARCH_OPTIONS") or None,
    )


def external_index_changed(activity_ids: Iterable[int]) -> None:
    """Called after a commit: pass changed ids to an external backend, if any. The backend
    is made here if no search has made it yet, so no change is missed."""
    if not has_app_context():
        return
    hook = getattr(get_backend(), "enqueue", None)
    if hook is not None:
        hook(activity_ids)


def refresh_index() -> None:
    """Make every committed change visible to search now (tests and scripts). Nothing to do
    for the database backend, whose index commits with the data."""
    refresh = getattr(get_backend(), "refresh", None)
    if refresh is not None:
        refresh()
