"""An admin finds a failed email in the outbox, reads it and queues it again; axe clean."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tests.browser.conftest import LiveServer, assert_accessible

if TYPE_CHECKING:
    from playwright.sync_api import Page


def _failed_email(live_server: LiveServer) -> int:
    with live_server.app.app_context():
        from spdirectory.extensions import db
        from spdirectory.notifications.services import queue_email

        email = queue_email(
            "outbox-browser@example.org",
            "Referral accepted: Outbox browser test",
            "A referral you made is now accepted.\n\nSign in to see the referral.",
            kind="referral_accepted",
            ref="referral:0",
        )
        email.status = "failed"
        email.attempts = 6
        email.last_error = "SMTP 554: 5.7.1 Rejected for the browser test"
        db.session.commit()
        email_id = email.id
        db.session.remove()
    return email_id


def test_admin_retries_a_failed_email(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    email_id = _failed_email(live_server)
    page = new_page(live_server.seed.admin_email)
    page.goto("/admin/")
    page.get_by_role("link", name="Email outbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Email outbox")
    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    assert_accessible(page)

    page.get_by_role("link", name="Referral accepted: Outbox browser test").click()
    expect(page).to_have_url(f"{live_server.url}/admin/outbox/{email_id}")
    expect(page.locator("main")).to_contain_text("Rejected for the browser test")
    assert_accessible(page)

    page.get_by_role("button", name="Retry sending").click()
    expect(page.locator(".app-flash--success")).to_contain_text("queued again")
    expect(page.get_by_role("button", name="Retry sending")).to_have_count(0)
    assert_accessible(page)
