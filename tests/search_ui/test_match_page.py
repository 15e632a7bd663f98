"""Find activities for a person (/match): who may use it, ranked results with reasons and
warnings, eligibility, form errors, and that nothing about the person is kept."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from spdirectory.extensions import db
from spdirectory.search.demand import UnmetSearch
from spdirectory.search.views import _windows


def person(csrf: str, **fields: Any) -> dict[str, Any]:
    """The matching form as a browser posts it (every way of taking part ticked)."""
    data: dict[str, Any] = {
        "csrf_token": csrf,
        "postcode": "LS1 1AZ",
        "max_distance_km": "5",
        "needs": ["loneliness"],
        "interests": "",
        "age": "",
        "modes": ["in_person", "online", "phone"],
        "language": "",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def result_titles(text: str) -> list[str]:
    return [
        html.unescape(t.strip())
        for t in re.findall(
            r'<span class="app-rank">\d+\.</span>\s*<a[^>]*>([^<]+)<span class="app-new-tab">',
            text,
        )
    ]


def result_block(text: str, title: str) -> str:
    """The HTML of one result (from its <li> to the next)."""
    start = text.index(f">{title} <span")
    start = text.rindex('<li class="app-result"', 0, start)
    end = text.find('<li class="app-result"', start + 1)
    return text[start : end if end != -1 else len(text)]


@pytest.mark.parametrize("role", ["provider", "panel", "reviewer"])
def test_other_roles_are_refused(client_as: Any, role: str) -> None:
    client, csrf = client_as(role)
    assert client.get("/match").status_code == 403
    assert client.post("/match", data=person(csrf)).status_code == 403


def test_anonymous_users_are_sent_to_sign_in(client_as: Any) -> None:
    client, _ = client_as("anonymous")
    response = client.get("/match")
    assert response.status_code == 302
    target = urlsplit(response.location)
    assert target.path == "/sign-in"
    assert parse_qs(target.query)["next"] == ["/match"]


@pytest.mark.parametrize("role", ["link_worker", "admin"])
def test_link_workers_and_admins_get_the_form(client_as: Any, role: str) -> None:
    client, _ = client_as(role)
    response = client.get("/match")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "<h1>Find activities for a person</h1>" in text
    # POST only, so the person's details never appear in a URL.
    assert '<form method="post" action="/match#results" novalidate>' in text
    assert 'name="csrf_token"' in text
    # The availability grid: one labelled checkbox per day and part of the day.
    assert text.count('name="availability"') == 21
    assert '<span class="nhsuk-u-visually-hidden">Tuesday evening</span>' in text
    # Every way of taking part is ticked to start with.
    assert len(re.findall(r'name="modes" type="checkbox" value="\w+" checked', text)) == 3
    # The header links for link workers.
    assert "Find for a person" in text and "Shortlist (0)" in text


def test_results_are_ranked_with_reasons_and_warnings(client_as: Any, make: Any) -> None:
    org = make.organisation("Leeds Community Trust")
    make.activity(
        org,
        title="Thursday choir",
        categories="music_singing",
        needs="loneliness;low_mood",
        schedule="Thu 18:30-20:00",
        spare_places="4",
        kite_mark="awarded",
    )
    make.activity(
        org,
        title="Waitlist lunch club",
        categories="food_cooking",
        needs="loneliness",
        spare_places="0",
        waitlist="yes",
    )
    make.activity(org, title="Bradford befriending", needs="loneliness", postcode="BD1 1HY")
    make.commit()
    client, csrf = client_as("link_worker")
    response = client.post(
        "/match",
        data=person(
            csrf,
            needs=["loneliness", "low_mood"],
            interests="singing",
            age="70",
            availability=["thu-evening"],
        ),
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = html.unescape(response.get_data(as_text=True))
    assert result_titles(text) == ["Thursday choir", "Waitlist lunch club"]  # 12 km: too far
    assert "2 activities suit them" in text

    choir = result_block(text, "Thursday choir")
    reasons = re.search(r'<ul class="[^"]*app-reasons">(.*?)</ul>', choir, re.S)
    assert reasons
    items = re.findall(r"<li>(.*?)</li>", reasons.group(1))
    assert "Helps with loneliness and low mood" in items
    assert "Thursday 18:30 fits your evenings" in items
    assert "Kite-marked" in items
    assert "Match score: <strong>" in choir
    assert "app-warnings" not in choir

    lunch = result_block(text, "Waitlist lunch club")
    warnings = re.search(r'<div class="app-warnings">(.*?)</div>', lunch, re.S)
    assert warnings and "Waitlist only" in warnings.group(1)
    assert "Warning: </span>" in warnings.group(1)
    assert 'name="add"' in lunch  # each result can go on the shortlist


def test_activities_outside_the_persons_age_range_are_never_shown(
    client_as: Any, make: Any
) -> None:
    org = make.organisation()
    make.activity(org, title="Youth club", age_min="11", age_max="18")
    make.activity(org, title="Over 50s walk", age_min="50")
    make.activity(org, title="Walk for all")
    make.activity(org, title="Teen phone line", age_max="19", modes="phone", postcode="")
    make.commit()
    client, csrf = client_as("link_worker")
    for age, expected in (
        ("70", {"Over 50s walk", "Walk for all"}),
        ("15", {"Youth club", "Walk for all", "Teen phone line"}),
        ("18", {"Youth club", "Walk for all", "Teen phone line"}),  # the limits are inclusive
        ("20", {"Walk for all"}),
        ("30", {"Walk for all"}),
    ):
        text = client.post("/match", data=person(csrf, age=age)).get_data(as_text=True)
        assert set(result_titles(text)) == expected, age


def test_the_persons_details_are_not_kept(client_as: Any, make: Any) -> None:
    make.activity(title="Remote drop-in", needs="housing", modes="online", postcode="")
    make.commit()
    client, csrf = client_as("link_worker")
    response = client.post(
        "/match",
        data=person(
            csrf,
            postcode="LS6 3HN",
            needs=["carer_strain"],
            interests="Mrs Jones",
            modes=["in_person"],
        ),
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "No activities suit them" in text
    # The form shows what was entered (that is the point), but nothing else keeps it.
    assert 'value="Mrs Jones"' in text
    with client.session_transaction() as session:
        assert "Mrs Jones" not in repr(dict(session))
        assert "LS6 3HN" not in repr(dict(session))
    db.session.expire_all()
    logged = db.session.scalars(select(UnmetSearch)).all()
    # The gap is counted (needs, district, distance), without the free text.
    assert [(r.kind, r.postcode_district, r.query_text) for r in logged] == [("match", "LS6", "")]
    assert logged[0].filters["need"] == ["carer_strain"]


def test_details_that_need_attention_are_shown_as_form_errors(client_as: Any) -> None:
    client, csrf = client_as("link_worker")
    cases = [
        (
            {"postcode": "ZZ9 9ZZ"},
            "postcode",
            "We cannot find the postcode",
        ),
        ({"postcode": ""}, "postcode", "Enter their postcode, or untick “In person”"),
        ({"age": "seventy"}, "age", "Enter their age in whole years"),
        ({"language": "Xyzzy"}, "language", "is not a language we know"),
        ({"modes": None, "postcode": ""}, "modes", "Select at least one way they can take part"),
        ({"needs": ["not_a_need"]}, "needs", "not a valid choice"),
    ]
    for fields, field_id, message in cases:
        response = client.post("/match", data=person(csrf, **fields))
        assert response.status_code == 200, fields
        text = html.unescape(response.get_data(as_text=True))
        summary = re.search(r'<div class="nhsuk-error-summary".*?</ul>', text, re.S)
        assert summary, fields
        assert f'href="#{field_id}"' in summary.group(0), (fields, summary.group(0))
        assert message in summary.group(0), (fields, summary.group(0))
        assert "<title>Error: " in text
        assert "activities suit them" not in text


def test_without_a_postcode_online_and_phone_activities_can_still_be_found(
    client_as: Any, make: Any
) -> None:
    make.activity(title="Phone befriending", modes="phone", postcode="")
    make.activity(title="Town hall lunch")
    make.commit()
    client, csrf = client_as("link_worker")
    text = client.post(
        "/match", data=person(csrf, postcode="", modes=["online", "phone"])
    ).get_data(as_text=True)
    assert result_titles(text) == ["Phone befriending"]


def test_the_form_needs_its_csrf_token(client_as: Any) -> None:
    client, _ = client_as("link_worker")
    response = client.post("/match", data=person(""))
    assert response.status_code == 400


def test_adding_to_the_shortlist_from_the_results_shows_them_again(
    client_as: Any, make: Any
) -> None:
    walk = make.activity(title="Canal walk")
    make.activity(title="Park walk", postcode="LS6 3HN")
    make.commit()
    client, csrf = client_as("link_worker")
    response = client.post("/match", data=person(csrf, add=str(walk.id)))
    assert response.status_code == 200
    text = html.unescape(response.get_data(as_text=True))
    assert set(result_titles(text)) == {"Canal walk", "Park walk"}
    assert "“Canal walk” added to the shortlist (1 of 20)." in text
    assert "Shortlist (1)" in text
    block = result_block(text, "Canal walk")
    assert "On the shortlist" in block and 'name="remove"' in block
    # The button goes back to the same result on the page.
    assert f'formaction="/match#result-{walk.id}"' in block
    with client.session_transaction() as session:
        assert session["shortlist"] == [walk.id]
    text = client.post("/match", data=person(csrf, remove=str(walk.id))).get_data(as_text=True)
    assert "Shortlist (0)" in text
    with client.session_transaction() as session:
        assert session["shortlist"] == []


def test_adjacent_parts_of_a_day_become_one_window() -> None:
    assert _windows(
        ["mon-morning", "mon-afternoon", "tue-evening", "wed-morning", "wed-evening"]
    ) == [
        {"day": "mon", "from": "09:00", "to": "17:00"},
        {"day": "tue", "from": "17:00", "to": "21:00"},
        {"day": "wed", "from": "09:00", "to": "12:00"},
        {"day": "wed", "from": "17:00", "to": "21:00"},
    ]
    assert _windows([]) == []
