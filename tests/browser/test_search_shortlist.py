"""A link worker searches by postcode and need, opens a result, adds it to the shortlist and
prints it (the social prescription); every page axe clean."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from tests.browser.conftest import LiveServer, assert_accessible

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_search_open_shortlist_print(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    seed = live_server.seed
    title = seed.activity_title  # in LS1 1AZ, helps with loneliness
    page = new_page(seed.link_worker_email)
    # Count print requests instead of opening the browser's print dialogue.
    page.add_init_script("window.__printed = 0; window.print = () => { window.__printed++; };")

    page.goto("/activities")
    page.get_by_label("Near postcode").fill("ls1 1az")
    page.get_by_label("Distance").select_option(label="Within 5 km")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#results-heading")).to_be_visible()

    page.locator("summary", has_text="Helps with").click()
    page.locator("#filters").get_by_role("checkbox", name="Loneliness").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"need=loneliness.*|near=.*need=loneliness"))
    assert "near=" in page.url
    result = page.locator(".app-result", has_text=title)
    expect(result).to_contain_text("km")  # distance from the postcode
    assert_accessible(page)

    result.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert_accessible(page)
    page.get_by_role("button", name=f"Add {title} to shortlist").click()
    expect(page.locator(".app-flash--success")).to_contain_text("added to the shortlist")
    expect(page.get_by_text("On the shortlist")).to_be_visible()

    page.get_by_role("link", name="See the shortlist").click()
    expect(page.get_by_role("heading", level=1, name="Shortlist")).to_be_visible()
    expect(page.locator("main")).to_contain_text(title)
    assert_accessible(page)

    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.__printed") == 1
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", name="Activities chosen for you")).to_be_visible()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.locator("main")).to_contain_text(title)
