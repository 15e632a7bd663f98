"""Panel pages, exports, decisions, the fund page, area import (page and CLI) and the API."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import func, select

from spdirectory.extensions import db
from spdirectory.reports.models import Area, FundAllocation, FundPledge, PanelDecision
from tests.accounts.helpers import bearer, issue_token, quick_user, signed_in
from tests.reports.conftest import Known

PERIOD = "from=2026-01&to=2026-03&as_of=2026-03-31&area_type=ward"


@pytest.fixture
def panel(app: Flask, known: Known) -> tuple[Any, str]:
    person = quick_user("panel")
    db.session.commit()
    client = app.test_client()
    return client, signed_in(client, person.email)


@pytest.fixture
def admin(app: Flask, known: Known) -> tuple[Any, str]:
    person = quick_user("admin")
    db.session.commit()
    client = app.test_client()
    return client, signed_in(client, person.email)


def test_report_page_shows_heat_map_table_and_priorities(panel: tuple[Any, str]) -> None:
    client, _ = panel
    page = client.get(f"/reports/?{PERIOD}").get_data(as_text=True)
    assert 'data-testid="heat-map"' in page
    assert 'data-testid="cell-W2-befriending"' in page
    assert "96.0" in page and "51.5" in page and "34.9" in page
    assert page.index("1. Harehills – Befriending") < page.index("2. Headingley")
    assert 'id="report-chart-data"' in page and "<script>" not in page


def test_report_page_names_bad_filters(panel: tuple[Any, str]) -> None:
    client, _ = panel
    page = client.get("/reports/?from=2026-99").get_data(as_text=True)
    assert "There is a problem with the filters" in page
    assert "use a month as YYYY-MM" in page


def test_drill_down_suppresses_small_counts(panel: tuple[Any, str]) -> None:
    client, _ = panel
    page = client.get(f"/reports/cell?{PERIOD}&area=W1&category=green_nature").get_data(
        as_text=True
    )
    assert "A2 green walk" in page  # the listing behind the cell
    assert "A1 walk" not in page  # walking only, not green_nature
    summary = page[page.index('data-testid="cell-summary"') :]
    assert "&lt;5" in summary  # 4 referrals
    big = client.get(f"/reports/cell?{PERIOD}&area=W1&category=walking").get_data(as_text=True)
    assert ">18<" in big  # 18 referrals are shown
    # A whole category (every area): A1, A2, A4 and the city-centre A5.
    everywhere = client.get(f"/reports/cell?{PERIOD}&category=walking").get_data(as_text=True)
    assert all(t in everywhere for t in ("A1 walk", "A2 green walk", "A4 walk", "A5 city walk"))
    assert client.get(f"/reports/cell?{PERIOD}").status_code == 400


def test_csv_export_suppresses_counts_below_five(panel: tuple[Any, str]) -> None:
    client, _ = panel
    response = client.get(f"/reports/export.csv?{PERIOD}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "capacity-gaps-2026-01-to-2026-03.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["area_code"], r["category"], r["rank"]) for r in rows] == [
        ("W2", "befriending", "1"),
        ("W1", "green_nature", "2"),
        ("W1", "walking", "3"),
        ("W2", "walking", ""),
    ]
    befriending, green, walking = rows[0], rows[1], rows[2]
    assert (befriending["referrals"], befriending["declined_full"]) == ("5", "<5")
    assert (green["referrals"], green["waitlisted"]) == ("<5", "<5")
    assert (walking["referrals"], walking["places"]) == ("18", "30")
    assert befriending["priority_score"] == "96.0"


def test_xlsx_export(panel: tuple[Any, str]) -> None:
    client, _ = panel
    response = client.get(f"/reports/export.xlsx?{PERIOD}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["Capacity gaps"]
    header = [c.value for c in sheet[1]]
    first = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert first["Area"] == "Harehills" and first["Priority score"] == 96.0
    assert first["Declined because full"] == "<5"
    assert book["About"]["B1"].value == "2026-01 to 2026-03"


def test_panel_records_a_decision(panel: tuple[Any, str]) -> None:
    client, csrf = panel
    response = client.post(
        "/reports/decisions",
        data={
            "csrf_token": csrf,
            "area": "W2",
            "category": "befriending",
            "decision": "invest",
            "note": "Fund a second group",
            "from": "2026-01",
            "to": "2026-03",
            "return_to": f"/reports/?{PERIOD}",
        },
    )
    assert response.status_code == 302
    assert response.location.startswith("/reports/?")
    decision = db.session.scalars(select(PanelDecision)).one()
    assert (decision.decision, decision.note, decision.period_to) == (
        "invest",
        "Fund a second group",
        "2026-03",
    )
    page = client.get(f"/reports/?{PERIOD}").get_data(as_text=True)
    assert "Fund a second group" in page


def test_a_bad_decision_is_refused_and_nothing_stored(panel: tuple[Any, str]) -> None:
    client, csrf = panel
    response = client.post(
        "/reports/decisions",
        data={
            "csrf_token": csrf,
            "area": "W2",
            "category": "knitting",
            "decision": "yes",
            "return_to": "https://evil.example/",
        },
    )
    assert response.status_code == 302 and response.location == "/reports/"
    assert db.session.scalar(select(func.count()).select_from(PanelDecision)) == 0
    page = client.get("/reports/").get_data(as_text=True)
    assert "Choose a category" in page and "Choose a decision" in page


def test_fund_page_pledges_and_split(admin: tuple[Any, str]) -> None:
    client, csrf = admin
    url = "/reports/fund?area=LEEDS&year=2025"
    page = client.get(url).get_data(as_text=True)
    assert "£108,000.00" in page  # 100,000 × £0.90 × 1.2
    for source, amount in (("nhs", "50000"), ("local_government", "50,000"), ("employer", "8000")):
        response = client.post(
            "/reports/fund/pledges?area=LEEDS&year=2025",
            data={"csrf_token": csrf, "source": source, "amount": amount, "pledger": "P"},
        )
        assert response.status_code == 302
    bad = client.post(
        "/reports/fund/pledges?area=LEEDS&year=2025",
        data={"csrf_token": csrf, "source": "nhs", "amount": "lots"},
        follow_redirects=True,
    )
    assert "enter an amount in pounds" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(FundPledge)) == 3
    page = client.get(url).get_data(as_text=True)
    assert "£216,000.00" in page  # pot: £108,000 local + £108,000 match

    too_much = client.post(
        "/reports/fund/split?area=LEEDS&year=2025",
        data={"csrf_token": csrf, "priority": "W2|befriending", "amount-0": "300000"},
        follow_redirects=True,
    )
    assert "more than the pot" in too_much.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(FundAllocation)) == 0
    saved = client.post(
        "/reports/fund/split?area=LEEDS&year=2025",
        data={
            "csrf_token": csrf,
            "priority": ["W2|befriending", "W1|green_nature"],
            "amount-0": "150000",
            "score-0": "96",
            "amount-1": "66000",
            "score-1": "51.5",
        },
    )
    assert saved.status_code == 302
    rows = db.session.scalars(select(FundAllocation).order_by(FundAllocation.id)).all()
    assert [(r.category, r.amount_pence) for r in rows] == [
        ("befriending", 15_000_000),
        ("green_nature", 6_600_000),
    ]


def split_rows(page: str) -> list[tuple[str, float, str]]:
    """(priority, exact score, suggested amount) for each row of the page's split table."""
    table = page[page.index('data-testid="split"') :]
    table = table[: table.index("</table>")]
    return [
        (key, float(score), amount)
        for key, score, amount in re.findall(
            r'name="priority" value="([^"]+)">'
            r'<input type="hidden" name="score-\d+" value="([^"]+)">'
            r'.*?name="amount-\d+" inputmode="decimal" value="([^"]+)"',
            table,
            re.S,
        )
    ]


def test_fund_page_splits_the_pot_by_the_years_priorities(admin: tuple[Any, str]) -> None:
    """Fund year 2026 (April 2026) ranks on April 2025 to March 2026 as recorded by 31 March
    2026: A1's December 2025 referral counts (19 for Headingley walking), its April
    referral and May capacity change do not."""
    client, _ = admin
    leeds = db.session.scalar(select(Area).where(Area.code == "LEEDS"))
    # Local share 2026: £0.90 × 100,000 × 1.2 × 1.038 (September 2025 CPI) = £112,104.
    for source, pounds in (("nhs", 60_000), ("local_government", 50_000), ("employer", 10_000)):
        db.session.add(
            FundPledge(area_id=leeds.id, year=2026, source=source, amount_pence=pounds * 100)
        )
    db.session.commit()
    page = client.get("/reports/fund?area=LEEDS&year=2026").get_data(as_text=True)
    assert "£232,104.00" in page  # pot: £120,000 pledged + £112,104 match
    assert "the report for 2025-04 to 2026-03</a> as recorded by 31 March 2026" in page
    assert "from=2025-04&amp;to=2026-03" in page  # the link to that report

    # Scores on that 12-month report (docs/reports.md): befriending 1.5 × (0.35 + 0.25 × 0.4
    # + 0.15 × 0.6 + 0.15 × 2/3) = 96.0; green space as in test_report.py, 51.5; walking
    # 0.35 × 19/30 + 0.25 × 1/19 + 0.15 × 3/19 + 0.10 × 1 = 35.85.
    rows = split_rows(page)
    assert rows == [
        ("W2|befriending", 96.0, "121527.00"),
        ("W1|green_nature", 51.5, "65194.00"),
        ("W1|walking", 35.85, "45383.00"),
    ]
    # In proportion to score: £232,104 × score / 183.35, in whole pounds (the pound lost to
    # rounding goes to the largest remainder, walking's .76), adding up to the pot.
    total = sum(score for _, score, _ in rows)
    for _, score, amount in rows:
        share = 232_104 * score / total
        assert int(share) <= float(amount) <= int(share) + 1
    assert sum(float(amount) for _, _, amount in rows) == 232_104

    # Fund year 2025 ranks on April 2024 to March 2025: no demand then, so no split.
    earlier = client.get("/reports/fund?area=LEEDS&year=2025").get_data(as_text=True)
    assert 'data-testid="split"' not in earlier
    assert "the report for 2024-04 to 2025-03</a> has no demand here" in earlier


def test_areas_import_page_reports_bad_rows(admin: tuple[Any, str]) -> None:
    client, csrf = admin
    body = (
        "code,name,type,parent_code,population,need_weight,postcode_districts\n"
        "W3,Chapel Allerton,ward,LEEDS,19000,1.1,LS7\n"
        "W4,Bad,county,,x,0,LS\n"
    )
    response = client.post(
        "/reports/areas",
        data={"csrf_token": csrf, "file": (io.BytesIO(body.encode()), "areas.csv")},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 areas created, 0 updated, 1 rows rejected" in page
    assert "type &#39;county&#39; is not one of" in page
    assert "population &#39;x&#39; is not a whole number" in page
    assert db.session.scalar(select(Area).where(Area.code == "W3")).population == 19000
    assert db.session.scalar(select(Area).where(Area.code == "W4")) is None
    # The place now also covers LS7, through its new ward.
    leeds = db.session.scalar(select(Area).where(Area.code == "LEEDS"))
    assert [d.district for d in leeds.districts] == ["LS6", "LS7", "LS8", "LS9"]

    bad = client.post(
        "/reports/areas",
        data={"csrf_token": csrf, "file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")},
    )
    assert bad.status_code == 400
    assert "the header row lacks code, name, type" in bad.get_data(as_text=True)


def test_cli_areas_import(app: Flask, tmp_path: Any) -> None:
    good = tmp_path / "areas.csv"
    good.write_text(
        "code,name,type,parent_code,population,need_weight,postcode_districts\n"
        "P1,Place,place,,1000,1,\n"
        "P1-W,Ward,ward,P1,500,1.3,LS6;LS16\n"
        "BAD,Bad,ward,MISSING,1,1,LS6\n"
    )
    result = app.test_cli_runner().invoke(args=["areas", "import", str(good)])
    assert result.exit_code == 1
    assert "2 areas created, 0 updated, 1 rows rejected" in result.output
    assert "row 4 (BAD): parent_code MISSING is not a known area" in result.output
    place = db.session.scalar(select(Area).where(Area.code == "P1"))
    assert sorted(d.district for d in place.districts) == ["LS16", "LS6"]
    missing = app.test_cli_runner().invoke(args=["areas", "import", str(tmp_path / "no.csv")])
    assert missing.exit_code != 0


def test_api_capacity_gaps_json_and_csv(app: Flask, known: Known) -> None:
    person = quick_user("panel")
    _, token = issue_token(person)
    db.session.commit()
    client = app.test_client()
    response = client.get(
        "/api/v1/reports/capacity-gaps?from=2026-01&to=2026-03&as_of=2026-03-31&group_by=both",
        headers=bearer(token),
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["from"], body["to"], body["group_by"], body["total"]) == (
        "2026-01",
        "2026-03",
        "both",
        4,
    )
    first = body["results"][0]
    assert (first["area_code"], first["category"], first["priority_score"]) == (
        "W2",
        "befriending",
        96.0,
    )
    assert first["referrals"] == 5 and first["declined_full"] == "<5"
    assert body["as_of"].startswith("2026-03-31T23:59:59")

    by_category = client.get(
        "/api/v1/reports/capacity-gaps?from=2026-01&to=2026-03&group_by=category&format=csv",
        headers=bearer(token),
    )
    assert by_category.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(by_category.get_data(as_text=True))))
    assert {r["category"] for r in rows} == {"walking", "green_nature", "befriending"}

    bad = client.get(
        "/api/v1/reports/capacity-gaps?group_by=ward&from=x&format=pdf", headers=bearer(token)
    )
    assert bad.status_code == 400
    assert bad.get_json()["error"]["fields"] == {"format": "json or csv"}
    bad = client.get("/api/v1/reports/capacity-gaps?group_by=ward&from=x", headers=bearer(token))
    assert set(bad.get_json()["error"]["fields"]) == {"group_by", "from"}
