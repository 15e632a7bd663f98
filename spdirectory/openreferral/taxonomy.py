"""Our vocabularies (`spdirectory/vocab.py`) published as Open Referral taxonomies.

Every taxonomy and term has a UUID derived (uuid5) from its stable code, never from a
database row, so the ids stay the same across restarts, reindexing and fresh databases, and
another directory that maps our terms once keeps that mapping. Labels may change; codes and
therefore ids may not.

Besides the shared vocabularies, two taxonomies describe live state that a link worker needs:
`availability` (spare places, waiting list open, full) and `kite_mark` (quality mark status).
Services carry them as attributes (see serialise.py and docs/openreferral.md).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import lru_cache

from .. import vocab

# Fixed for ever: changing it would change every published id.
NAMESPACE = uuid.UUID("4f0c2a1e-7d3b-5c8e-9a61-2b5d0e7f3c94")


def stable_id(*keys: str) -> str:
    """A UUID (string) derived from stable keys, e.g. stable_id("location", activity_uuid)."""
    return str(uuid.uuid5(NAMESPACE, ":".join(keys)))


@dataclass(frozen=True)
class Taxonomy:
    """One of our vocabularies as a flat (one-level) Open Referral taxonomy."""

    key: str  # stable code of the vocabulary, part of every id below
    name: str
    description: str
    terms: dict[str, str] = field(default_factory=dict)  # code -> label

    @property
    def id(self) -> str:
        return stable_id("taxonomy", self.key)

    def term_id(self, code: str) -> str:
        return term_id(self.key, code)


def term_id(taxonomy_key: str, code: str) -> str:
    """The published UUID of a term: stable for a (taxonomy, code) pair."""
    return stable_id("taxonomy_term", taxonomy_key, code)


AVAILABILITY: dict[str, str] = {
    "has_space": "Has spare places",
    "waitlist_open": "Full, waiting list open",
    "full": "Full, waiting list closed",
}

TAXONOMIES: dict[str, Taxonomy] = {
    t.key: t
    for t in (
        Taxonomy(
            "categories",
            "spdirectory activity categories",
            "What kind of activity this is (social prescribing categories).",
            vocab.CATEGORIES,
        ),
        Taxonomy(
            "needs",
            "spdirectory needs",
            "The needs an activity can help with, as link workers record them.",
            vocab.NEEDS,
        ),
        Taxonomy(
            "modes",
            "spdirectory delivery modes",
            "How the activity is delivered: in person, online or by phone.",
            vocab.MODES,
        ),
        Taxonomy(
            "referral_routes",
            "spdirectory referral routes",
            "Who can join: anyone, or by referral from a link worker.",
            vocab.REFERRAL_ROUTES,
        ),
        Taxonomy(
            "kite_mark",
            "spdirectory kite mark",
            "Quality assurance (kite mark) status of the listing.",
            vocab.KITE_MARK,
        ),
        Taxonomy(
            "availability",
            "spdirectory availability",
            "Whether the activity has spare places now; the attribute value of "
            "'has_space' is the number of spare places.",
            AVAILABILITY,
        ),
    )
}

# Reverse index: published term id -> (taxonomy key, code).
TERMS_BY_ID: dict[str, tuple[str, str]] = {
    t.term_id(code): (t.key, code) for t in TAXONOMIES.values() for code in t.terms
}
TAXONOMIES_BY_ID: dict[str, Taxonomy] = {t.id: t for t in TAXONOMIES.values()}


def taxonomy_json(taxonomy: Taxonomy) -> dict[str, object]:
    """A taxonomy as ORUK 3.0 `taxonomy.json`."""
    return {
        "id": taxonomy.id,
        "name": taxonomy.name,
        "description": taxonomy.description,
        "version": "1",
    }


@lru_cache(maxsize=1024)
def term_json(taxonomy_key: str, code: str) -> dict[str, object]:
    """A term as ORUK 3.0 `taxonomy_term.json` (plus HSDS 3.0 `code`, our stable code).

    Cached and shared between services: callers must not modify the returned dict."""
    taxonomy = TAXONOMIES[taxonomy_key]
    label = vocab.label(taxonomy.terms, code)
    return {
        "id": taxonomy.term_id(code),
        "code": code,
        "name": label,
        "description": label,
        "taxonomy": taxonomy.name,
        "taxonomy_id": taxonomy.id,
        "term": code,
    }


def all_terms() -> list[tuple[str, str]]:
    """Every (taxonomy key, code) in publishing order."""
    return [(t.key, code) for t in TAXONOMIES.values() for code in t.terms]
