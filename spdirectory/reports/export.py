"""Report rows for CSV, XLSX and the API, with small counts suppressed."""

from __future__ import annotations

import csv
import io
from typing import Any

from .. import vocab
from .report import Cell, Report, min_count, suppress

COLUMNS: list[tuple[str, str]] = [
    ("rank", "Priority rank"),
    ("priority_score", "Priority score"),
    ("area_code", "Area code"),
    ("area_name", "Area"),
    ("category", "Category code"),
    ("category_label", "Category"),
    ("population", "Population"),
    ("need_weight", "Need weight"),
    ("activities", "Activities"),
    ("places", "Places per week"),
    ("spare_places", "Spare places"),
    ("waitlists", "Open waitlists"),
    ("referrals", "Referrals sent"),
    ("declined_full", "Declined because full"),
    ("waitlisted", "Waitlist entries"),
    ("unmet_needs", "Unmet needs"),
    *((f"unmet_{code}", f"Unmet: {label}") for code, label in vocab.UNMET_NEED_REASONS.items()),
    ("searches_unmet", "Searches that found nothing available"),
    ("demand_per_100_places", "Demand per 100 places per month"),
    ("unmet_need_rate", "Unmet-need rate"),
    ("waitlist_pressure", "Waitlist pressure"),
    ("places_per_1000", "Places per 1,000 population"),
    ("trend", "Month-on-month demand trend"),
]
# Counts of people or their requests: suppressed below the minimum. Supply counts
# (activities, places) describe listings, which are public, so they are not.
PEOPLE_COUNTS = {
    "referrals",
    "declined_full",
    "waitlisted",
    "unmet_needs",
    "searches_unmet",
    *(f"unmet_{code}" for code in vocab.UNMET_NEED_REASONS),
}


def _round(value: float | None, places: int = 3) -> float | None:
    return None if value is None else round(value, places)


def cell_record(cell: Cell, *, suppressed: bool = True) -> dict[str, Any]:
    m = cell.measures
    record: dict[str, Any] = {
        "rank": cell.rank,
        "priority_score": cell.score,
        "area_code": cell.area_code or None,
        "area_name": cell.area_name,
        "category": cell.category,
        "category_label": cell.category_label,
        "population": cell.population,
        "need_weight": round(cell.need_weight, 4),
        "activities": cell.counts["activities"],
        "places": cell.counts["places"],
        "spare_places": cell.counts["spare"],
        "waitlists": cell.counts["waitlists"],
        "referrals": cell.counts["referrals"],
        "declined_full": cell.counts["declined_full"],
        "waitlisted": cell.counts["waitlisted"],
        "unmet_needs": cell.counts["unmet_needs"],
        **{f"unmet_{code}": n for code, n in cell.unmet_reasons.items()},
        "searches_unmet": cell.counts["searches_unmet"],
        "demand_per_100_places": _round(m.get("demand_per_100_places")),
        "unmet_need_rate": _round(m.get("unmet_need_rate")),
        "waitlist_pressure": _round(m.get("waitlist_pressure")),
        "places_per_1000": _round(m.get("places_per_1000")),
        "trend": _round(m.get("trend")),
    }
    if suppressed:
        minimum = min_count()
        for name in PEOPLE_COUNTS:
            record[name] = suppress(record[name], minimum)
    return record


def records(report: Report) -> list[dict[str, Any]]:
    """Ranked priorities first, then cells without demand."""
    ordered = sorted(
        report.cells,
        key=lambda c: (c.rank is None, c.rank or 0, c.area_name, c.category or ""),
    )
    return [cell_record(c) for c in ordered]


def _columns(report: Report) -> list[tuple[str, str]]:
    skip = set()
    if report.params.group_by == "area":
        skip |= {"category", "category_label"}
    if report.params.group_by == "category":
        skip |= {"area_code"}
    return [c for c in COLUMNS if c[0] not in skip]


def to_csv(report: Report) -> str:
    out = io.StringIO()
    columns = _columns(report)
    writer = csv.writer(out)
    writer.writerow([name for name, _ in columns])
    for record in records(report):
        writer.writerow(["" if record[n] is None else record[n] for n, _ in columns])
    return out.getvalue()


def to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Capacity gaps"
    columns = _columns(report)
    sheet.append([label for _, label in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for record in records(report):
        sheet.append([record[n] for n, _ in columns])
    sheet.freeze_panes = "A2"
    about = book.create_sheet("About")
    about.append(["Period", f"{report.params.from_label} to {report.params.to_label}"])
    about.append(["Grouped by", report.params.group_by])
    about.append(["Area level", report.params.area_type])
    about.append(["As of", report.params.as_of.isoformat() if report.params.as_of else "now"])
    about.append(["Computed at", report.computed_at.isoformat()])
    about.append(["Suppression", f"counts from 1 to {min_count() - 1} shown as <{min_count()}"])
    for name, weight in report.weights.items():
        about.append([f"Weight: {name}", weight])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
