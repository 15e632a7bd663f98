"""The browser harness itself: problems on a page are caught, external hosts are not."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tests.browser.conftest import PageProblems

if TYPE_CHECKING:
    from playwright.sync_api import Page


def _wait_for(page: Page, problems: PageProblems, count: int, seconds: float = 5.0) -> list[str]:
    # Events arrive only while Playwright is called, so wait in the browser, not with sleep.
    deadline = time.monotonic() + seconds
    while len(problems.problems) < count and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    return list(problems.problems)


def test_csp_violations_script_errors_and_broken_local_files_are_reported(
    page: Page, page_problems: PageProblems
) -> None:
    page.goto("/kite-mark")
    page.evaluate(
        """() => {
            const inline = document.createElement('script');
            inline.textContent = 'window.inlineScriptRan = true';
            document.body.appendChild(inline);
            const missing = document.createElement('img');
            missing.src = '/static/no-such-image.png';
            missing.alt = '';
            document.body.appendChild(missing);
        }"""
    )
    page.evaluate("() => { setTimeout(() => { throw new Error('thrown by the harness test'); }); }")
    seen = _wait_for(page, page_problems, 3)
    # The app's CSP blocks inline scripts, and the refusal is reported.
    assert page.evaluate("() => window.inlineScriptRan") is None
    assert any("Content Security Policy" in p for p in seen), seen
    assert any("thrown by the harness test" in p for p in seen), seen
    assert any("404" in p and "no-such-image.png" in p for p in seen), seen
    page_problems.problems.clear()  # expected here: must not fail this test


def test_requests_to_other_hosts_fail_quietly(page: Page, page_problems: PageProblems) -> None:
    page.goto("/kite-mark")
    started = time.monotonic()
    outcome = page.evaluate(
        """() => new Promise((resolve) => {
            const tile = new Image();
            tile.onload = () => resolve('loaded');
            tile.onerror = () => resolve('failed');
            tile.src = 'https://a.tile.openstreetmap.org/0/0/0.png';
        })"""
    )
    assert outcome == "failed"
    assert time.monotonic() - started < 3, "external requests must fail at once, not time out"
    _wait_for(page, page_problems, 1, seconds=0.5)
    assert page_problems.problems == []
