"""A fund panel member in a real browser: opens the capacity-gap report, filters to one area,
drills into a cell, exports CSV and records a decision; axe clean throughout."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from tests.browser.conftest import LiveServer, assert_accessible

if TYPE_CHECKING:
    from playwright.sync_api import Page

# Far from the seeded Leeds listings, so other browser tests' results are unaffected.
POSTCODE = "TR1 2AA"
PANEL_EMAIL = "panel-reports@example.org"


def _seed(live_server: LiveServer) -> None:
    from tests import factories as make

    with live_server.app.app_context():
        from spdirectory.db_types import utcnow
        from spdirectory.extensions import db
        from spdirectory.referrals.models import Referral
        from spdirectory.reports.areas import import_areas

        import_areas(
            enumerate(
                [
                    {
                        "code": "TR-TRURO",
                        "name": "Truro",
                        "type": "ward",
                        "population": "19000",
                        "need_weight": "1.1",
                        "postcode_districts": "TR1",
                    },
                    {
                        "code": "TR-FALMOUTH",
                        "name": "Falmouth",
                        "type": "ward",
                        "population": "22000",
                        "postcode_districts": "TR11",
                    },
                ],  # fmt: skip
                start=2,
            )
        )
        org = make.organisation("Truro Community Trust")
        activity = make.activity(
            org,
            title="Truro befriending circle",
            categories="befriending",
            postcode=POSTCODE,
            capacity="6",
            spare_places="0",
            waitlist="yes",
        )
        now = utcnow()
        for i in range(7):
            db.session.add(
                Referral(
                    activity_id=activity.id,
                    organisation_id=org.id,
                    client_reference=f"TR-{i}",
                    created_at=now - timedelta(minutes=i),
                    respond_by=now + timedelta(days=3),
                )
            )
        make.user("panel", email=PANEL_EMAIL)
        make.commit()
        db.session.remove()


def test_panel_report_filter_drill_export_decide(
    new_page: Callable[..., Page], live_server: LiveServer, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    _seed(live_server)
    page = new_page(PANEL_EMAIL)
    page.goto("/")
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Capacity gaps and investment priorities"
    )
    expect(page.get_by_test_id("heat-map")).to_contain_text("Truro")
    assert_accessible(page)

    # Filter to one area.
    page.get_by_label("Area", exact=True).select_option(label="Truro (Ward)")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"area=TR-TRURO"))
    table = page.get_by_test_id("report-table")
    expect(table).to_contain_text("Truro")
    expect(table).not_to_contain_text("Falmouth")
    assert_accessible(page)
    report_url = page.url

    # Drill into the cell: the listing and the anonymised demand behind it.
    page.get_by_test_id("cell-TR-TRURO-befriending").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Truro – Befriending")
    expect(page.get_by_test_id("cell-listings")).to_contain_text("Truro befriending circle")
    expect(page.get_by_test_id("cell-summary")).to_contain_text("7")
    assert_accessible(page)

    # Export CSV.
    page.goto(report_url)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    saved = tmp_path / "report.csv"
    info.value.save_as(saved)
    text = saved.read_text()
    assert text.startswith("rank,priority_score,area_code")
    assert "TR-TRURO,Truro,befriending" in text

    # Record a decision on the priority.
    page.get_by_label("Decision for Truro, Befriending").select_option(label="Invest")
    page.get_by_label("Note for Truro, Befriending (optional)").fill("Fund a second circle")
    page.get_by_role("button", name="Record decision for Truro, Befriending").click()
    expect(page.locator(".app-flash--success")).to_contain_text("Decision recorded for Truro")
    expect(page.get_by_test_id("decision-TR-TRURO-befriending")).to_contain_text(
        "Fund a second circle"
    )
    assert_accessible(page)
