"""What the speed work (migration 0012, docs/performance.md) must not change: the suggestion
table stays exactly the distinct titles and organisation names of the index whatever
writes it, the facet counts stay those of the matching rows, and the API's search page
carries the same fields as an activity's own summary."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Flask
from sqlalchemy import delete, select

from spdirectory.api.serialise import activity_summary
from spdirectory.directory.models import Activity, Organisation
from spdirectory.extensions import db
from spdirectory.search import SearchQuery, get_backend
from spdirectory.search.models import search_document as doc
from spdirectory.search.models import search_suggestion as sug


def _suggestions() -> dict[tuple[str, str], int]:
    rows = db.session.execute(select(sug.c.kind, sug.c.value, sug.c.uses)).all()
    return {(kind, value): uses for kind, value, uses in rows}


def _expected() -> dict[tuple[str, str], int]:
    rows = db.session.execute(select(doc.c.title, doc.c.organisation)).all()
    counts: Counter[tuple[str, str]] = Counter()
    for title, organisation in rows:
        counts["activity", title] += 1
        counts["organisation", organisation] += 1
    return dict(counts)


def test_suggestion_table_follows_every_write(app: Flask, make: Any) -> None:
    shed = make.organisation("Hyde Park Men's Shed")
    walks = make.organisation("Leeds Walks")
    a = make.activity(shed, title="Woodwork (Tuesdays)")
    make.activity(shed, title="Woodwork (Tuesdays)")
    c = make.activity(walks, title="Health Walk")
    make.commit()
    assert _suggestions() == _expected()
    assert _suggestions()["activity", "Woodwork (Tuesdays)"] == 2
    words = db.session.scalar(select(sug.c.words).where(sug.c.value == "Woodwork (Tuesdays)"))
    assert words == " woodwork  tuesdays)"

    c.title = "Nordic Walk"  # an update
    walks.name = "Leeds Walking Network"  # reindexes every activity of the organisation
    make.commit()
    assert ("activity", "Health Walk") not in _suggestions()
    assert _suggestions() == _expected()

    a.status = "archived"  # leaves the index
    make.commit()
    assert _suggestions()["activity", "Woodwork (Tuesdays)"] == 1
    assert _suggestions() == _expected()

    # A plain DELETE that cascades (ON DELETE CASCADE) to the activities and their index rows:
    # no flush hook sees it, the triggers do.
    db.session.execute(delete(Organisation).where(Organisation.id == shed.id))
    make.commit()
    assert _suggestions() == _expected()
    assert {kind for kind, _ in _suggestions()} == {"activity", "organisation"}
    assert get_backend().suggest("wood") == []
    assert [s.label for s in get_backend().suggest("nord")] == ["Nordic Walk"]

    assert get_backend().rebuild() == 1
    assert (
        _suggestions()
        == _expected()
        == {
            ("activity", "Nordic Walk"): 1,
            ("organisation", "Leeds Walking Network"): 1,
        }
    )


def test_suggest_word_starts_after_space_dash_and_bracket(app: Flask, make: Any) -> None:
    org = make.organisation("Tea-Dance Friends")
    make.activity(org, title="Chair yoga (seated)")
    make.activity(org, title="Indoor bowls")
    make.commit()
    backend = get_backend()
    assert [s.label for s in backend.suggest("seat")] == ["Chair yoga (seated)"]
    found = backend.suggest("danc")
    assert [s.label for s in found if s.type == "organisation"] == ["Tea-Dance Friends"]
    assert [s.label for s in backend.suggest("chair yog")] == ["Chair yoga (seated)"]
    assert [s for s in backend.suggest("door") if s.type != "category"] == []  # mid-word
    assert backend.suggest("eated") == []


def test_facet_counts_are_those_of_the_matching_rows(app: Flask, make: Any) -> None:
    org = make.organisation()
    make.activity(
        org,
        categories="walking;gardening",
        needs="loneliness",
        schedule="Mon 10:00-11:00; Sat 09:00-10:00",
    )
    make.activity(org, categories="walking", needs="low_mood;loneliness", kite_mark="awarded")
    make.activity(org, categories="music_singing", needs="loneliness", schedule="Sat 10:00-11:00")
    make.commit()
    results = get_backend().search(SearchQuery(categories=["walking", "music_singing"]))
    assert results.total == 3
    assert results.facets["category"] == {"walking": 2, "gardening": 1, "music_singing": 1}
    assert results.facets["need"] == {"loneliness": 3, "low_mood": 1}
    assert results.facets["day"] == {"sat": 2, "tue": 1, "mon": 1}
    assert results.facets["kite_mark"] == {"none": 2, "awarded": 1}
    only = get_backend().search(SearchQuery(needs=["low_mood"]))
    assert (only.total, only.facets["category"]) == (1, {"walking": 1})
    none = get_backend().search(SearchQuery(needs=["bereavement"]))
    assert (none.total, none.facets) == (0, {})
    without = get_backend().search(SearchQuery(categories=["walking"], with_facets=False))
    assert (without.total, without.facets) == (2, {})


def test_api_results_are_activity_summaries(app: Flask, make: Any) -> None:
    org = make.organisation("Leeds Walks")
    make.activity(org, title="Health Walk", postcode="LS1 1AZ", cost="2.50", waitlist="yes")
    make.activity(org, title="Evening Walk", schedule="Thu 18:30-20:00")
    make.commit()
    body = app.test_client().get("/api/v1/activities?near=LS1 1AZ&within_km=5").get_json()
    assert body["total"] == 2
    for result in body["results"]:
        activity = db.session.get(Activity, result["id"])
        assert activity is not None
        expected = activity_summary(activity, result["distance_km"])
        assert result == expected
