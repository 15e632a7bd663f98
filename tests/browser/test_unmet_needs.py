"""A link worker finds nothing for someone and records the unmet need in one step from the
search page; the page with its form is accessible (axe)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tests.browser.conftest import LiveServer, axe_violations, describe_violations

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_link_worker_records_an_unmet_need_from_the_search_page(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = new_page(live_server.seed.link_worker_email)
    back = "/activities?q=chess+club&near=LS6+1AA&within_km=5&need=loneliness&category=social_group"
    page.goto(back)
    expect(page.get_by_role("heading", level=2, name="0 activities found")).to_be_visible()

    form = page.locator("section.app-unmet-need")
    expect(form.get_by_text("Nothing suitable? Record an unmet need")).to_be_visible()
    # Prefilled from the search: the need, the category, the district (not the postcode).
    expect(form).to_contain_text("Loneliness")
    expect(form).to_contain_text("Social group")
    expect(form.get_by_label("Postcode district")).to_have_value("LS6")
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)

    form.get_by_label("Nothing like this exists").check()
    form.get_by_label("Too far away").check()
    form.get_by_label("Short note (optional)").fill("No chess club in north Leeds")
    form.get_by_role("button", name="Record unmet need").click()

    expect(page.locator(".app-flash--success")).to_contain_text("Unmet need recorded")
    assert page.url.endswith(back.replace("+", "+"))
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)


def test_a_missing_reason_shows_the_full_form_with_an_error_summary(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = new_page(live_server.seed.link_worker_email)
    page.goto("/activities?q=chess+club&need=loneliness")
    page.locator("section.app-unmet-need").get_by_role("button", name="Record unmet need").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record an unmet need")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Select at least one reason")
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
