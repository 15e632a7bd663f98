"""Search conformance: the same cases against every backend present (see conftest.py).

The data set is in dataset.py; expected results are written out by hand where a person can
check them, and cross-checked against the plain-Python reference filter there.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spdirectory.directory.capacity import update_capacity
from spdirectory.directory.listing import apply_listing, parse_listing
from spdirectory.extensions import db
from spdirectory.geo import lookup
from spdirectory.search import SearchBackend, SearchQuery, SearchResults
from spdirectory.search.text import query_terms, synonym_groups

from . import dataset
from .conftest import commit, hit_ids, refresh, run
from .dataset import PUBLISHED_KEYS, DataSet, haversine_km, reference_facets, reference_filter

LS1 = lookup("LS1 1AZ")  # Leeds city centre
BD1 = lookup("BD1 1AF")  # Bradford, 12 km west
LS6 = lookup("LS6 1AA")  # Headingley


@pytest.fixture
def data(search_backend: SearchBackend) -> DataSet:
    built = dataset.build()
    commit()
    return built


def keys_for(data: DataSet, backend: SearchBackend, **fields: Any) -> set[str]:
    results = run(backend, **fields)
    found = hit_ids(results)
    assert len(found) == len(set(found)), f"duplicate hits: {found}"
    assert results.total == len(found), "total disagrees with the hits (per_page is 100)"
    return data.keys(found)


def nonzero(facets: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Facets without zero counts (a backend may or may not report empty buckets)."""
    cleaned = {name: {k: v for k, v in counts.items() if v} for name, counts in facets.items()}
    return {name: counts for name, counts in cleaned.items() if counts}


# ---- browsing and full text ----------------------------------------------------------------


def test_browse_returns_every_published_activity(
    data: DataSet, search_backend: SearchBackend
) -> None:
    assert keys_for(data, search_backend) == PUBLISHED_KEYS
    assert not {"draft", "archived"} & PUBLISHED_KEYS


def test_full_text_searches_every_field(data: DataSet, search_backend: SearchBackend) -> None:
    cases = {
        "towpath": {"canal"},  # title and description
        "Woodhouse": {"hyde_walk"},  # description only (the draft says it too)
        "asthma": {"breath"},  # description only
        "ramblers": {"hyde_walk", "nordic"},  # organisation name only
        "culture": {"mcr_walk"},  # category label "Heritage and culture" only
        "strain": {"memory_cafe"},  # need label "Carer strain" only
        "TOWPATH": {"canal"},  # case does not matter
        "cafe": {"woodwork", "memory_cafe"},  # accents do not matter: both say "Café"
    }
    for text, expected in cases.items():
        assert keys_for(data, search_backend, text=text) == expected, text


def test_stemming(data: DataSet, search_backend: SearchBackend) -> None:
    # Both stemmers (Porter on SQLite, Snowball English on PostgreSQL) reduce these alike.
    assert "nordic" in keys_for(data, search_backend, text="walks")  # only says "Walking"
    assert keys_for(data, search_backend, text="stretch") == {"chair_yoga"}  # "stretches"
    assert keys_for(data, search_backend, text="repairs") == {"woodwork", "tenancy"}
    assert keys_for(data, search_backend, text="advisers") == {"debt"}
    # "singers" and "singing" do not share a stem ("singer" vs "sing"), so "singers" reaches
    # singing through the synonyms: the plural of a synonym ("singer") counts as it.
    singers = keys_for(data, search_backend, text="singers")
    assert {"choir", "breath", "brain"} <= singers  # brain is not run by Armley Singers


SYNONYM_CASES = [
    # query, expected; each includes an activity whose text lacks the query word
    ("choir", {"choir", "breath", "brain"}),
    ("chorus", {"choir", "breath", "brain"}),
    ("rambling", {"hyde_walk", "nordic", "canal", "mcr_walk", "football"}),
    ("hike", {"hyde_walk", "nordic", "canal", "mcr_walk", "football"}),
    ("allotment", {"allotment", "seed"}),
    ("allotments", {"allotment", "seed"}),
    ("men's shed", {"shed", "woodwork"}),
    ("mens shed", {"shed", "woodwork"}),
    ("men\u2019s shed", {"shed", "woodwork"}),  # the curly apostrophe phones type
    ("woodwork", {"shed", "woodwork"}),
    ("DIY", {"shed", "woodwork"}),
    ("companionship", {"phone_befriend", "visits"}),
    ("befriending", {"phone_befriend", "visits"}),
    ("alzheimer's", {"memory_cafe", "brain"}),
    ("qigong", {"tai_chi"}),
    ("money advice", {"debt", "benefits", "tenancy", "lunch"}),  # need "Money and debt"
]


def test_synonyms(data: DataSet, search_backend: SearchBackend) -> None:
    for text, expected in SYNONYM_CASES:
        assert keys_for(data, search_backend, text=text) == expected, text
    lonely = {r.key for r in data.published() if "loneliness" in r.needs}
    assert keys_for(data, search_backend, text="isolated") == lonely  # need "Loneliness"


def test_every_synonym_group_expands_to_itself() -> None:
    """Each term of data/synonyms.txt stands for its whole group (one concept, all
    alternatives), so an edit to the file that breaks a line shows up here."""
    groups = synonym_groups()
    assert len(groups) >= 20
    for group in groups:
        for term in group:
            concepts = query_terms(term)
            assert len(concepts) == 1, (term, concepts)
            assert set(group) <= set(concepts[0]), (term, concepts)


def test_words_are_and_ed(data: DataSet, search_backend: SearchBackend) -> None:
    assert keys_for(data, search_backend, text="walk canal") == {"canal"}
    assert keys_for(data, search_backend, text="walking Manchester") == {"mcr_walk"}
    assert keys_for(data, search_backend, text="singing dementia") == {"brain"}
    assert keys_for(data, search_backend, text="choir Bradford") == set()


def test_stop_words_and_filler_words_do_not_have_to_match(
    data: DataSet, search_backend: SearchBackend
) -> None:
    # "for" and "the" are in no document's index on PostgreSQL: every backend ignores them.
    assert keys_for(data, search_backend, text="singing for the brain") == {"brain"}
    # "help", "group", "club", "support"… say how, not what: no walking listing says "group".
    debts = keys_for(data, search_backend, text="debts")
    assert debts == {"debt", "benefits", "tenancy", "lunch"}  # with the debt synonyms
    assert keys_for(data, search_backend, text="help with debts") == debts
    walking = keys_for(data, search_backend, text="walking")
    assert keys_for(data, search_backend, text="walking group") == walking
    assert keys_for(data, search_backend, text="walking club near me") == walking
    # When that is all there is, the words count ("Carers' support", "Social group").
    assert keys_for(data, search_backend, text="support group") == {"memory_cafe"}


def test_nonsense_finds_nothing(data: DataSet, search_backend: SearchBackend) -> None:
    for text in ("xyzzyplugh", "walking xyzzyplugh", "qwertyuiop asdfgh"):
        results = run(search_backend, text=text)
        assert results.total == 0 and results.hits == [], text


def test_title_match_ranks_above_description_match(
    data: DataSet, search_backend: SearchBackend
) -> None:
    # "Woodwork and Repair Café" against tenancy's "…repairs and eviction notices".
    assert hit_ids(run(search_backend, text="repair")) == [data.id("woodwork"), data.id("tenancy")]


# ---- filters -------------------------------------------------------------------------------


def test_filters(data: DataSet, search_backend: SearchBackend) -> None:
    org = data.organisations
    unavailable = {"nordic", "tenancy"}
    paid = {"choir", "nordic", "seed", "woodwork", "chair_yoga", "tai_chi", "lunch", "football"}
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"categories": ["gardening", "befriending"]}, {"allotment", "seed", "phone_befriend",
                                                        "visits"}),
        ({"needs": ["housing", "carer_strain"]}, {"tenancy", "memory_cafe"}),
        ({"mode": "phone"}, {"debt", "benefits", "phone_befriend"}),
        ({"mode": "online"}, {"mindfulness"}),
        ({"day": "sat"}, {"nordic", "tai_chi"}),
        ({"day": "thu"}, {"mcr_walk", "tenancy", "shed", "memory_cafe", "brain"}),
        ({"kite_mark": "pending"}, {"breath", "allotment", "seed", "brain"}),
        ({"kite_mark": "suspended"}, {"football"}),
        ({"available": True}, PUBLISHED_KEYS - unavailable),
        ({"free": True}, PUBLISHED_KEYS - paid - {"jobs"}),  # jobs: cost unknown
        ({"organisation_id": org["growing"].id}, {"allotment", "seed"}),
        ({"categories": ["walking"], "free": True, "available": True},
         {"hyde_walk", "canal", "mcr_walk"}),
        ({"categories": ["walking"], "needs": ["weight"], "day": "sat"}, {"nordic"}),
        ({"mode": "online", "day": "mon"}, set()),
    ]  # fmt: skip
    for fields, expected in cases:
        assert {r.key for r in reference_filter(data.published(), SearchQuery(**fields))} == (
            expected
        ), f"the hand-written expectation is wrong: {fields}"
        assert keys_for(data, search_backend, **fields) == expected, fields


def test_text_and_filters_combine(data: DataSet, search_backend: SearchBackend) -> None:
    assert keys_for(data, search_backend, text="walking", day="sat") == {"nordic"}
    assert keys_for(data, search_backend, text="singing", free=True) == {"breath", "brain"}
    assert keys_for(data, search_backend, text="help", mode="phone") == {"debt"}
    assert keys_for(data, search_backend, text="help", mode="online") == set()
    assert keys_for(data, search_backend, text="help", categories=["advice_money"]) == {"debt"}


# ---- distance ------------------------------------------------------------------------------


def test_within_km(data: DataSet, search_backend: SearchBackend) -> None:
    near = (LS1.latitude, LS1.longitude)
    leeds_core = {"choir", "breath", "hyde_walk", "nordic", "debt", "benefits", "tenancy",
                  "woodwork", "phone_befriend", "visits", "memory_cafe", "chair_yoga",
                  "digital", "lunch", "brain", "football"}  # fmt: skip
    expected = {
        5.0: leeds_core,  # the farthest is LS17 5AA at 4.5 km
        10.0: leeds_core | {"tai_chi"},  # LS28 5AA, 8.4 km
        20.0: leeds_core | {"tai_chi", "canal", "allotment", "seed"},  # Bradford, 12.2-12.4 km
        100.0: PUBLISHED_KEYS - {"mindfulness"},  # Manchester, 56 km; online has no place
    }
    for km, keys in expected.items():
        query = SearchQuery(near=near, within_km=km)
        assert {r.key for r in reference_filter(data.published(), query)} == keys, km
        assert keys_for(data, search_backend, near=near, within_km=km) == keys, km
    assert keys_for(data, search_backend, near=near, within_km=5.0, text="walk") == {
        "hyde_walk", "nordic", "football"
    }  # fmt: skip


def test_distance_km_is_right(data: DataSet, search_backend: SearchBackend) -> None:
    near = (BD1.latitude, BD1.longitude)
    results = run(search_backend, near=near)
    assert results.total == len(PUBLISHED_KEYS)  # `near` alone filters nothing out
    rows = {r.id: r for r in data.published()}
    for hit in results.hits:
        row = rows[hit.activity_id]
        if row.latitude is None or row.longitude is None:
            assert hit.distance_km is None, row.key
            continue
        expected = haversine_km(near[0], near[1], row.latitude, row.longitude)
        assert hit.distance_km is not None, row.key
        assert hit.distance_km == pytest.approx(expected, rel=0.02, abs=0.01), row.key


def test_sort_by_distance(data: DataSet, search_backend: SearchBackend) -> None:
    results = run(search_backend, near=(LS6.latitude, LS6.longitude), sort="distance")
    assert results.total == len(PUBLISHED_KEYS)
    keys = [data.key(h.activity_id) for h in results.hits]
    distances = [h.distance_km for h in results.hits]
    located = [d for d in distances if d is not None]
    assert located == sorted(located)
    assert keys[0] == "hyde_walk"  # the same postcode
    # An activity with no place (online only) has no distance: it comes last, not first.
    assert keys[-1] == "mindfulness" and distances[-1] is None
    assert distances[:-1] == located


def test_relevance_with_near_prefers_the_closer_equal_match(
    make: Any, data: DataSet, search_backend: SearchBackend
) -> None:
    org = data.organisations["armley"]
    words = {"title": "Ukulele Circle", "description": "Strum along to easy songs."}
    leeds = make.activity(org, postcode="LS1 1BA", **words)
    bradford = make.activity(org, postcode="BD1 1AF", **words)
    commit()
    for place, first in ((LS1, leeds), (BD1, bradford)):
        ranked = hit_ids(
            run(search_backend, text="ukulele", near=(place.latitude, place.longitude))
        )
        assert ranked[0] == first.id and set(ranked) == {leeds.id, bradford.id}


def test_sort_by_updated(data: DataSet, search_backend: SearchBackend) -> None:
    expected = [
        r.id for r in sorted(data.published(), key=lambda r: r.capacity_updated_at, reverse=True)
    ]
    assert hit_ids(run(search_backend, sort="updated")) == expected
    walking = [i for i in expected if "walking" in data.rows[data.key(i)].categories]
    assert hit_ids(run(search_backend, sort="updated", categories=["walking"])) == walking


# ---- paging and facets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [{}, {"sort": "updated"}, {"text": "loneliness"}, {"near": (53.80, -1.56), "sort": "distance"}],
    ids=["browse", "updated", "text", "distance"],
)
def test_paging(data: DataSet, search_backend: SearchBackend, fields: dict[str, Any]) -> None:
    everything = run(search_backend, **fields)
    assert everything.total > 8  # three pages or more
    pages: list[SearchResults] = [
        search_backend.search(SearchQuery(page=n, per_page=4, **fields))
        for n in range(1, (everything.total + 3) // 4 + 2)
    ]
    assert {p.total for p in pages} == {everything.total}  # the total is stable
    first, second = hit_ids(pages[0]), hit_ids(pages[1])
    assert len(first) == len(second) == 4 and not set(first) & set(second)
    joined = [i for p in pages for i in hit_ids(p)]
    assert joined == hit_ids(everything)  # no gaps, no repeats, the same order
    assert pages[-1].hits == []  # past the end: an empty page, not an error


def test_facets_count_the_filtered_results(data: DataSet, search_backend: SearchBackend) -> None:
    cases: list[dict[str, Any]] = [
        {},
        {"categories": ["walking", "gardening"], "available": True},
        {"needs": ["loneliness"], "kite_mark": "awarded"},
        {"near": (LS1.latitude, LS1.longitude), "within_km": 5.0, "free": True},
    ]
    for fields in cases:
        expected_rows = reference_filter(data.published(), SearchQuery(**fields))
        results = run(search_backend, **fields)
        assert results.total == len(expected_rows), fields
        assert nonzero(results.facets) == reference_facets(expected_rows), fields
    # With text: the facets count the text matches only.
    results = run(search_backend, text="singing")
    expected_rows = [data.rows[k] for k in ("choir", "breath", "brain")]
    assert nonzero(results.facets) == reference_facets(expected_rows)
    assert results.facets["category"]["music_singing"] == 3


# ---- keeping the index in step --------------------------------------------------------------


def test_unpublished_and_deleted_activities_vanish(
    data: DataSet, search_backend: SearchBackend
) -> None:
    walking = {"hyde_walk", "nordic", "canal", "mcr_walk", "football"}
    assert keys_for(data, search_backend, text="walking") == walking
    hyde, nordic, canal = (data.activities[k] for k in ("hyde_walk", "nordic", "canal"))
    canal_id = canal.id
    hyde.status = "draft"
    nordic.status = "archived"
    db.session.delete(canal)
    commit()
    assert keys_for(data, search_backend, text="walking") == {"mcr_walk", "football"}
    assert not data.ids("hyde_walk", "nordic") & set(hit_ids(run(search_backend)))
    assert canal_id not in hit_ids(run(search_backend))
    assert run(search_backend, categories=["walking"]).facets["category"]["walking"] == 1
    hyde.status = "published"
    commit()
    assert keys_for(data, search_backend, text="walking") == {"hyde_walk", "mcr_walk", "football"}


def test_edits_are_searchable_after_commit(data: DataSet, search_backend: SearchBackend) -> None:
    digital = data.activities["digital"]
    digital.title = "Tablet Tuesday"
    commit()
    assert keys_for(data, search_backend, text="tuesday") == {"digital"}
    assert keys_for(data, search_backend, text="drop") == set()

    hyde = data.activities["hyde_walk"]
    update_capacity(hyde, spare_places=0, waitlist_open=False)
    commit()
    assert "hyde_walk" not in keys_for(data, search_backend, available=True)
    update_capacity(hyde, spare_places=3)
    commit()
    assert "hyde_walk" in keys_for(data, search_backend, available=True)

    # A new schedule (its sessions are separate rows) moves the day filter.
    apply_listing(hyde, parse_listing({"schedule": "Fri 10:00-11:00"}, partial=True))
    hyde.categories = ["walking", "green_nature"]
    commit()
    assert "hyde_walk" in keys_for(data, search_backend, day="fri")
    assert "hyde_walk" not in keys_for(data, search_backend, day="tue")
    assert "hyde_walk" in keys_for(data, search_backend, categories=["green_nature"])

    # Renaming the organisation reaches every one of its activities.
    data.organisations["ramblers"].name = "Meanwood Striders"
    commit()
    assert keys_for(data, search_backend, text="striders") == {"hyde_walk", "nordic"}
    assert keys_for(data, search_backend, text="ramblers") == set()
    assert any(
        s.type == "organisation" and s.label == "Meanwood Striders"
        for s in search_backend.suggest("strid")
    )


def test_rolled_back_changes_leave_the_index_alone(
    make: Any, data: DataSet, search_backend: SearchBackend
) -> None:
    before = hit_ids(run(search_backend))
    digital = data.activities["digital"]
    digital.title = "Tablet Tuesday"
    db.session.delete(data.activities["canal"])
    make.activity(data.organisations["armley"], title="Barbershop Quartet")  # flushes
    db.session.rollback()
    refresh()
    assert keys_for(data, search_backend, text="tuesday") == set()
    assert keys_for(data, search_backend, text="barbershop") == set()
    assert keys_for(data, search_backend, text="drop") == {"digital"}
    assert keys_for(data, search_backend, text="towpath") == {"canal"}
    assert hit_ids(run(search_backend)) == before


def test_rebuild(data: DataSet, search_backend: SearchBackend) -> None:
    queries = [
        SearchQuery(per_page=100),
        SearchQuery(text="walking", per_page=100),
        SearchQuery(needs=["loneliness"], near=(LS1.latitude, LS1.longitude), per_page=100),
    ]

    def snapshot() -> list[tuple[int, list[int], dict[str, dict[str, int]]]]:
        out = []
        for q in queries:
            r = search_backend.search(q)
            out.append((r.total, hit_ids(r), nonzero(r.facets)))
        return out

    before = snapshot()
    assert search_backend.rebuild() == len(PUBLISHED_KEYS)
    refresh()
    assert snapshot() == before


# ---- suggestions ---------------------------------------------------------------------------


def labels(suggestions: list[Any], kind: str) -> set[str]:
    return {s.label for s in suggestions if s.type == kind}


def test_suggest(data: DataSet, search_backend: SearchBackend) -> None:
    walking_titles = {"Hyde Park Health Walk", "Nordic Walking for Beginners",
                      "City Centre History Walk", "Walking Football"}  # fmt: skip
    found = search_backend.suggest("wal")
    assert walking_titles <= labels(found, "activity")
    assert "Moonlight Ramble Walking Group" not in labels(found, "activity")  # a draft
    assert "Walking" in labels(found, "category")
    # Mid-word, past the stem ("walkin" is not a prefix of the stem "walk").
    assert {"Nordic Walking for Beginners", "Walking Football"} <= labels(
        search_backend.suggest("walkin"), "activity"
    )

    found = search_backend.suggest("arm")
    assert "Armley Singers" in labels(found, "organisation")
    assert "Armley Community Choir" in labels(found, "activity")

    found = search_backend.suggest("Sing")
    assert [(s.label, s.value) for s in found if s.type == "category"] == [
        ("Music and singing", "music_singing")
    ]
    assert {"Singing for Better Breathing", "Singing for the Brain"} <= labels(found, "activity")

    # Several words: every word must start a word of the suggestion.
    assert labels(search_backend.suggest("singing br"), "activity") == {
        "Singing for Better Breathing", "Singing for the Brain"
    }  # fmt: skip
    assert labels(search_backend.suggest("health wa"), "activity") == {"Hyde Park Health Walk"}
    assert search_backend.suggest("xyzzy") == []


def test_suggest_limit_and_empty_prefix(data: DataSet, search_backend: SearchBackend) -> None:
    assert len(search_backend.suggest("s")) == 10  # plenty to choose from; default limit
    for limit in (1, 3):
        assert len(search_backend.suggest("s", limit=limit)) == limit
    for prefix in ("", "   ", "!!", "%", "_"):
        assert search_backend.suggest(prefix) == [], repr(prefix)
    found = search_backend.suggest("s", limit=50)
    assert len({(s.type, s.label.lower()) for s in found}) == len(found)  # no duplicates


# ---- property: any combination of filters ---------------------------------------------------

CENTRES = [
    (LS1.latitude, LS1.longitude),
    (LS6.latitude, LS6.longitude),
    (BD1.latitude, BD1.longitude),
]
RADII = [1.0, 2.0, 3.3, 6.0, 10.0, 30.0, 100.0]
ORGS = [None, *dataset.ORGANISATIONS]

filter_sets = st.fixed_dictionaries(
    {
        "categories": st.lists(
            st.sampled_from(["walking", "gardening", "music_singing", "social_group",
                             "advice_money", "physical_activity", "arts_crafts"]),
            max_size=3, unique=True),
        "needs": st.lists(
            st.sampled_from(["loneliness", "money_debt", "physical_inactivity", "low_mood",
                             "confidence", "parenting"]),
            max_size=2, unique=True),
        "mode": st.sampled_from([None, "in_person", "phone", "online"]),
        "day": st.sampled_from([None, "mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
        "kite_mark": st.sampled_from([None, "none", "pending", "awarded", "expired"]),
        "available": st.booleans(),
        "free": st.booleans(),
        "organisation": st.sampled_from(ORGS),
        "place": st.sampled_from([None, *[(c, r) for c in CENTRES for r in RADII]]),
        "sort": st.sampled_from(["relevance", "updated", "distance"]),
    }
)  # fmt: skip


def test_radii_are_clear_of_every_activity() -> None:
    """The property test's radii must not sit on an activity's distance (within 3%), where
    equirectangular and great-circle distance could honestly disagree."""
    points = []
    for spec in dataset.SPECS:
        if spec.fields.get("postcode"):
            place = lookup(spec.fields["postcode"])
            points.append((place.latitude, place.longitude))
    for lat, lon in CENTRES:
        for radius in RADII:
            for p in points:
                d = haversine_km(lat, lon, *p)
                assert abs(d - radius) > 0.03 * radius, (lat, lon, radius, d)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(filters=filter_sets)
def test_any_filter_combination_matches_the_reference(
    data: DataSet, search_backend: SearchBackend, filters: dict[str, Any]
) -> None:
    org = filters.pop("organisation")
    place = filters.pop("place")
    query = SearchQuery(**filters, per_page=100)
    query.organisation_id = data.organisations[org].id if org else None
    if place:
        query.near, query.within_km = place
    elif query.sort == "distance":
        query.sort = "relevance"
    expected = reference_filter(data.published(), query)
    results = search_backend.search(query)
    assert results.total == len(expected)
    assert sorted(hit_ids(results)) == sorted(r.id for r in expected)
    assert nonzero(results.facets) == reference_facets(expected)
    rows = {r.id: r for r in expected}
    if query.sort == "updated":
        stamps = [rows[i].capacity_updated_at for i in hit_ids(results)]
        assert stamps == sorted(stamps, reverse=True)
    if query.sort == "distance":
        distances = [h.distance_km for h in results.hits]
        assert all(d is not None for d in distances)  # within_km keeps located ones only
        assert distances == sorted(distances)  # type: ignore[type-var]
