"""An admin reviews a likely duplicate from two imported sources and merges it; axe clean."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tests.browser.conftest import LiveServer, assert_accessible

if TYPE_CHECKING:
    from playwright.sync_api import Page


def _pair(live_server: LiveServer) -> tuple[int, int]:
    with live_server.app.app_context():
        from spdirectory.extensions import db
        from spdirectory.openreferral.aggregation import queue_duplicates
        from tests import factories

        org = factories.organisation("Duplicate Browser Walkers")
        a = factories.activity(org, title="Browser duplicate walk", postcode="LS8 2HH")
        b = factories.activity(org, title="Browser Duplicate Walk", postcode="LS8 2HH")
        a.source, b.source = "council.json", "https://nhs.example.org/openreferral"
        db.session.flush()
        assert queue_duplicates([a.id]) == 1
        db.session.commit()
        ids = (a.id, b.id)
        db.session.remove()
    return ids


def test_admin_merges_a_likely_duplicate(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    first, second = _pair(live_server)
    page = new_page(live_server.seed.admin_email)
    page.goto("/admin/")
    page.get_by_role("link", name="Likely duplicates").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Likely duplicate listings")
    pair = page.locator("section", has_text="Browser duplicate walk")
    expect(pair).to_contain_text("Same organisation name")
    expect(pair).to_contain_text("council.json")
    assert_accessible(page)

    # Saving without a choice says what is missing.
    pair.get_by_role("button").click()
    expect(page.locator(".app-flash--error")).to_contain_text("Choose merge or keep apart")
    assert_accessible(page)

    pair = page.locator("section", has_text="Browser duplicate walk")
    pair.get_by_label("Merge: keep the first listing, archive the second").check()
    pair.get_by_role("button").click()
    expect(page.locator(".app-flash--success")).to_contain_text("Merged")
    expect(page.locator("section", has_text="Browser duplicate walk")).to_have_count(0)
    assert_accessible(page)

    with live_server.app.app_context():
        from spdirectory.directory.models import Activity
        from spdirectory.extensions import db

        assert db.session.get(Activity, min(first, second)).status == "published"
        assert db.session.get(Activity, max(first, second)).status == "archived"
        db.session.remove()
