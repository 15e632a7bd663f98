"""Bulk import of activities from the CSV template (docs/import-format.md).

Every row is validated in full before anything is written; a bad row is reported with its
row number and reason and never partly stored. Rows are upserted by (source, external_id).

The `kite_mark` column is never written onto a listing: the kite mark is the organisation's.
When an admin imports, it is recorded through the kite-mark service (an award with a
valid-until date and a history entry; see docs/kitemark.md), otherwise it is ignored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TextIO

from sqlalchemy import select, tuple_

from .. import vocab
from ..db_types import utcnow
from ..extensions import db
from .listing import ListingError, apply_listing, listing_fields, parse_listing
from .models import Activity, Organisation

TEMPLATE_COLUMNS = [
    "external_id", "organisation", "organisation_type", "charity_number", "title",
    "description", "categories", "needs", "address", "postcode", "modes", "schedule", "cost",
    "age_min", "age_max", "wheelchair_accessible", "languages", "referral_routes", "capacity",
    "spare_places", "waitlist", "kite_mark", "contact_name", "email", "phone", "website",
    "capacity_updated", "last_reviewed",
]  # fmt: skip
REQUIRED_COLUMNS = {"organisation", "title", "categories"}
BATCH_SIZE = 500


@dataclass
class RowError:
    row: int  # the spreadsheet row number: the header is row 1
    reason: str
    external_id: str = ""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    organisations_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    # Organisations whose kite-mark status an admin's import recorded, and those whose
    # existing kite-mark record differed from the file's status and was kept.
    kite_marks_recorded: int = 0
    kite_marks_kept: int = 0

    @property
    def rejected(self) -> int:
        return len(self.errors)

    def summary(self) -> str:
        text = (
            f"{self.created} created, {self.updated} updated, {self.rejected} rejected, "
            f"{self.organisations_created} new organisations"
        )
        # Only when there are any: the counts line is otherwise as it always was.
        if self.kite_marks_recorded:
            text += f", {_plural(self.kite_marks_recorded, 'kite mark')} recorded"
        if self.kite_marks_kept:
            text += (
                f", {_plural(self.kite_marks_kept, 'kite mark')} left as already recorded "
                "(change them on the kite-mark pages)"
            )
        return text

    def _counts(self) -> tuple[int, int, int, int, int]:
        return (
            self.created,
            self.updated,
            self.organisations_created,
            self.kite_marks_recorded,
            self.kite_marks_kept,
        )

    def _restore(self, counts: tuple[int, int, int, int, int]) -> None:
        (
            self.created,
            self.updated,
            self.organisations_created,
            self.kite_marks_recorded,
            self.kite_marks_kept,
        ) = counts


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class _KiteMark:
    """An organisation's kite-mark status from the file, recorded when its batch is stored."""

    status: str
    row: int
    reviewed_on: date | None = None


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not CSV, missing columns)."""


def template_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TEMPLATE_COLUMNS)
    writer.writerow(
        [
            "walk-001", "Hilltop Walkers", "community_group", "", "Tuesday wellbeing walk",
            "A gentle 45-minute walk round the park, then tea.", "walking;green_nature",
            "loneliness;physical_inactivity", "Roundhay Park, Leeds", "LS8 2HH", "in_person",
            "Tue 10:00-11:00", "free", "18", "", "yes", "en", "self;link_worker", "20", "5",
            "no", "", "Sam Smith", "walks@example.org", "0113 496 0000",
            "https://example.org/walks", "2026-11-01", "2026-10-01",
        ]
    )  # fmt: skip
    return out.getvalue()


def read_rows(stream: TextIO) -> Iterable[tuple[int, dict[str, str]]]:
    # csv.reader, not DictReader: DictReader skips blank lines without counting them, which
    # made every row number after a blank line wrong.
    reader = csv.reader(stream)
    try:
        first = next(reader, None)
    except csv.Error as exc:
        raise ImportFileError(f"The header row cannot be read as CSV: {exc}") from None
    if first is None:
        raise ImportFileError("The file is empty: it needs a header row (see the template)")
    # A byte-order mark survives when the caller decoded with plain "utf-8".
    header = [h.replace("\ufeff", "").strip().lower() for h in first]
    missing = REQUIRED_COLUMNS - set(header)
    if missing:
        raise ImportFileError(
            f"The header row lacks the column(s) {', '.join(sorted(missing))} (see the template)"
        )
    unknown = [h for h in header if h and h not in TEMPLATE_COLUMNS]
    if unknown:
        raise ImportFileError(f"Unknown column(s) in the header row: {', '.join(unknown)}")
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise ImportFileError(f"The header row repeats the column(s) {', '.join(repeated)}")
    number = 1
    try:
        # One record is one spreadsheet row, even with line breaks inside quoted cells.
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue  # blank lines are not rows
            if any(c.strip() for c in cells[len(header) :]):
                yield number, {"__error__": "the row has more cells than the header"}
                continue
            padded = cells + [""] * (len(header) - len(cells))
            yield number, {h: c.strip() for h, c in zip(header, padded, strict=False) if h}
    except csv.Error as exc:
        raise ImportFileError(f"Row {number + 1} cannot be read as CSV: {exc}") from None


class Importer:
    """Imports rows in batches; rows that fail at the database are retried one by one."""

    def __init__(
        self, source: str = "csv", honour_kite_mark: bool = False, on: date | None = None
    ) -> None:
        self.source = source
        self.honour_kite_mark = honour_kite_mark
        self.on = on  # the import's date for kite-mark validity (tests); default today
        self.report = ImportReport()
        self._orgs: dict[str, Organisation] = {}
        # Kite-mark statuses by organisation name (lowercase): the whole file must agree on
        # each organisation's; those of the current batch are recorded as it is stored.
        self._kite_marks: dict[str, _KiteMark] = {}
        self._batch_kite_marks: dict[str, Organisation] = {}
        self._moved: list[Activity] = []  # listings now under another organisation
        # Looked up for the current batch but not yet used (see _prefetch_organisations).
        self._found: dict[str, Organisation] = {}
        self._absent: set[str] = set()

    def run(
        self,
        rows: Iterable[tuple[int, dict[str, str]]],
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        batch: list[tuple[int, dict[str, str]]] = []
        for item in rows:
            batch.append(item)
            if len(batch) >= BATCH_SIZE:
                self._import_batch(batch)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            self._import_batch(batch)
            if progress:
                progress(len(batch))
        return self.report

    def _organisation(self, row: dict[str, str]) -> Organisation:
        name = row.get("organisation", "").strip()
        if not name:
            raise ListingError({"organisation": "enter the organisation's name"})
        org_type = (row.get("organisation_type") or "").strip().lower()
        if org_type and org_type not in vocab.ORGANISATION_TYPES:
            raise ListingError({"organisation_type": f"unknown organisation type “{org_type}”"})
        key = name.lower()
        if key in self._orgs:
            return self._orgs[key]
        if key in self._found:
            org: Organisation | None = self._found.pop(key)
        elif key in self._absent:
            org = None
        else:
            with db.session.no_autoflush:
                org = db.session.execute(
                    select(Organisation).where(db.func.lower(Organisation.name) == key)
                ).scalar_one_or_none()
        if org is None:
            org = Organisation(
                name=name,
                org_type=org_type or "community_group",
                charity_number=(row.get("charity_number") or "")[:20],
            )
            db.session.add(org)
            self.report.organisations_created += 1
        else:
            if org_type:
                org.org_type = org_type
            if row.get("charity_number"):
                org.charity_number = row["charity_number"][:20]
        self._orgs[key] = org
        return org

    def _prefetch_organisations(self, batch: list[tuple[int, dict[str, str]]]) -> None:
        """Look up the batch's organisations in one query. One query per new name would
        also autoflush the pending rows a few at a time, which made imports several times
        slower (every flush runs the audit, capacity and search hooks)."""
        self._found.clear()
        self._absent.clear()
        keys = {(row.get("organisation") or "").strip().lower() for _, row in batch} - set(
            self._orgs
        )
        keys.discard("")
        if not keys:
            return
        lowered = db.func.lower(Organisation.name)
        with db.session.no_autoflush:
            # Key by the database's lower(), which is what the query compared with.
            result = db.session.execute(
                select(lowered, Organisation).where(lowered.in_(sorted(keys)))
            )
            self._found = dict(result.all())
        self._absent = keys - set(self._found)

    def _existing(self, batch: list[tuple[int, dict[str, str]]]) -> dict[str, Activity]:
        ids = [row.get("external_id") for _, row in batch if row.get("external_id")]
        if not ids:
            return {}
        found = db.session.scalars(
            select(Activity).where(
                tuple_(Activity.source, Activity.external_id).in_([(self.source, i) for i in ids])
            )
        ).all()
        return {a.external_id: a for a in found if a.external_id}

    def _prepare(self, number: int, row: dict[str, str], existing: dict[str, Activity]) -> bool:
        """Validate a row and stage it in the session. False (and an error) if it is bad."""
        if "__error__" in row:
            self.report.errors.append(RowError(number, row["__error__"]))
            return False
        external_id = row.get("external_id", "")
        activity = existing.get(external_id) if external_id else None
        # Every problem at once, and nothing (not even a new organisation) staged for a bad row.
        errors = _row_errors(row)
        try:
            # An update touches only the columns the file has: the others keep what is stored.
            clean = parse_listing(row if activity is None else listing_fields(activity) | row)
        except ListingError as exc:
            errors.update(exc.errors)
        # The organisation's status, never set on the listing directly (see _record_kite_marks).
        kite_mark = clean.values.pop("kite_mark", None) if not errors else None
        org_key = (row.get("organisation") or "").strip().lower()
        if kite_mark and self.honour_kite_mark:
            earlier = self._kite_marks.get(org_key)
            if earlier is not None and earlier.row != number and earlier.status != kite_mark:
                errors["kite_mark"] = (
                    f"“{kite_mark}” differs from “{earlier.status}” in row {earlier.row}: the "
                    "kite mark belongs to the organisation, so its rows must agree"
                )
        if errors:
            reason = "; ".join(f"{k}: {v}" for k, v in errors.items())
            self.report.errors.append(RowError(number, reason, external_id))
            return False
        org = self._organisation(row)
        if kite_mark and self.honour_kite_mark:
            reviewed = clean.values.get("last_reviewed_at")
            self._note_kite_mark(
                org_key, org, kite_mark, number, reviewed.date() if reviewed else None
            )
        if activity is None:
            activity = Activity(source=self.source, external_id=external_id or None)
            activity.organisation = org
            db.session.add(activity)
            if external_id:
                existing[external_id] = activity  # a later duplicate row updates this one
            self.report.created += 1
        else:
            if org.id is None or activity.organisation_id != org.id:
                self._moved.append(activity)
            activity.organisation = org
            self.report.updated += 1
            # As the listing form does: changed figures without a date are current now
            # (else the listing stays stale and its history row gets the old date).
            if "capacity_updated_at" not in clean.values and any(
                clean.values.get(k) != getattr(activity, k)
                for k in ("capacity", "spare_places", "waitlist_open")
            ):
                clean.values["capacity_updated_at"] = utcnow()
        activity.capacity_reason = "import"  # type: ignore[attr-defined]
        apply_listing(activity, clean)
        return True

    def _note_kite_mark(
        self, key: str, org: Organisation, status: str, number: int, reviewed_on: date | None
    ) -> None:
        mark = self._kite_marks.setdefault(key, _KiteMark(status, number))
        if reviewed_on and (mark.reviewed_on is None or reviewed_on > mark.reviewed_on):
            # The organisation's most recent review counts.
            self._kite_marks[key] = replace(mark, reviewed_on=reviewed_on)
        self._batch_kite_marks[key] = org

    def _record_kite_marks(self) -> None:
        """Moved listings take their new organisation's kite mark; the batch's statuses are
        recorded through the kite-mark service (awards, history, the listings' copies)."""
        if not self._moved and not self._batch_kite_marks:
            return
        # Imported here: the kite-mark area builds on the directory, not the reverse.
        from ..kitemark import services as kitemark

        db.session.flush()  # new organisations get their ids
        for activity in self._moved:
            kitemark.listing_follows_award(activity)
        for key, org in self._batch_kite_marks.items():
            mark = self._kite_marks[key]
            result = kitemark.record_imported(
                org.id,
                mark.status,
                source=self.source,
                reviewed_on=mark.reviewed_on,
                on=self.on,
            )
            if result == kitemark.RECORDED:
                self.report.kite_marks_recorded += 1
            elif result in (kitemark.KEPT, kitemark.REFUSED):
                self.report.kite_marks_kept += 1
        self._clear_batch()

    def _clear_batch(self) -> None:
        self._moved.clear()
        self._batch_kite_marks.clear()

    def _import_batch(self, batch: list[tuple[int, dict[str, str]]]) -> None:
        before = self.report._counts()
        errors_before = len(self.report.errors)
        marks_before = dict(self._kite_marks)
        try:
            existing = self._existing(batch)
            self._prefetch_organisations(batch)
            for number, row in batch:
                self._prepare(number, row, existing)
            self._record_kite_marks()
            db.session.commit()
        except Exception:  # a database-level failure: find the row(s) one at a time
            db.session.rollback()
            self._orgs.clear()
            self._clear_batch()
            self._kite_marks = marks_before
            self.report._restore(before)
            del self.report.errors[errors_before:]
            for number, row in batch:
                self._import_one(number, row)

    def _import_one(self, number: int, row: dict[str, str]) -> None:
        counts = self.report._counts()
        key = (row.get("organisation") or "").strip().lower()
        mark_before = self._kite_marks.get(key)
        try:
            existing = self._existing([(number, row)])
            self._prefetch_organisations([(number, row)])
            if self._prepare(number, row, existing):
                self._record_kite_marks()
                db.session.commit()
        except Exception as exc:
            db.session.rollback()
            self._orgs.clear()
            self._clear_batch()
            if mark_before is None:
                self._kite_marks.pop(key, None)
            else:
                self._kite_marks[key] = mark_before
            self.report._restore(counts)
            self.report.errors.append(
                RowError(
                    number,
                    f"could not be stored: {exc.__class__.__name__}",
                    row.get("external_id", ""),
                )
            )


def _row_errors(row: dict[str, str]) -> dict[str, str]:
    """Checks of the columns parse_listing does not know (sizes are the columns' own)."""
    errors: dict[str, str] = {}
    if len(row.get("external_id") or "") > 200:
        errors["external_id"] = "must be 200 characters or fewer"
    name = (row.get("organisation") or "").strip()
    if not name:
        errors["organisation"] = "enter the organisation's name"
    elif len(name) > 200:
        errors["organisation"] = "the organisation's name must be 200 characters or fewer"
    org_type = (row.get("organisation_type") or "").strip().lower()
    if org_type and org_type not in vocab.ORGANISATION_TYPES:
        errors["organisation_type"] = f"unknown organisation type “{org_type}”"
    return errors


def import_csv(
    stream: TextIO,
    *,
    source: str = "csv",
    honour_kite_mark: bool = False,
    progress: Callable[[int], None] | None = None,
    on: date | None = None,
) -> ImportReport:
    """Import a CSV file. `honour_kite_mark` only for an admin's import (CONTRACTS.md); `on`
    is the import's date for the kite marks it records (default today)."""
    importer = Importer(source=source, honour_kite_mark=honour_kite_mark, on=on)
    return importer.run(read_rows(stream), progress)


def count_rows(stream: TextIO) -> int:
    return max(sum(1 for _ in csv.reader(stream)) - 1, 0)


def row_errors_csv(report: ImportReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "external_id", "reason"])
    for error in report.errors:
        writer.writerow([error.row, error.external_id, error.reason])
    return out.getvalue()
