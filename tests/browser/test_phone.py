"""The main pages work on a phone: nothing wider than a 360-pixel screen, the menu reachable,
and axe clean at that size (reflow, WCAG 1.4.10)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import LiveServer, axe_violations, describe_violations

if TYPE_CHECKING:
    from playwright.sync_api import Page

PAGES = {
    "home": (lambda s: "/", None),
    "browse": (lambda s: "/activities?near=LS1+1AZ&within_km=5", None),
    "activity": (lambda s: f"/activities/{s.activity_id}", None),
    "organisation": (lambda s: f"/organisations/{s.organisation_id}", None),
    "listings": (lambda s: "/manage/", "provider"),
    "match": (lambda s: "/match", "link_worker"),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_pages_fit_a_phone(
    name: str, new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    path, role = PAGES[name]
    seed = live_server.seed
    email = {"provider": seed.provider_email, "link_worker": seed.link_worker_email}.get(role or "")
    page = new_page(email, shared=True)
    page.set_viewport_size({"width": 360, "height": 740})
    response = page.goto(path(seed))
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than a 360px phone screen"
    violations = axe_violations(page)
    assert not violations, f"axe on {page.url} at 360px:\n{describe_violations(violations)}"
