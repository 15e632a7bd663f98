"""Query text: words, phrases and synonym expansion (synonyms are data: data/synonyms.txt)."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

_WORD = re.compile(r"[\w']+", re.UNICODE)


def words(text: str) -> list[str]:
    return [w.strip("'").lower() for w in _WORD.findall(text) if w.strip("'")]


@lru_cache(maxsize=1)
def synonym_groups() -> tuple[tuple[str, ...], ...]:
    raw = resources.files("spdirectory.search").joinpath("data/synonyms.txt").read_text("utf-8")
    groups = []
    for line in raw.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        terms = tuple(dict.fromkeys(" ".join(words(t)) for t in line.split(",") if words(t)))
        if len(terms) > 1:
            groups.append(terms)
    return tuple(groups)


@lru_cache(maxsize=1)
def _synonym_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, set[str]] = {}
    for group in synonym_groups():
        for term in group:
            index.setdefault(term, set()).update(group)
    return {term: tuple(sorted(alts)) for term, alts in index.items()}


def query_terms(text: str) -> list[tuple[str, ...]]:
    """The query as a list of alternatives per concept: every concept must match, any one of
    its alternatives will do. Multi-word synonyms ("men's shed") are matched greedily."""
    tokens = words(text)
    index = _synonym_index()
    longest = max((len(t.split()) for t in index), default=1)
    concepts: list[tuple[str, ...]] = []
    i = 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            phrase = " ".join(tokens[i : i + size])
            if phrase in index:
                concepts.append(index[phrase])
                i += size
                break
        else:
            concepts.append((tokens[i],))
            i += 1
    return concepts
