"""The SQLite in-memory columns (spdirectory/search/columns.py) answer exactly as SQL does,
and are never behind the database: after commits, deletes, rollbacks, a rebuild, or tables
emptied behind their back."""

from __future__ import annotations

import random
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from spdirectory import vocab
from spdirectory.directory.models import Activity
from spdirectory.extensions import db
from spdirectory.geo import lookup
from spdirectory.search import SearchQuery, get_backend
from spdirectory.search.columns import current_columns

POSTCODES = [
    "LS1 1BA", "LS1 4AP", "LS2 9JT", "LS6 1AA", "LS6 3AA", "LS9 6AA", "LS12 1AA",
    "LS12 3AA", "LS17 5AA", "LS28 5AA", "BD1 1AF", "BD1 1AG", "BD1 1HY", "M1 1AD", "M1 1AE",
]  # fmt: skip
WORDS = ["walking", "choir", "gardening", "befriending", "lonely", "debt", "art", "tea"]
DAYS = list(vocab.DAYS)
CATEGORIES = list(vocab.CATEGORIES)[:8]
NEEDS = list(vocab.NEEDS)[:6]


@pytest.fixture(autouse=True)
def _sqlite_only(db_backend: str, search_backend_name: str) -> None:
    if db_backend != "sqlite" or search_backend_name != "database":
        pytest.skip("the in-memory columns serve the database backend on SQLite only")


def _answer(app: Flask, query: SearchQuery, memory: bool) -> tuple[Any, ...]:
    app.config["SEARCH_MEMORY_COLUMNS"] = memory
    try:
        found = get_backend().search(query)
    finally:
        app.config["SEARCH_MEMORY_COLUMNS"] = True
    hits = [(h.activity_id, round(h.score, 9), h.distance_km) for h in found.hits]
    return found.total, hits, found.facets


def _random_listings(make: Any, rng: random.Random, count: int) -> None:
    organisations = [make.organisation() for _ in range(6)]
    for i in range(count):
        online = rng.random() < 0.1
        start = rng.randint(8, 19)
        fields = {
            "title": f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} group {i}",
            "description": " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))),
            "categories": ";".join(rng.sample(CATEGORIES, rng.randint(1, 3))),
            "needs": ";".join(rng.sample(NEEDS, rng.randint(0, 3))),
            "modes": "online" if online else rng.choice(["in_person", "in_person;phone"]),
            "postcode": "" if online else rng.choice(POSTCODES),
            "schedule": f"{rng.choice(DAYS).title()} {start:02d}:00-{start + 1:02d}:30",
            "cost": rng.choice(["free", "free", "2.50", ""]),
            "spare_places": str(rng.choice([0, 0, 1, 4])),
            "waitlist": rng.choice(["yes", "no"]),
            "kite_mark": rng.choice(list(vocab.KITE_MARK)),
        }
        make.activity(
            rng.choice(organisations),
            capacity_updated_at=make.days_ago(rng.randint(0, 60)),
            **fields,
        )
    make.commit()


def _random_query(rng: random.Random) -> SearchQuery:
    query = SearchQuery(with_facets=rng.random() < 0.8, page=rng.choice([1, 1, 2, 4]))
    query.per_page = rng.choice([5, 10, 20])
    if rng.random() < 0.5:
        query.text = rng.choice(WORDS)
    if rng.random() < 0.4:
        place = lookup(rng.choice(POSTCODES))
        query.near = (place.latitude, place.longitude)
        query.within_km = rng.choice([None, 1.0, 3.0, 10.0, 60.0])
    if rng.random() < 0.3:
        query.categories = rng.sample(CATEGORIES, rng.randint(1, 2))
    if rng.random() < 0.3:
        query.needs = rng.sample(NEEDS, 1)
    if rng.random() < 0.2:
        query.mode = rng.choice(list(vocab.MODES))
    if rng.random() < 0.2:
        query.day = rng.choice(DAYS)
    query.kite_mark = rng.choice([None, None, None, "awarded", "none"])
    query.available = rng.random() < 0.3
    query.free = rng.random() < 0.2
    sorts = ["relevance", "updated"] + (["distance"] if query.near else [])
    query.sort = rng.choice(sorts)  # type: ignore[assignment]
    return query


def test_the_columns_answer_exactly_as_sql(app: Flask, make: Any) -> None:
    rng = random.Random(20261203)
    _random_listings(make, rng, 160)
    assert current_columns(db.session.connection()) is not None
    differences = []
    for _ in range(300):
        query = _random_query(rng)
        memory, sql = _answer(app, query, True), _answer(app, query, False)
        if memory != sql:
            differences.append((query, memory, sql))
    assert not differences, differences[:2]
    # The cases were not all empty: most found something, many with several pages.
    assert sum(_answer(app, _random_query(rng), True)[0] > 0 for _ in range(50)) > 25


def _ids(**kwargs: Any) -> list[int]:
    query = SearchQuery(per_page=100, **kwargs)
    return [h.activity_id for h in get_backend().search(query).hits]


def test_committed_changes_are_searchable_at_once(app: Flask, make: Any) -> None:
    first = make.activity(title="Canal walk", spare_places="0", waitlist="no")
    second = make.activity(title="Park walk", spare_places="2")
    make.commit()
    assert _ids(available=True) == [second.id]  # columns loaded here

    first.spare_places = 3
    make.commit()
    assert sorted(_ids(available=True)) == sorted([first.id, second.id])

    second.title = "Riverside choir"
    make.commit()
    assert _ids(text="choir", available=True) == [second.id]

    second.status = "archived"
    make.commit()
    assert _ids(available=True) == [first.id]

    db.session.delete(db.session.get(Activity, first.id))
    make.commit()
    assert _ids() == []


def test_uncommitted_index_writes_are_answered_in_sql_and_roll_back(
    app: Flask, make: Any
) -> None:
    listing = make.activity(title="Knit and natter", spare_places="0", waitlist="no")
    make.commit()
    assert _ids(available=True) == []

    listing.spare_places = 5
    db.session.flush()  # written to the index, not committed
    assert current_columns(db.session.connection()) is None
    assert _ids(available=True) == [listing.id]  # this transaction sees its own change
    db.session.rollback()

    assert current_columns(db.session.connection()) is not None
    assert _ids(available=True) == []  # nothing of the rolled-back change was kept


def test_a_rebuild_reloads_every_process(app: Flask, make: Any) -> None:
    listing = make.activity(title="Chair yoga")
    make.commit()
    before = _answer(app, SearchQuery(text="yoga"), True)
    token = db.session.execute(text("SELECT token FROM search_revision")).scalar_one()
    db.session.commit()

    get_backend().rebuild()
    after_token = db.session.execute(text("SELECT token FROM search_revision")).scalar_one()
    db.session.commit()
    assert after_token != token
    assert db.session.execute(text("SELECT count(*) FROM search_removal")).scalar_one() == 0
    db.session.commit()
    assert _answer(app, SearchQuery(text="yoga"), True) == before
    assert _ids() == [listing.id]


def test_tables_emptied_behind_the_columns_back_are_noticed(app: Flask, make: Any) -> None:
    old = make.activity(title="Old listing")
    make.commit()
    assert _ids() == [old.id]

    # As the test fixtures do between tests: every table emptied with plain SQL.
    for table in ("search_revision", "search_removal", "search_document", "search_fts"):
        db.session.execute(text(f"DELETE FROM {table}"))
    db.session.execute(text("DELETE FROM activity_session"))
    db.session.execute(text("DELETE FROM activity"))
    db.session.commit()
    assert _ids() == []

    new = make.activity(title="New listing")
    make.commit()
    assert _ids() == [new.id]
