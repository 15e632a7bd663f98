"""Query text: words, phrases and synonym expansion (synonyms are data: data/synonyms.txt)."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

# Letters and digits (not "_", which LIKE would read as a wildcard), apostrophes inside.
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")

# PostgreSQL's English stop words (tsearch_data/english.stop, the Snowball list). PostgreSQL
# drops them from every query; dropping them here too means "walking for health" needs the
# same words on every backend (SQLite FTS5 has no stop words and would demand "for").
_STOP_WORDS = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which
    who whom this that these those am is are was were be been being have has had having do
    does did doing a an the and but if or because as until while of at by for with about
    against between into through during before after above below to from up down in out on
    off over under again further then once here there when where why how all any both each
    few more most other some such no nor not only own same so than too very s t can will
    just don should now"""
STOP_WORDS = frozenset(_STOP_WORDS.split())

# Words that name the form of provision rather than its subject. Link workers type "walking
# group", "art class", "job club", "bereavement support", but listings seldom repeat the
# word: requiring it found not one of the walking groups for "walking group" (see
# tests/search/test_relevance.py). Like stop words they are dropped when the query says
# anything else, and kept when it is all there is ("support group").
_FILLER_WORDS = """
    group groups club clubs class classes session sessions course courses service services
    activity activities programme programmes scheme schemes people person someone help
    support local near nearby"""
FILLER_WORDS = frozenset(_FILLER_WORDS.split())


def words(text: str) -> list[str]:
    # Phones and word processors type the curly apostrophe: "men’s shed" is "men's shed".
    return [w.lower() for w in _WORD.findall(text.replace("\u2019", "'"))]


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


def _singulars(phrase: str) -> list[str]:
    """Singular forms to try for a phrase's last word ("allotments", "hobbies", "classes"),
    so a plural finds the synonyms of its singular; stemming alone does not link "singers"
    to "singing"."""
    head, _, last = phrase.rpartition(" ")
    prefix = head + " " if head else ""
    options = []
    if last.endswith("ies") and len(last) > 4:
        options.append(last[:-3] + "y")
    if last.endswith("es") and len(last) > 3:
        options.append(last[:-2])
    if last.endswith("s") and not last.endswith("ss") and len(last) > 3:
        options.append(last[:-1])
    return [prefix + o for o in options]


def _lookup(index: dict[str, tuple[str, ...]], phrase: str) -> tuple[str, ...] | None:
    if phrase in index:
        return index[phrase]
    for singular in _singulars(phrase):
        if singular in index:
            return tuple(sorted({phrase, *index[singular]}))
    return None


def query_terms(text: str) -> list[tuple[str, ...]]:
    """The query as a list of alternatives per concept: every concept must match, any one of
    its alternatives will do. Multi-word synonyms ("men's shed") are matched greedily; stop
    words and filler words ("group", "support") are left out unless the query is nothing
    else."""
    tokens = words(text)
    index = _synonym_index()
    longest = max((len(t.split()) for t in index), default=1)
    concepts: list[tuple[str, ...]] = []
    i = 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            phrase = " ".join(tokens[i : i + size])
            alternatives = _lookup(index, phrase)
            if alternatives is not None:
                concepts.append(alternatives)
                i += size
                break
        else:
            concepts.append((tokens[i],))
            i += 1
    not_stop = [c for c in concepts if not (len(c) == 1 and c[0] in STOP_WORDS)]
    subject = [c for c in not_stop if not (len(c) == 1 and c[0] in FILLER_WORDS)]
    return subject or not_stop or concepts
