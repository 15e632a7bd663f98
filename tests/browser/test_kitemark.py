"""The kite mark in a real browser: a provider applies with evidence, a reviewer asks for a
change, the provider resubmits, the reviewer awards, and the badge (with its valid-until
date) shows in search results; every page axe clean."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tests.browser.conftest import LiveServer, assert_accessible

if TYPE_CHECKING:
    from playwright.sync_api import Page

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ORGANISATION = "Kite Hill Gardeners"
TITLE = "Kite Hill allotment mornings"


def _own_organisation(live_server: LiveServer) -> tuple[str, str]:
    from tests import factories as make

    with live_server.app.app_context():
        from spdirectory.extensions import db

        org = make.organisation(ORGANISATION)
        provider = make.user("provider", email="kitehill@example.org", organisation=org)
        reviewer = make.user("reviewer", email="kitemark-reviewer@example.org")
        make.activity(org, title=TITLE, categories="gardening", postcode="LS6 3HN")
        make.commit()
        emails = (provider.email, reviewer.email)
        db.session.remove()
    return emails


def test_apply_change_resubmit_award(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    provider_email, reviewer_email = _own_organisation(live_server)

    # The provider applies: answers every question and uploads the evidence asked for.
    provider = new_page(provider_email)
    provider.goto("/kite-mark/your-organisation")
    assert_accessible(provider)
    provider.get_by_role("button", name="Apply for the kite mark").click()
    expect(provider.get_by_role("heading", level=1)).to_have_text("Kite-mark application")
    assert_accessible(provider)
    for textarea in provider.locator("textarea[id^=answer-]").all():
        textarea.fill("We have this in place; details in the attached documents.")
    provider.locator("#answer-insurance_expiry").fill("31/12/2099")
    for upload in provider.locator("input[type=file]").all():
        code = (upload.get_attribute("id") or "").removeprefix("evidence-")
        if code in ("safeguarding", "public_liability"):
            upload.set_input_files(
                files=[{"name": f"{code}.pdf", "mimeType": "application/pdf", "buffer": PDF}]
            )
    provider.get_by_role("button", name="Submit for review").click()
    expect(provider.locator(".app-flash--success")).to_contain_text("Application submitted")
    expect(provider.get_by_test_id("kitemark-status")).to_contain_text("Kite mark pending")

    # The reviewer finds it in the queue and asks for one change.
    reviewer = new_page(reviewer_email)
    reviewer.goto("/kite-mark/review")
    assert_accessible(reviewer)
    reviewer.get_by_role("link", name=ORGANISATION).click()
    expect(reviewer.get_by_role("heading", level=1)).to_have_text("Kite-mark application")
    assert_accessible(reviewer)
    reviewer.get_by_label("Comment on question 1 (optional)").fill(
        "Please give the name of your safeguarding lead."
    )
    reviewer.get_by_label("Ask for changes").check()
    reviewer.get_by_role("button", name="Record decision").click()
    expect(reviewer.locator(".app-flash--success")).to_contain_text("Changes requested")

    # The provider sees the comment beside the question, answers it and resubmits.
    provider.goto("/kite-mark/your-organisation")
    provider.get_by_role("link", name="Make the changes").click()
    expect(provider.get_by_test_id("comment-safeguarding")).to_contain_text(
        "name of your safeguarding lead"
    )
    assert_accessible(provider)
    provider.locator("#answer-safeguarding").fill("Our safeguarding lead is Pat Jones.")
    provider.get_by_role("button", name="Submit for review").click()
    expect(provider.locator(".app-flash--success")).to_contain_text("Application submitted")

    # The reviewer awards it.
    reviewer.goto("/kite-mark/review")
    reviewer.get_by_role("link", name=ORGANISATION).click()
    expect(reviewer.get_by_test_id("answer-safeguarding")).to_contain_text("Pat Jones")
    reviewer.get_by_label("Award the kite mark").check()
    reviewer.get_by_role("button", name="Record decision").click()
    expect(reviewer.locator(".app-flash--success")).to_contain_text("Kite mark awarded")

    # Anyone searching for kite-marked activities sees the badge with its valid-until date.
    visitor = new_page()
    visitor.goto("/activities?kite_mark=awarded")
    result = visitor.locator("li", has=visitor.get_by_role("link", name=TITLE)).first
    expect(result).to_contain_text("Kite-marked")
    expect(result).to_contain_text("until")
    assert_accessible(visitor)

    provider.goto("/kite-mark/your-organisation")
    expect(provider.get_by_test_id("kitemark-status")).to_contain_text("Kite-marked")
    expect(provider.get_by_test_id("kitemark-history")).to_contain_text("Kite mark awarded")
