"""Search: one interface (base.SearchBackend), a database backend always maintained in the
same transaction as the data, and Elasticsearch when ELASTICSEARCH_URL is set."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app, has_app_context

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
]


def get_backend() -> SearchBackend:
    """The configured backend for this app (cached on the app)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    backend = app.extensions.get("search_backend")
    if backend is None:
        backend = DatabaseBackend()
        app.extensions["search_backend"] = backend
    return backend


def external_index_changed(activity_ids: Iterable[int]) -> None:
    """Called after a commit: pass changed ids to an external backend, if any."""
    if not has_app_context():
        return
    backend = current_app.extensions.get("search_backend")
    hook = getattr(backend, "enqueue", None)
    if hook is not None:
        hook(activity_ids)
