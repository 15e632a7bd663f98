"""axe-core finds no serious or critical accessibility problems on the main pages.

Each page is checked as the person who would use it, in the states that matter
(filters applied, forms showing errors), under the app's real Content-Security-Policy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import LiveServer, Seed, axe_violations, describe_violations

if TYPE_CHECKING:
    from playwright.sync_api import Page


@dataclass(frozen=True)
class Check:
    path: Callable[[Seed], str]
    role: str | None = None  # sign in as this role first
    heading: str = ""  # the page's h1 must contain this, so we know we checked the right page
    shows: str = ""  # and the main content this, so we know the state is the one we meant
    prepare: Callable[[Page], None] | None = None  # put the page into the state to check


def _expect_error_summary(page: Page, text: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator(".nhsuk-error-summary")).to_contain_text(text)


def _submit_blank_sign_in(page: Page) -> None:
    page.get_by_role("button", name="Sign in", exact=True).click()
    _expect_error_summary(page, "Enter your email address")


def _submit_wrong_password(page: Page) -> None:
    page.get_by_label("Email address", exact=True).fill("nobody@example.org")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    _expect_error_summary(page, "not correct")


def _submit_blank_title(page: Page) -> None:
    from playwright.sync_api import expect

    title = page.get_by_label("Title", exact=True)
    title.fill("")
    page.get_by_role("button", name="Save listing").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    expect(page.locator(".nhsuk-form-group--error").first).to_be_visible()


def _upload_csv_with_a_bad_row(page: Page) -> None:
    from playwright.sync_api import expect

    header = "external_id,organisation,title,categories,postcode,spare_places\n"
    rows = (
        "a11y-1,Import Test Group,Imported knitting circle,arts_crafts,LS1 1AZ,2\n"
        "a11y-2,Import Test Group,,not_a_category,LS1 1AZ,minus one\n"
    )
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "import.csv", "mimeType": "text/csv", "buffer": (header + rows).encode()}]
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("table", name="Rows not imported")).to_be_visible()


CHECKS: dict[str, Check] = {
    "home": Check(lambda s: "/"),
    "browse": Check(lambda s: "/activities", heading="Find activities", shows="activities found"),
    "browse-filtered": Check(
        lambda s: (
            "/activities?q=walk&category=walking&need=loneliness&day=tue"
            "&mode=in_person&available=true&free=true"
        ),
        heading="Find activities",
        shows="Canal-side wellbeing walk",
    ),
    "browse-bad-filters": Check(
        lambda s: "/activities?category=no_such_thing&available=maybe",
        heading="Find activities",
        shows="Some filters were not understood",
    ),
    "activity": Check(lambda s: f"/activities/{s.activity_id}", heading="Canal-side"),
    "organisation": Check(lambda s: f"/organisations/{s.organisation_id}", heading="Riverside"),
    "kite-mark": Check(lambda s: "/kite-mark"),
    "sign-in": Check(lambda s: "/sign-in", heading="Sign in"),
    "sign-in-blank": Check(lambda s: "/sign-in", heading="Sign in", prepare=_submit_blank_sign_in),
    "sign-in-wrong-password": Check(
        lambda s: "/sign-in", heading="Sign in", prepare=_submit_wrong_password
    ),
    "manage": Check(
        lambda s: "/manage/", role="provider", heading="Your listings", shows="Community choir"
    ),
    "manage-edit": Check(
        lambda s: f"/manage/activities/{s.activity_id}/edit", role="provider", heading="Edit"
    ),
    "manage-edit-errors": Check(
        lambda s: f"/manage/activities/{s.activity_id}/edit",
        role="provider",
        heading="Edit",
        prepare=_submit_blank_title,
    ),
    "manage-new": Check(
        lambda s: "/manage/activities/new", role="provider", heading="Add an activity"
    ),
    "manage-history": Check(
        lambda s: f"/manage/activities/{s.activity_id}/history",
        role="provider",
        shows="Canal-side wellbeing walk",
    ),
    "manage-organisation": Check(lambda s: "/manage/organisation", role="provider"),
    "account": Check(lambda s: "/account", role="link_worker"),
    "admin": Check(lambda s: "/admin/", role="admin"),
    "admin-users": Check(lambda s: "/admin/users", role="admin", shows="provider@example.org"),
    "admin-organisations": Check(lambda s: "/admin/organisations", role="admin"),
    "admin-import": Check(lambda s: "/admin/import", role="admin", heading="Import activities"),
    "admin-import-report": Check(
        lambda s: "/admin/import",
        role="admin",
        heading="Import activities",
        prepare=_upload_csv_with_a_bad_row,
    ),
}


def _email_for(seed: Seed, role: str) -> str:
    return {
        "provider": seed.provider_email,
        "link_worker": seed.link_worker_email,
        "admin": seed.admin_email,
    }[role]


@pytest.mark.parametrize("name", list(CHECKS))
def test_no_serious_accessibility_problems(
    name: str, new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    check = CHECKS[name]
    seed = live_server.seed
    # These checks only read pages (and submit forms that change nothing that matters here),
    # so they share a warm browser context per role.
    page = new_page(_email_for(seed, check.role) if check.role else None, shared=True)
    response = page.goto(check.path(seed))
    assert response is not None and response.status == 200, (name, response and response.status)
    if check.prepare:
        check.prepare(page)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_count(1)
    if check.heading:
        expect(heading).to_contain_text(check.heading)
    if check.shows:
        expect(page.locator("main")).to_contain_text(check.shows)

    violations = axe_violations(page)
    assert not violations, f"axe on {page.url}:\n{describe_violations(violations)}"


def test_forms_with_errors_show_an_error_summary(page: Page, live_server: LiveServer) -> None:
    """The error states above really were checked: the summary is there and named."""
    from playwright.sync_api import expect

    page.goto("/sign-in")
    _submit_blank_sign_in(page)
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Enter your email address")
    expect(page).to_have_title(re.compile(r"^Error: "))
    # Our init.js moves focus to the summary, so screen readers announce it at once.
    expect(summary).to_be_focused()
    # Each message links to its field.
    summary.get_by_role("link", name="Enter your email address").click()
    expect(page.get_by_label("Email address", exact=True)).to_be_focused()
