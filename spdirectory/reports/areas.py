"""Importing areas from CSV, and the district lists that map activities and demand to them.

CSV header: code, name, type, parent_code, population, need_weight, postcode_districts
(districts separated by `;`). Rows are upserted by code. A row with a problem is not
imported at all; the others are. An area given no districts of its own covers its
children's (kept as `inherited` rows, refreshed after every import).
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy import delete, insert, select

from ..extensions import db
from .models import AREA_TYPES, Area, AreaDistrict

HEADER = ("code", "name", "type", "parent_code", "population", "need_weight", "postcode_districts")
DISTRICT_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
CODE_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,40}$")


class AreaFileError(ValueError):
    """The file as a whole cannot be read (no header, wrong columns)."""


@dataclass
class RowError:
    row: int
    code: str
    reason: str


@dataclass
class AreaImportReport:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.created} areas created, {self.updated} updated, "
            f"{len(self.errors)} rows rejected"
        )


@dataclass
class AreaRow:
    code: str
    name: str
    type: str
    parent_code: str | None
    population: int
    need_weight: float
    districts: list[str]


def parse_row(raw: dict[str, str]) -> tuple[AreaRow | None, list[str]]:
    """Clean values, or every problem with the row."""
    problems: list[str] = []
    get = lambda name: (raw.get(name) or "").strip()  # noqa: E731
    code = get("code")
    if not code:
        problems.append("code is missing")
    elif not CODE_RE.match(code):
        problems.append(f"code {code!r} may only use letters, digits and _ . : - (40 at most)")
    name = get("name")
    if not name:
        problems.append("name is missing")
    kind = get("type").lower()
    if kind not in AREA_TYPES:
        problems.append(f"type {kind or '(empty)'!r} is not one of {', '.join(AREA_TYPES)}")
    population = 0
    try:
        population = int(get("population").replace(",", "") or "0")
        if population < 0:
            problems.append("population cannot be negative")
    except ValueError:
        problems.append(f"population {get('population')!r} is not a whole number")
    weight = 1.0
    try:
        weight = float(get("need_weight") or "1")
        if not 0 < weight <= 10:
            problems.append("need_weight must be more than 0 and at most 10")
    except ValueError:
        problems.append(f"need_weight {get('need_weight')!r} is not a number")
    districts: list[str] = []
    for part in get("postcode_districts").replace(",", ";").split(";"):
        district = part.strip().upper().replace(" ", "")
        if not district:
            continue
        if not DISTRICT_RE.match(district):
            problems.append(f"{part.strip()!r} is not a postcode district (like LS6)")
        elif district not in districts:
            districts.append(district)
    parent = get("parent_code") or None
    if parent and parent == code:
        problems.append("an area cannot be its own parent")
    if problems:
        return None, problems
    return AreaRow(code, name, kind, parent, population, weight, districts), []


def import_areas(rows: Iterable[tuple[int, dict[str, str]]]) -> AreaImportReport:
    """Upsert areas from (row number, raw dict) pairs; the caller commits."""
    report = AreaImportReport()
    clean: list[tuple[int, AreaRow]] = []
    seen: dict[str, int] = {}
    for number, raw in rows:
        row, problems = parse_row(raw)
        code = (raw.get("code") or "").strip()
        if row and row.code in seen:
            problems = [f"code {row.code} already appears on row {seen[row.code]}"]
        if problems or row is None:
            report.errors.append(RowError(number, code, "; ".join(problems)))
            continue
        seen[row.code] = number
        clean.append((number, row))

    existing = {a.code: a for a in db.session.scalars(select(Area))}
    known_codes = set(existing) | {row.code for _, row in clean}
    for number, row in clean:
        if row.parent_code and row.parent_code not in known_codes:
            report.errors.append(
                RowError(number, row.code, f"parent_code {row.parent_code} is not a known area")
            )
            continue
        area = existing.get(row.code)
        if area is None:
            area = Area(code=row.code)
            db.session.add(area)
            existing[row.code] = area
            report.created += 1
        else:
            report.updated += 1
        area.name = row.name
        area.type = row.type
        area.parent_code = row.parent_code
        area.population = row.population
        area.need_weight = row.need_weight
        area.districts = [AreaDistrict(district=d, inherited=False) for d in row.districts]
    db.session.flush()
    refresh_inherited_districts()
    return report


def import_areas_csv(fh: IO[str]) -> AreaImportReport:
    reader = csv.DictReader(fh)
    if reader.fieldnames is None:
        raise AreaFileError("the file is empty")
    names = [n.strip().lower() for n in reader.fieldnames]
    missing = [h for h in ("code", "name", "type") if h not in names]
    if missing:
        raise AreaFileError(
            f"the header row lacks {', '.join(missing)} (expected: {', '.join(HEADER)})"
        )
    reader.fieldnames = names
    return import_areas(enumerate(reader, start=2))


def template_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerow(["E54000054", "West Yorkshire", "icb", "", "2400000", "1.05", ""])
    writer.writerow(["LEEDS", "Leeds", "place", "E54000054", "812000", "1.08", ""])
    writer.writerow(["W-HEADINGLEY", "Headingley", "ward", "LEEDS", "21000", "0.9", "LS6"])
    return out.getvalue()


def refresh_inherited_districts() -> None:
    """Areas without districts of their own cover every district of their descendants."""
    areas = db.session.execute(select(Area.id, Area.code, Area.parent_code)).all()
    own_rows = db.session.execute(
        select(AreaDistrict.area_id, AreaDistrict.district).where(AreaDistrict.inherited.is_(False))
    ).all()
    own: dict[int, set[str]] = defaultdict(set)
    for area_id, district in own_rows:
        own[area_id].add(district)
    children: dict[str, list[int]] = defaultdict(list)
    for area_id, _code, parent in areas:
        if parent:
            children[parent].append(area_id)
    code_of = {area_id: code for area_id, code, _ in areas}

    def covered(area_id: int, visiting: frozenset[int]) -> set[str]:
        if own[area_id]:
            return own[area_id]
        found: set[str] = set()
        for child in children.get(code_of[area_id], []):
            if child not in visiting:  # a parent loop in the data must not recurse forever
                found |= covered(child, visiting | {child})
        return found

    db.session.execute(delete(AreaDistrict).where(AreaDistrict.inherited.is_(True)))
    new_rows = [
        {"area_id": area_id, "district": d, "inherited": True}
        for area_id, _code, _parent in areas
        if not own[area_id]
        for d in sorted(covered(area_id, frozenset({area_id})))
    ]
    if new_rows:
        db.session.execute(insert(AreaDistrict), new_rows)
    db.session.expire_all()
