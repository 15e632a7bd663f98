"""A provider keeps spare places current from "Your listings", and everyone sees it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tests.browser.conftest import LiveServer, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_provider_updates_spare_places_and_the_public_page_shows_them(
    page: Page, new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    seed = live_server.seed
    title = seed.capacity_activity_title

    sign_in(page, seed.provider_email, seed.password)
    # Providers land on their own listings.
    expect(page).to_have_url(f"{live_server.url}/manage/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your listings")

    spare = page.get_by_label(f"Spare places for {title}")
    expect(spare).to_have_value("3")
    spare.fill("9")
    page.get_by_role("button", name=f"Update {title}").click()

    success = page.locator(".app-flash--success")
    expect(success).to_contain_text(f"{title}: 9 spare places")
    # Back on the same list, showing the saved figure.
    expect(page).to_have_url(f"{live_server.url}/manage/")
    expect(page.get_by_label(f"Spare places for {title}")).to_have_value("9")
    expect(page.locator(f"#activity-{seed.capacity_activity_id}")).to_contain_text("9 places free")

    # Someone who is not signed in sees the new figure on the public page.
    visitor = new_page()
    visitor.goto(f"/activities/{seed.capacity_activity_id}")
    expect(visitor.get_by_role("heading", level=1)).to_have_text(title)
    expect(visitor.get_by_test_id("capacity")).to_contain_text("9 places free")
    expect(visitor.get_by_role("button", name="Sign out")).to_have_count(0)


def test_a_bad_figure_is_refused_with_a_message(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    seed = live_server.seed
    title = seed.activity_title
    page = new_page(seed.provider_email)
    page.goto("/manage/")

    spare = page.get_by_label(f"Spare places for {title}")
    before = spare.input_value()
    spare.fill("-4")
    page.get_by_role("button", name=f"Update {title}").click()

    expect(page.locator(".app-flash--error")).to_contain_text(
        f"{title}: Spare places cannot be negative"
    )
    expect(page.get_by_label(f"Spare places for {title}")).to_have_value(before)


def test_still_accurate_removes_the_stale_tag(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    seed = live_server.seed
    title = seed.stale_activity_title
    page = new_page(seed.provider_email)
    page.goto("/manage/")

    row = page.locator(f"#activity-{seed.stale_activity_id}")
    stale_tag = row.locator(".nhsuk-tag", has_text="Stale")
    expect(stale_tag).to_have_count(1)
    # Only the listing nobody has confirmed for weeks is marked stale.
    expect(page.locator(f"#activity-{seed.capacity_activity_id} .nhsuk-tag--orange")).to_have_count(
        0
    )

    # The button's hidden text names the listing for screen readers; the row scopes it here.
    row.get_by_role("button", name="Still accurate").click()

    expect(page.locator(".app-flash--success")).to_contain_text(
        f"{title}: confirmed as still accurate"
    )
    expect(stale_tag).to_have_count(0)
    expect(row).to_contain_text("today")


def test_enter_in_a_row_updates_that_listing_only(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    """Keyboard users type the figure and press Enter: only that row's form is sent."""
    from playwright.sync_api import expect

    seed = live_server.seed
    title = seed.activity_title
    page = new_page(seed.provider_email)
    page.goto("/manage/")
    others = {
        other: page.get_by_label(f"Spare places for {other}").input_value()
        for other in (seed.capacity_activity_title, seed.stale_activity_title)
    }

    page.get_by_label(f"Spare places for {title}").fill("11")
    page.get_by_label(f"Spare places for {title}").press("Enter")

    expect(page.locator(".app-flash--success")).to_contain_text(f"{title}: 11 spare places")
    expect(page.get_by_label(f"Spare places for {title}")).to_have_value("11")
    for other, value in others.items():
        expect(page.get_by_label(f"Spare places for {other}")).to_have_value(value)
