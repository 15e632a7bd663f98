"""The closed loop in a real browser: a link worker refers from a match result, the provider
accepts, the link worker sees it accepted, the provider marks attendance; axe clean."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tests.browser.conftest import LiveServer, assert_accessible

if TYPE_CHECKING:
    from playwright.sync_api import Page

# Far from the seeded Leeds listings, so other browser tests' results are unaffected.
POSTCODE = "NE1 4ST"


def _own_provider_and_activity(live_server: LiveServer) -> tuple[str, int, str]:
    from tests import factories as make

    with live_server.app.app_context():
        from spdirectory.extensions import db

        org = make.organisation("Quayside Bereavement Network")
        provider = make.user("provider", email="quayside@example.org", organisation=org)
        activity = make.activity(
            org,
            title="Quayside bereavement café",
            needs="bereavement;loneliness",
            categories="peer_support",
            postcode=POSTCODE,
            schedule="",
            capacity="8",
            spare_places="2",
            waitlist="yes",
            referral_routes="link_worker",
        )
        make.commit()
        ids = (provider.email, activity.id, activity.title)
        db.session.remove()
    return ids


def test_refer_accept_attend(new_page: Callable[..., Page], live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    seed = live_server.seed
    provider_email, activity_id, title = _own_provider_and_activity(live_server)

    # The link worker finds activities for the person and refers from a match result.
    worker = new_page(seed.link_worker_email)
    worker.goto("/match")
    worker.get_by_label("Postcode", exact=True).fill(POSTCODE)
    worker.get_by_label("Bereavement", exact=True).check()
    worker.get_by_label("In person", exact=True).check()
    worker.get_by_role("button", name="Find activities").click()
    result = worker.locator(f"#result-{activity_id}")
    expect(result).to_be_visible()
    result.get_by_role("link", name=f"Refer to {title}").click()

    expect(worker.get_by_role("heading", level=1)).to_have_text(f"Refer someone to {title}")
    expect(worker.get_by_label("Bereavement", exact=True)).to_be_checked()  # carried over
    assert_accessible(worker)
    worker.get_by_label("Client reference").fill("NE-BROWSER-1")
    worker.get_by_label("What matters to the person").fill("Lost her husband last spring")
    worker.get_by_label("Phone call").check()
    worker.get_by_label("Phone number").fill("07700 900456")
    worker.get_by_label("The person agrees").check()
    worker.get_by_role("button", name="Send referral").click()
    expect(worker.locator(".app-flash--success")).to_contain_text("Referral NE-BROWSER-1 sent")
    expect(worker.get_by_test_id("referral-status")).to_contain_text("Sent")
    assert_accessible(worker)
    referral_url = worker.url

    # The provider finds it in the inbox and accepts.
    provider = new_page(provider_email)
    provider.goto("/referrals/inbox")
    expect(provider.get_by_role("heading", level=1)).to_have_text("Referrals received")
    assert_accessible(provider)
    provider.get_by_role("link", name="NE-BROWSER-1").click()
    expect(provider.get_by_text("the provider sees them once it accepts")).to_be_visible()
    provider.get_by_role("button", name="Accept").click()
    expect(provider.get_by_test_id("referral-status")).to_contain_text("Accepted")
    # Now the provider may see the contact details, behind their own (audited) page.
    provider.get_by_role("link", name="Show the person's contact details").click()
    expect(provider.get_by_text("07700 900456")).to_be_visible()
    assert_accessible(provider)

    # The link worker sees it accepted.
    worker.goto("/referrals/caseload?tab=accepted")
    row = worker.locator("tr", has_text="NE-BROWSER-1")
    expect(row).to_contain_text("Accepted")
    assert_accessible(worker)
    worker.goto(referral_url)
    expect(worker.get_by_test_id("referral-status")).to_contain_text("Accepted")
    expect(worker.get_by_role("button", name="Withdraw the referral")).to_be_visible()

    # The provider marks attendance.
    provider.goto(referral_url)
    provider.get_by_role("button", name="Mark as attended").click()
    expect(provider.get_by_test_id("referral-status")).to_contain_text("Attended")
    expect(provider.locator(".app-referral-history")).to_contain_text("Attended")
    assert_accessible(provider)
    worker.reload()
    expect(worker.get_by_test_id("referral-status")).to_contain_text("Attended")
