"""The shortlist (the person's social prescription): add, remove, clear, the printable page,
its limits, CSRF, and who may use it."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from spdirectory import ROOT
from spdirectory.search.views import SHORTLIST_MAX


def shortlist_of(client: Any) -> list[int]:
    with client.session_transaction() as session:
        return list(session.get("shortlist", []))


def add(client: Any, csrf: str, activity_id: int, **extra: str) -> Any:
    return client.post(
        "/shortlist/add", data={"activity_id": str(activity_id), "csrf_token": csrf, **extra}
    )


def full_listing(make: Any) -> Any:
    org = make.organisation("Riverside Trust", phone="0113 496 0001")
    return make.activity(
        org,
        title="Canal-side walk",
        description="A gentle walk along the canal.\n\nTea afterwards.",
        address="Canal Basin, Leeds",
        postcode="LS1 1AZ",
        schedule="Tue 10:00-11:00",
        cost="2.50",
        age_min="18",
        wheelchair_accessible="yes",
        contact_name="Sam Smith",
        phone="0113 496 0000",
        email="walks@example.org",
        website="https://example.org/walks",
        referral_routes="self;link_worker",
        spare_places="4",
    )


def test_add_view_and_remove(client_as: Any, make: Any) -> None:
    walk = full_listing(make)
    choir = make.activity(title="Community choir", spare_places="0", waitlist="yes")
    make.commit()
    client, csrf = client_as("link_worker")

    response = add(client, csrf, walk.id, next="/activities?q=walk")
    assert response.status_code == 302
    assert response.location == f"/activities?q=walk#result-{walk.id}"
    assert add(client, csrf, choir.id).location == "/shortlist"
    assert shortlist_of(client) == [walk.id, choir.id]
    # Adding twice keeps one.
    add(client, csrf, walk.id)
    assert shortlist_of(client) == [walk.id, choir.id]

    text = html.unescape(client.get("/shortlist").get_data(as_text=True))
    assert "Shortlist (2)" in text
    assert text.index("Canal-side walk") < text.index("Community choir")
    # What the person needs to know: when, where, cost, contact and how to join.
    for fact in (
        "Tue 10:00-11:00",
        "Canal Basin, Leeds, LS1 1AZ",
        "£2.50",
        "18 and over",
        "Sam Smith",
        "0113 496 0000",
        "walks@example.org",
        "https://example.org/walks",
        "Anyone can join or get in touch",
        "There are 4 places free.",
        "It is full at the moment: you can join the waiting list.",
    ):
        assert fact in text, fact
    # The full address of each listing, so a printed copy can be followed up.
    assert f"http://localhost/activities/{walk.id}" in text

    response = client.post(
        "/shortlist/remove", data={"activity_id": str(walk.id), "csrf_token": csrf}
    )
    assert response.status_code == 302
    assert shortlist_of(client) == [choir.id]
    text = client.get("/shortlist").get_data(as_text=True)
    assert "Canal-side walk" not in text and "Shortlist (1)" in text

    assert client.post("/shortlist/clear", data={"csrf_token": csrf}).status_code == 302
    assert shortlist_of(client) == []
    assert "The shortlist is empty." in client.get("/shortlist").get_data(as_text=True)


def test_the_page_can_be_printed(client_as: Any, make: Any) -> None:
    walk = full_listing(make)
    make.commit()
    client, csrf = client_as("link_worker")
    add(client, csrf, walk.id)
    response = client.get("/shortlist")
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    # A real button, shown by shortlist.js (no inline script); a hint for when JS is off.
    assert re.search(
        r'<button class="nhsuk-button"[^>]*type="button" data-print-button hidden>', text
    )
    assert "data-print-hint" in text and "Print command" in html.unescape(text)
    assert '<script src="/static/js/shortlist.js"></script>' in text
    assert "onclick" not in text
    # Screen-only parts are marked, and a heading is there for the printed copy.
    assert 'class="app-print-only">Activities chosen for you</h1>' in text
    assert text.count('class="app-no-print"') >= 3


def test_the_print_stylesheet_hides_the_chrome() -> None:
    css = (ROOT / "static" / "css" / "app.css").read_text(encoding="utf-8")
    print_blocks = re.findall(r"@media print \{(.*?)\n\}", css, re.S)
    rules = "\n".join(print_blocks)
    for selector in (".nhsuk-header", ".nhsuk-footer", ".app-no-print", "button"):
        assert selector in rules, selector
    assert ".app-print-only" in rules


def test_the_shortlist_holds_at_most_twenty(client_as: Any, make: Any) -> None:
    org = make.organisation()
    items = [make.activity(org, title=f"Group {i}") for i in range(SHORTLIST_MAX + 1)]
    make.commit()
    client, csrf = client_as("link_worker")
    for item in items[:SHORTLIST_MAX]:
        add(client, csrf, item.id)
    assert len(shortlist_of(client)) == SHORTLIST_MAX == 20
    add(client, csrf, items[-1].id)
    assert items[-1].id not in shortlist_of(client)
    text = html.unescape(client.get("/shortlist").get_data(as_text=True))
    assert "The shortlist already has 20 activities" in text


def test_drafts_and_unknown_activities_cannot_be_added(client_as: Any, make: Any) -> None:
    draft = make.activity(title="Draft group", status="draft")
    make.commit()
    client, csrf = client_as("link_worker")
    add(client, csrf, draft.id)
    add(client, csrf, 999_999)
    assert shortlist_of(client) == []
    assert (
        client.post("/shortlist/add", data={"activity_id": "x", "csrf_token": csrf}).status_code
        == 400
    )


def test_an_activity_unpublished_later_leaves_the_shortlist(client_as: Any, make: Any) -> None:
    walk = make.activity(title="Soon archived")
    make.commit()
    client, csrf = client_as("link_worker")
    add(client, csrf, walk.id)
    walk.status = "archived"
    make.commit()
    text = client.get("/shortlist").get_data(as_text=True)
    assert f'id="activity-{walk.id}"' not in text
    assert "1 activity was taken off the shortlist because it is no longer listed." in text
    assert shortlist_of(client) == []


@pytest.mark.parametrize("url", ["/shortlist/add", "/shortlist/remove", "/shortlist/clear"])
def test_changes_need_the_csrf_token(client_as: Any, make: Any, url: str) -> None:
    walk = make.activity(title="Walk")
    make.commit()
    client, csrf = client_as("link_worker")
    add(client, csrf, walk.id)
    response = client.post(url, data={"activity_id": str(walk.id)})
    assert response.status_code == 400
    response = client.post(url, data={"activity_id": str(walk.id), "csrf_token": "forged"})
    assert response.status_code == 400
    assert shortlist_of(client) == [walk.id]


def test_it_never_redirects_to_another_site(client_as: Any, make: Any) -> None:
    walk = make.activity(title="Walk")
    make.commit()
    client, csrf = client_as("link_worker")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"):
        response = add(client, csrf, walk.id, next=target)
        assert response.location == "/shortlist", target


@pytest.mark.parametrize("role", ["provider", "panel", "reviewer"])
def test_other_roles_are_refused(client_as: Any, make: Any, role: str) -> None:
    walk = make.activity(title="Walk")
    make.commit()
    client, csrf = client_as(role)
    assert client.get("/shortlist").status_code == 403
    assert add(client, csrf, walk.id).status_code == 403
    assert shortlist_of(client) == []
    assert "Shortlist (" not in client.get("/").get_data(as_text=True)


def test_anonymous_users_are_sent_to_sign_in(client_as: Any) -> None:
    client, _ = client_as("anonymous")
    response = client.get("/shortlist")
    assert response.status_code == 302
    target = urlsplit(response.location)
    assert target.path == "/sign-in"
    assert parse_qs(target.query)["next"] == ["/shortlist"]


def test_admins_can_use_it(client_as: Any, make: Any) -> None:
    walk = make.activity(title="Walk")
    make.commit()
    client, csrf = client_as("admin")
    add(client, csrf, walk.id)
    assert shortlist_of(client) == [walk.id]
    assert "Shortlist (1)" in client.get("/shortlist").get_data(as_text=True)


def test_search_results_show_what_is_already_on_the_shortlist(client_as: Any, make: Any) -> None:
    walk = make.activity(title="Canal walk")
    make.activity(title="Park walk")
    make.commit()
    client, csrf = client_as("link_worker")
    add(client, csrf, walk.id)
    text = html.unescape(client.get("/activities?q=walk").get_data(as_text=True))
    assert text.count('form="shortlist-remove"') == 1
    assert text.count('form="shortlist-add"') == 1
    remove = re.search(r'form="shortlist-remove" name="activity_id" value="(\d+)"', text)
    assert remove and int(remove.group(1)) == walk.id
    assert "On the shortlist" in text


@pytest.mark.parametrize(
    ("role", "shown"),
    [("link_worker", True), ("admin", True), ("provider", False), ("anonymous", False)],
)
def test_the_activity_page_offers_the_shortlist_to_link_workers_only(
    client_as: Any, make: Any, role: str, shown: bool
) -> None:
    walk = full_listing(make)
    make.commit()
    client, csrf = client_as(role)
    page = client.get(f"/activities/{walk.id}").get_data(as_text=True)
    assert ("to shortlist" in page) is shown
    if shown:
        assert add(client, csrf, walk.id, next=f"/activities/{walk.id}").status_code == 302
        page = client.get(f"/activities/{walk.id}").get_data(as_text=True)
        assert "On the shortlist" in page and "from shortlist" in page


def test_the_shortlist_can_be_emailed_from_the_link_workers_own_email(
    client_as: Any, make: Any
) -> None:
    from urllib.parse import unquote

    walk = full_listing(make)
    make.commit()
    client, csrf = client_as("link_worker")
    add(client, csrf, walk.id)
    page = client.get("/shortlist").get_data(as_text=True)
    href = html.unescape(re.search(r'href="(mailto:[^"]+)"', page).group(1))
    assert href.startswith("mailto:?subject=Activities%20chosen%20for%20you&body=")
    body = unquote(href.split("&body=", 1)[1])
    assert "1. Canal-side walk (Riverside Trust)" in body
    assert "Where: Canal Basin, Leeds, LS1 1AZ" in body
    assert "Contact: 0113 496 0000" in body
    assert f"/activities/{walk.id}" in body
    assert "Next: Tuesday" in body
