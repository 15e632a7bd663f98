"""The one-step unmet-need form on the search and match pages (prefilled from the search
or match) and the full form at /unmet-needs/new."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from spdirectory.extensions import db
from spdirectory.unmet_needs.models import UnmetNeed
from tests.search_ui.test_match_page import person

HEADING = "Nothing suitable? Record an unmet need"


def recorded() -> list[UnmetNeed]:
    db.session.expire_all()
    return list(db.session.scalars(select(UnmetNeed).order_by(UnmetNeed.id)))


def unmet_section(text: str) -> str:
    start = text.index('<section class="app-unmet-need"')
    return text[start : text.index("</section>", start)]


def hidden_values(section: str, name: str) -> list[str]:
    return re.findall(rf'type="hidden" name="unmet-{name}" value="([^"]+)"', section)


def test_search_page_offers_the_form_prefilled(worker_client: tuple[Any, str], make: Any) -> None:
    client, _ = worker_client
    make.activity(title="Choir", categories="music_singing")
    make.commit()
    url = "/activities?q=chess&near=LS6+1AA&within_km=5&category=befriending&need=loneliness"
    text = client.get(url).get_data(as_text=True)
    section = unmet_section(text)
    assert HEADING in section
    assert '<details class="nhsuk-details nhsuk-expander" open>' in section  # nothing found
    assert hidden_values(section, "needs") == ["loneliness"]
    assert hidden_values(section, "categories") == ["befriending"]
    assert 'name="unmet-postcode_district"' in section
    assert re.search(r'name="unmet-postcode_district"[^>]*value="LS6"', section)
    # Never the full postcode in what is submitted (only `next`, the page to go back to).
    assert "1AA" not in re.sub(r'<input[^>]*name="unmet-next"[^>]*>', "", section)
    assert 'name="unmet-reasons"' in section
    nxt = re.search(r'name="unmet-next"[^>]*value="([^"]+)"', section)
    assert nxt and html.unescape(nxt.group(1)).startswith("/activities?")


def test_one_step_from_the_search_page_records_and_returns(
    worker_client: tuple[Any, str],
) -> None:
    client, csrf = worker_client
    back = "/activities?q=chess&near=LS6+1AA&category=befriending&need=loneliness"
    response = client.post(
        "/unmet-needs/new",
        data={
            "unmet-csrf_token": csrf,
            "unmet-needs": ["loneliness"],
            "unmet-categories": ["befriending"],
            "unmet-postcode_district": "LS6",
            "unmet-reasons": ["none_exists", "too_far"],
            "unmet-note": "  No chess club within reach  ",
            "unmet-source": "search",
            "unmet-next": back,
        },
    )
    assert response.status_code == 302
    assert response.location.endswith(back)
    [need] = recorded()
    assert (need.needs, need.categories, need.reasons) == (
        ["loneliness"],
        ["befriending"],
        ["none_exists", "too_far"],
    )
    assert (need.postcode_district, need.note, need.source) == (
        "LS6",
        "No chess club within reach",
        "search",
    )
    followed = client.get(back).get_data(as_text=True)
    assert "Unmet need recorded" in followed


def test_errors_show_the_full_form_and_store_nothing(worker_client: tuple[Any, str]) -> None:
    client, csrf = worker_client
    response = client.post(
        "/unmet-needs/new",
        data={
            "unmet-csrf_token": csrf,
            "unmet-postcode_district": "nowhere",
            "unmet-note": "ring 07700 900123",
            "unmet-next": "https://evil.example/",
        },
    )
    assert response.status_code == 200  # the form again, with its errors
    text = response.get_data(as_text=True)
    assert "There is a problem" in text
    for message in (
        "Select at least one need",
        "Select at least one reason",
        "Enter a postcode district like LS6",
        "seems to contain a phone number",
    ):
        assert message in text, message
    assert recorded() == []


def test_an_outside_next_is_not_followed(worker_client: tuple[Any, str]) -> None:
    client, csrf = worker_client
    response = client.post(
        "/unmet-needs/new",
        data={
            "unmet-csrf_token": csrf,
            "unmet-needs": ["loneliness"],
            "unmet-reasons": ["cost"],
            "unmet-next": "//evil.example/x",
        },
    )
    assert response.status_code == 302
    assert urlsplit(response.location).netloc in ("", "localhost")
    assert urlsplit(response.location).path == "/unmet-needs/new"
    assert len(recorded()) == 1


def test_full_form_is_prefilled_from_the_query(worker_client: tuple[Any, str]) -> None:
    client, _ = worker_client
    text = client.get(
        "/unmet-needs/new?need=bereavement&category=peer_support&postcode=LS8+5AB"
    ).get_data(as_text=True)
    assert re.search(r'value="bereavement" checked', text)
    assert re.search(r'value="peer_support" checked', text)
    assert re.search(r'name="unmet-postcode_district"[^>]*value="LS8"', text)


def test_match_page_offers_the_form_after_a_match(worker_client: tuple[Any, str]) -> None:
    client, csrf = worker_client
    assert HEADING not in client.get("/match").get_data(as_text=True)  # nothing matched yet
    text = client.post(
        "/match", data=person(csrf, needs=["bereavement", "carer_strain"], postcode="LS6 1AA")
    ).get_data(as_text=True)
    section = unmet_section(text)
    assert hidden_values(section, "needs") == ["bereavement", "carer_strain"]
    assert re.search(r'name="unmet-postcode_district"[^>]*value="LS6"', section)
    assert 'value="match"' in section
    # Its fields never clash with the match form's own.
    assert 'id="needs"' not in section and 'name="needs"' not in section


def test_others_do_not_see_the_form(client: Any, make: Any) -> None:
    from tests.accounts.helpers import quick_user, signed_in

    assert HEADING not in client.get("/activities?q=chess").get_data(as_text=True)
    panel = quick_user("panel")
    make.commit()
    signed_in(client, panel.email)
    assert HEADING not in client.get("/activities?q=chess").get_data(as_text=True)
