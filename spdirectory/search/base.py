"""The search interface every backend implements, and its query and result types."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Sort = Literal["relevance", "distance", "updated"]
FACET_NAMES = ("category", "need", "mode", "day", "kite_mark")


@dataclass
class SearchQuery:
    text: str = ""
    categories: list[str] = field(default_factory=list)  # any of
    needs: list[str] = field(default_factory=list)  # any of
    mode: str | None = None
    day: str | None = None
    kite_mark: str | None = None
    available: bool = False  # spare places or an open waiting list
    free: bool = False
    organisation_id: int | None = None
    near: tuple[float, float] | None = None  # (latitude, longitude)
    within_km: float | None = None  # needs `near`
    sort: Sort = "relevance"
    page: int = 1
    per_page: int = 20
    with_facets: bool = True


@dataclass
class SearchHit:
    activity_id: int
    score: float
    distance_km: float | None = None


@dataclass
class SearchResults:
    total: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    backend: str = ""
    # Shown to the user when results come from a fallback (e.g. Elasticsearch is down).
    notice: str | None = None


@dataclass
class Suggestion:
    label: str
    type: Literal["activity", "category", "organisation"]
    value: str


class SearchBackend(ABC):
    """Index and query published activities. The database is the source of truth: every
    backend can be rebuilt from it with rebuild()."""

    name: str = "base"

    @abstractmethod
    def search(self, query: SearchQuery) -> SearchResults: ...

    @abstractmethod
    def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]: ...

    @abstractmethod
    def index(self, activity_ids: Iterable[int]) -> None:
        """Bring these activities' index entries in line with the database (add, update or
        remove: an unpublished or deleted activity leaves the index)."""

    @abstractmethod
    def rebuild(self) -> int:
        """Rebuild the whole index from the database; returns the number of documents."""
