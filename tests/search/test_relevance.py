"""Relevance evaluation: how well does search rank a realistic directory for the words a
link worker types? A regression guard, not a proof of quality.

The data: 300 listings made by the demo generator (spdirectory.demo.generate), frozen in
data/relevance_listings.csv (see make_relevance_data.py) so that the numbers move only when
search does, and imported through the real importer.

The judgements are made without looking at any text the search engine sees. Each query
has a rule over what the generator *meant* each listing to be: its categories and needs
(codes), its minimum age, and its kind (walking group, men's shed, memory café…, recovered
from the generator's title templates when the file was written). A grade is 2 (exactly
what was asked for), 1 (related: a link worker might offer it) or 0.

Metrics, per query and averaged over queries:
- nDCG@10 with gain 2^grade - 1 and the ideal ranking of all judged listings;
- recall@10 = relevant (grade >= 1) listings in the top 10 / min(10, number relevant), so a
  perfect top 10 scores 1 even when more than 10 listings are relevant.

The measured values are printed (`pytest -s`), written to the terminal summary, and must
stay above THRESHOLDS, set a little under what was measured when the suite was written.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from spdirectory.directory.importer import Importer
from spdirectory.directory.models import Activity
from spdirectory.extensions import db
from spdirectory.search import SearchBackend, SearchQuery

from .conftest import RELEVANCE_REPORTS, refresh
from .make_relevance_data import PATH, SIZE

K = 10

# Backend → (mean nDCG@10, mean recall@10) that must be reached: a little under the values
# measured when this was written (see the report in the terminal summary). Elasticsearch has
# not been measured here (no server): its floor is a guess, to be raised once measured.
THRESHOLDS: dict[str, tuple[float, float]] = {
    "sqlite": (0.88, 0.88),  # measured 0.903, 0.903
    "postgresql": (0.87, 0.86),  # measured 0.896, 0.887
    "elasticsearch": (0.80, 0.75),  # not measured: a floor until it is
}

# No single query may fall below this nDCG@10 (a mean can hide one that collapses), except
# the known gaps, which words alone cannot answer.
QUERY_FLOOR = 0.4
KNOWN_GAPS = {
    # Listings say "For adults aged 50 and over", never "older": age is a filter (the
    # matching API takes the person's age), not something to find by words.
    "exercise for older people",
}


@dataclass(frozen=True)
class Listing:
    """What the generator meant a listing to be (the ground truth for judging)."""

    kind: str
    categories: frozenset[str]
    needs: frozenset[str]
    age_min: int | None


Rule = Callable[[Listing], int]


def grade(
    exact: Callable[[Listing], bool], related: Callable[[Listing], bool] | None = None
) -> Rule:
    def rule(item: Listing) -> int:
        if exact(item):
            return 2
        return 1 if related is not None and related(item) else 0

    return rule


def cat(*codes: str) -> Callable[[Listing], bool]:
    return lambda item: bool(item.categories & set(codes))


def need(*codes: str) -> Callable[[Listing], bool]:
    return lambda item: bool(item.needs & set(codes))


def kind(*names: str) -> Callable[[Listing], bool]:
    return lambda item: item.kind in names


def both(*tests: Callable[[Listing], bool]) -> Callable[[Listing], bool]:
    return lambda item: all(t(item) for t in tests)


def older(item: Listing) -> bool:
    return item.age_min is not None and item.age_min >= 50


ACTIVE = cat("physical_activity", "sport", "dance_movement", "walking")

# The words a link worker might type, with the rule that says which listings answer them.
QUERIES: dict[str, Rule] = {
    "singing for lonely people": grade(both(cat("music_singing"), need("loneliness")),
                                       cat("music_singing")),
    "choir": grade(cat("music_singing")),
    "walking group": grade(cat("walking")),
    "walking football": grade(kind("walking_football"), cat("sport")),
    "debt advice": grade(cat("advice_money"), both(need("money_debt"), cat("advice_housing"))),
    "benefits advice": grade(cat("advice_money")),
    "housing advice": grade(cat("advice_housing"), need("housing")),
    "men's shed": grade(kind("mens_shed")),
    "dementia cafe": grade(kind("dementia_cafe"), need("memory_dementia")),
    # A gentle class that can be done seated: chair-based exercise, or yoga/tai chi/pilates.
    "chair yoga": grade(kind("tai_chi", "chair_exercise")),
    "tai chi": grade(kind("tai_chi")),
    "exercise for older people": grade(both(ACTIVE, older), ACTIVE),
    "allotment": grade(cat("gardening"), cat("green_nature")),
    "befriending": grade(cat("befriending")),
    "bereavement support": grade(both(need("bereavement"), cat("peer_support")),
                                 need("bereavement")),
    "support for carers": grade(cat("carers_support"), need("carer_strain")),
    "art class": grade(cat("arts_crafts")),
    "help getting online": grade(cat("digital_skills"), need("digital_exclusion")),
    "job club": grade(cat("employment_support"), need("employment")),
    "anxiety": grade(both(need("anxiety_stress"), cat("mental_wellbeing", "peer_support")),
                     need("anxiety_stress")),
    "low mood": grade(both(need("low_mood"), cat("mental_wellbeing", "peer_support")),
                      need("low_mood")),
    "mental health peer support": grade(both(cat("peer_support"), cat("mental_wellbeing")),
                                        cat("peer_support", "mental_wellbeing")),
    "lunch club": grade(cat("food_cooking"), kind("faith_lunch")),
    "cooking on a budget": grade(both(cat("food_cooking"), need("money_debt")),
                                 cat("food_cooking")),
    "parent and toddler group": grade(cat("family_parenting"), need("parenting")),
    "volunteering": grade(cat("volunteering")),
}  # fmt: skip


def ndcg_at(grades_in_order: list[int], all_grades: list[int], k: int = K) -> float:
    def dcg(grades: list[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:k]))

    ideal = dcg(sorted(all_grades, reverse=True))
    return dcg(grades_in_order) / ideal if ideal else 0.0


def recall_at(grades_in_order: list[int], relevant: int, k: int = K) -> float:
    return sum(1 for g in grades_in_order[:k] if g > 0) / min(k, relevant)


def test_metrics_are_computed_correctly() -> None:
    assert ndcg_at([2, 1, 0], [2, 1, 0, 0]) == pytest.approx(1.0)
    assert ndcg_at([0, 2], [2]) == pytest.approx(1 / math.log2(3))
    assert ndcg_at([0, 0], [1]) == 0.0
    assert recall_at([1, 0, 2] + [0] * 10, relevant=4) == pytest.approx(0.5)
    assert recall_at([1] * 12, relevant=30) == 1.0  # capped: ten of thirty is a perfect top 10


def load_rows() -> list[dict[str, str]]:
    with PATH.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def ground_truth(rows: list[dict[str, str]]) -> dict[str, Listing]:
    """External id → what the generator meant the listing to be (no search involved)."""
    return {
        row["external_id"]: Listing(
            kind=row["kind"],
            categories=frozenset(row["categories"].split(";")),
            needs=frozenset(row["needs"].split(";")) - {""},
            age_min=int(row["age_min"]) if row["age_min"] else None,
        )
        for row in rows
    }


def test_every_query_has_relevant_listings() -> None:
    truth = ground_truth(load_rows())
    assert len(truth) == SIZE
    kinds = {item.kind for item in truth.values()}
    assert {"mens_shed", "dementia_cafe", "tai_chi", "chair_exercise", "walking"} <= kinds
    for text, rule in QUERIES.items():
        grades = [rule(item) for item in truth.values()]
        assert grades.count(2) >= 1 and sum(1 for g in grades if g) >= 2, text


@pytest.fixture
def judged(search_backend: SearchBackend) -> dict[int, Listing]:
    """Import the frozen listings; return activity id → what the generator meant."""
    rows = load_rows()
    listings = [{k: v for k, v in row.items() if k != "kind"} for row in rows]
    report = Importer(source="relevance", honour_kite_mark=True).run(enumerate(listings, 2))
    assert not report.errors, report.errors[:3]
    db.session.commit()
    refresh()
    ids = dict(
        db.session.execute(
            select(Activity.external_id, Activity.id).where(Activity.source == "relevance")
        ).all()
    )
    return {ids[external_id]: item for external_id, item in ground_truth(rows).items()}


def test_relevance(
    judged: dict[int, Listing], search_backend: SearchBackend, backend_id: str
) -> None:
    lines = [f"{'query':<28} {'rel':>4} {'hits':>5} {'nDCG@10':>8} {'R@10':>6}"]
    ndcgs, recalls = [], []
    weak: list[str] = []
    for text, rule in QUERIES.items():
        grades_by_id = {i: rule(item) for i, item in judged.items()}
        relevant = sum(1 for g in grades_by_id.values() if g > 0)
        results = search_backend.search(SearchQuery(text=text, per_page=K, with_facets=False))
        ranked = [grades_by_id.get(hit.activity_id, 0) for hit in results.hits]
        n = ndcg_at(ranked, list(grades_by_id.values()))
        r = recall_at(ranked, relevant)
        ndcgs.append(n)
        recalls.append(r)
        if n < QUERY_FLOOR and text not in KNOWN_GAPS:
            weak.append(f"{text!r} ({n:.3f})")
        lines.append(f"{text:<28} {relevant:>4} {results.total:>5} {n:>8.3f} {r:>6.3f}")
    mean_ndcg = sum(ndcgs) / len(ndcgs)
    mean_recall = sum(recalls) / len(recalls)
    summary = (
        f"search relevance [{backend_id}]: nDCG@10 {mean_ndcg:.3f}, recall@10 "
        f"{mean_recall:.3f} over {len(QUERIES)} queries and {SIZE} listings"
    )
    lines.append(summary)
    print("\n" + "\n".join(lines))
    RELEVANCE_REPORTS.append("\n".join(lines))

    floor_ndcg, floor_recall = THRESHOLDS[backend_id]
    assert mean_ndcg >= floor_ndcg, summary
    assert not weak, f"nDCG@10 under {QUERY_FLOOR} for " + ", ".join(weak)
    assert mean_recall >= floor_recall, summary
