"""The public search page at /activities (directory.browse): results from the search
backend with facets, distance, sorting, paging, a map, errors and the unmet-demand log."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from sqlalchemy import select

from spdirectory.extensions import db
from spdirectory.search import SearchResults, get_backend
from spdirectory.search.demand import UnmetSearch


def page(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def result_titles(text: str) -> list[str]:
    """Titles of the results, in order, from the results list."""
    pattern = r'<li class="app-result" id="result-\d+"[^>]*>\s*<h3[^>]*>\s*<a[^>]*>([^<]+)</a>'
    return [html.unescape(t) for t in re.findall(pattern, text)]


def facet_count(text: str, label: str) -> int | None:
    """The count shown beside a filter option, or None when the option is not shown."""
    found = re.search(re.escape(label) + r' <span class="app-count">\((\d+)<', html.unescape(text))
    return int(found.group(1)) if found else None


def links(text: str, rel: str) -> list[str]:
    return [html.unescape(u) for u in re.findall(rf'href="([^"]+)" rel="{rel}"', text)]


def seed_leeds(make: Any) -> dict[str, int]:
    """Activities at known distances from LS1 1AZ."""
    org = make.organisation("Leeds Walkers")
    made = {
        "Canal walk": make.activity(org, title="Canal walk", postcode="LS1 1AZ"),
        "Hyde Park walk": make.activity(
            org, title="Hyde Park walk", postcode="LS6 3HN", kite_mark="awarded"
        ),  # 2.8 km
        "City choir": make.activity(
            org,
            title="City choir",
            postcode="LS1 4DY",  # 1.2 km
            categories="music_singing",
            needs="low_mood",
            schedule="Thu 18:30-20:00",
            cost="3.50",
        ),
        "Bradford walk": make.activity(org, title="Bradford walk", postcode="BD1 1HY"),  # 12 km
    }
    make.commit()
    return {title: a.id for title, a in made.items()}


def test_a_postcode_search_shows_distance_facets_and_only_nearby_results(
    client: Any, make: Any
) -> None:
    seed_leeds(make)
    text = page(client, "/activities?near=LS1+1AZ&within_km=5")

    titles = result_titles(text)
    assert sorted(titles) == ["Canal walk", "City choir", "Hyde Park walk"]
    assert "3 activities found within 5 km of LS1 1AZ" in text
    assert "2.8 km away" in text  # Hyde Park walk
    assert "1.2 km away" in text  # City choir
    # Facet counts beside the filter options, from the results.
    assert facet_count(text, "Walking") == 2
    assert facet_count(text, "Music and singing") == 1
    assert facet_count(text, "Kite-marked") == 1
    assert facet_count(text, "Thursday") == 1
    assert facet_count(text, "Gardening") is None  # nothing to find: not offered
    # The schedule, cost, capacity and kite-mark badge are on each result.
    assert "Thu 18:30-20:00" in text and "£3.50" in text
    assert "3 places free" in text and "Kite-marked</strong>" in text


def test_sorting_by_distance_puts_the_nearest_first(client: Any, make: Any) -> None:
    seed_leeds(make)
    text = page(client, "/activities?near=LS1+1AZ&within_km=20&sort=distance")
    assert result_titles(text) == ["Canal walk", "City choir", "Hyde Park walk", "Bradford walk"]
    assert '<option value="distance" selected>Nearest first</option>' in text


def test_facet_counts_ignore_their_own_filter(client: Any, make: Any) -> None:
    """With "Walking" chosen, the other categories still say how many they would show."""
    seed_leeds(make)
    text = page(client, "/activities?category=walking")
    assert sorted(result_titles(text)) == ["Bradford walk", "Canal walk", "Hyde Park walk"]
    assert facet_count(text, "Music and singing") == 1
    assert facet_count(text, "Walking") == 3
    assert re.search(r'value="walking" checked', text)
    # Other facets count within the chosen category.
    assert facet_count(text, "Thursday") is None


def test_filters_narrow_the_results(client: Any, make: Any) -> None:
    seed_leeds(make)
    assert result_titles(page(client, "/activities?free=true&category=music_singing")) == []
    assert result_titles(page(client, "/activities?kite_mark=awarded")) == ["Hyde Park walk"]
    assert result_titles(page(client, "/activities?q=choir")) == ["City choir"]
    assert result_titles(page(client, "/activities?day=thu")) == ["City choir"]


def test_an_unknown_postcode_gives_an_error_summary_not_an_error_page(
    client: Any, make: Any
) -> None:
    seed_leeds(make)
    for near, message in (
        ("ZZ9+9ZZ", "We cannot find the postcode"),
        ("not-a-postcode", "is not a valid UK postcode"),
    ):
        response = client.get(f"/activities?near={near}")
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        summary = re.search(r'<div class="nhsuk-error-summary".*?</ul>', text, re.S)
        assert summary, "no error summary"
        assert message in html.unescape(summary.group(0))
        assert 'href="#near"' in summary.group(0)  # the message links to the field
        assert "<title>Error: " in text
        assert 'class="nhsuk-input nhsuk-input--width-10 nhsuk-input--error" id="near"' in text


def test_bad_filters_and_sorts_are_explained(client: Any, make: Any) -> None:
    seed_leeds(make)
    text = html.unescape(page(client, "/activities?category=no_such_thing&available=maybe"))
    assert "There is a problem" in text
    assert "Some filters were not understood" in text and "no_such_thing" in text
    # The filters that were understood still apply: here none, so everything is found.
    assert "4 activities found" in text

    text = html.unescape(page(client, "/activities?sort=nearest"))
    assert "Choose how to sort the results" in text
    assert 'href="#sort"' in text


def test_the_form_as_sent_without_a_postcode_is_not_an_error(client: Any, make: Any) -> None:
    """The form always sends a distance, and "nearest first" may still be chosen after the
    postcode is cleared: neither is a mistake without a postcode."""
    seed_leeds(make)
    for url in (
        "/activities?q=walk&near=&within_km=10&sort=relevance",
        "/activities?q=walk&near=&within_km=5&sort=distance",
    ):
        text = page(client, url)
        assert "nhsuk-error-summary" not in text, url
        assert sorted(result_titles(text)) == ["Bradford walk", "Canal walk", "Hyde Park walk"]


def test_paging_keeps_every_parameter(client: Any, make: Any) -> None:
    org = make.organisation()
    for i in range(25):
        make.activity(org, title=f"Walk number {i:02d}", postcode="LS1 1AZ")
    make.activity(org, title="Walk in Bradford", postcode="BD1 1HY")
    make.commit()
    first = page(client, "/activities?q=walk&near=LS1+1AZ&within_km=5&category=walking&per_page=10")
    assert "25 activities found" in first
    assert len(result_titles(first)) == 10
    assert "Showing 1 to 10 of 25" in first
    assert links(first, "prev") == []
    (second_url,) = links(first, "next")
    params = parse_qs(urlsplit(second_url).query)
    assert params == {
        "q": ["walk"],
        "near": ["LS1 1AZ"],
        "within_km": ["5"],
        "category": ["walking"],
        "per_page": ["10"],
        "page": ["2"],
    }

    second = page(client, second_url)
    assert "Showing 11 to 20 of 25" in second
    assert not set(result_titles(first)) & set(result_titles(second))
    (third_url,) = links(second, "next")
    third = page(client, third_url)
    assert len(result_titles(third)) == 5
    assert links(third, "next") == []
    (back_url,) = links(third, "prev")
    assert parse_qs(urlsplit(back_url).query)["page"] == ["2"]
    assert parse_qs(urlsplit(back_url).query)["near"] == ["LS1 1AZ"]
    # Page 1 is the plain URL (no page parameter), with everything else kept.
    (first_again,) = links(second, "prev")
    assert "page" not in parse_qs(urlsplit(first_again).query)
    assert parse_qs(urlsplit(first_again).query)["category"] == ["walking"]


def test_the_map_view_has_a_marker_for_each_result_and_a_text_list(client: Any, make: Any) -> None:
    ids = seed_leeds(make)
    text = page(client, "/activities?near=LS1+1AZ&within_km=5&view=map")
    found = re.search(r"data-markers='([^']*)'", text)
    assert found
    markers = json.loads(html.unescape(found.group(1)))
    assert {m["label"] for m in markers} == {"Canal walk", "City choir", "Hyde Park walk"}
    assert all(isinstance(m["lat"], float) and isinstance(m["lon"], float) for m in markers)
    assert f"/activities/{ids['Canal walk']}" in {m["url"] for m in markers}
    assert "js/map.js" in text and "leaflet.js" in text
    # The search form keeps the map view when filters are applied.
    assert '<input type="hidden" name="view" value="map">' in text
    # Without the map the page loads no map script.
    assert "js/map.js" not in page(client, "/activities?near=LS1+1AZ")


def test_the_keyword_box_is_enhanced_with_suggestions(client: Any) -> None:
    text = page(client, "/activities")
    assert re.search(r'<input[^>]*id="q"[^>]*data-autocomplete-url="/api/v1/suggest"', text)
    assert "js/autocomplete.js" in text
    assert re.search(r'<form id="search-form" method="get"', text)


def test_a_backend_notice_is_shown(app: Flask, client: Any, make: Any) -> None:
    seed_leeds(make)
    backend = get_backend()

    class Degraded:
        def search(self, query: Any) -> SearchResults:
            results = backend.search(query)
            results.notice = "Search is running on the backup index."
            return results

    app.extensions["search_backend"] = Degraded()
    text = page(client, "/activities?q=walk")
    assert "Search is running on the backup index." in text
    assert "nhsuk-card--warning" in text


def test_searches_that_find_nothing_are_logged_anonymously(client: Any, make: Any) -> None:
    seed_leeds(make)
    page(client, "/activities?q=underwater+basket+weaving&near=LS1+1AZ")
    page(client, "/activities?q=walk&near=LS1+1AZ")  # found something: not logged
    page(client, "/activities?q=nothing+here&near=ZZ9+9ZZ")  # not understood: not logged
    db.session.expire_all()
    rows = db.session.scalars(select(UnmetSearch)).all()
    assert [(r.kind, r.query_text, r.postcode_district, r.outcome) for r in rows] == [
        ("search", "underwater basket weaving", "LS1", "nothing")
    ]


def test_shortlist_buttons_only_for_link_workers(client_as: Any, make: Any) -> None:
    seed_leeds(make)
    anonymous, _ = client_as("anonymous")
    assert "to shortlist" not in page(anonymous, "/activities")
    provider, _ = client_as("provider")
    assert "to shortlist" not in page(provider, "/activities")
    link_worker, _ = client_as("link_worker")
    text = page(link_worker, "/activities?q=walk")
    assert text.count('form="shortlist-add"') == 3
    assert 'id="shortlist-add"' in text and 'name="csrf_token"' in text
