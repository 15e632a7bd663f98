"""Import Open Referral (HSDS 3 / ORUK 3) services as activities.

Each service is converted into the CSV template's raw fields (`service_to_row`) and goes
through the same validation and upsert as a CSV row (`directory.importer.Importer`), so the
rules for a listing are the same whatever the source. Upserts are keyed by (source, service
id); a bad record is reported with its number and reason and nothing of it is stored.

Used by `spdirectory import FILE.json|FILE.ndjson` and by the feed pull (feed.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..db_types import utcnow
from ..directory.importer import Importer, ImportFileError, ImportReport
from ..directory.models import Activity
from ..extensions import db
from .aggregation import ListingSource, SourceListing, merged_away_ids, queue_duplicates
from .mapping import TaxonomyMapping

_DAYS = {"MO": "Mon", "TU": "Tue", "WE": "Wed", "TH": "Thu", "FR": "Fri", "SA": "Sat", "SU": "Sun"}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})")
INACTIVE = {"inactive", "defunct"}
# Extension fields a publisher may add beside the standard ones (ORUK allows extra
# properties); the names are those of our own API and the CSV template.
EXTENSION_FIELDS = {
    "capacity": "capacity",
    "spare_places": "spare_places",
    "waitlist": "waitlist",
    "waitlist_open": "waitlist",
    "wheelchair_accessible": "wheelchair_accessible",
    "capacity_updated": "capacity_updated",
    "capacity_updated_at": "capacity_updated",
    "last_reviewed": "last_reviewed",
    "last_reviewed_at": "last_reviewed",
}


class RecordError(ValueError):
    """A record that is not a service we can read at all (not an object, no id, …)."""


class Unreadable(str):
    """Stands in for a record that could not be had at all (bad JSON line, failed fetch):
    the text says why. A distinct type, so a plain string in a file is still a bad record."""


@dataclass
class Converted:
    row: dict[str, str]
    status: str = "published"  # or "archived" when the feed says the service is inactive
    unknown_terms: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).strip()


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"{what} must be a list")
    return value


def _objects(value: Any, what: str) -> list[Mapping[str, Any]]:
    items = _list(value, what)
    if any(not isinstance(i, Mapping) for i in items):
        raise RecordError(f"every item of {what} must be an object")
    return items


def _clock(value: Any) -> str | None:
    match = _TIME.match(_text(value))
    return f"{int(match[1]):02d}:{match[2]}" if match else None


def _weekly_sessions(schedules: list[Mapping[str, Any]], notes: list[str]) -> list[str]:
    """RFC 5545-style schedules → 'Mon 10:00-12:00' sessions (weekly ones only)."""
    sessions: list[str] = []
    today = utcnow().date().isoformat()
    for schedule in schedules:
        freq = _text(schedule.get("freq")).upper()
        valid_to = _text(schedule.get("valid_to"))
        if valid_to and valid_to[:10] < today:
            continue  # over: not a current session
        days = [d.strip().upper() for d in _text(schedule.get("byday")).split(",") if d.strip()]
        opens, closes = _clock(schedule.get("opens_at")), _clock(schedule.get("closes_at"))
        if freq not in ("", "WEEKLY") or not days or not opens or not closes:
            notes.append("a schedule that is not a weekly session was left out")
            continue
        try:
            interval = int(schedule.get("interval") or 1)
        except (TypeError, ValueError):
            interval_text = schedule.get("interval")
            raise RecordError(f"schedule interval “{interval_text}” is not a number") from None
        if interval != 1 or any(d not in _DAYS for d in days):
            notes.append("a schedule that is not every week was left out")
            continue
        sessions.extend(f"{_DAYS[d]} {opens}-{closes}" for d in days)
    return list(dict.fromkeys(sessions))


def _cost(service: Mapping[str, Any]) -> str:
    amounts: list[Decimal] = []
    for option in _objects(service.get("cost_options"), "cost_options"):
        if option.get("amount") is None:
            if "free" in _text(option.get("option")).lower():
                amounts.append(Decimal(0))
            continue
        try:
            amount = Decimal(str(option["amount"]))
            if not amount.is_finite():
                raise InvalidOperation
            amounts.append(amount)
        except InvalidOperation:
            raise RecordError(f"cost_options amount “{option['amount']}” is not a number") from None
    if amounts:
        low = min(amounts)
        return "free" if low == 0 else f"{low:.2f}"
    fees = f"{_text(service.get('fees'))} {_text(service.get('fees_description'))}".lower()
    return "free" if re.search(r"\bfree\b", fees) else ""


def _age(value: Any, notes: list[str]) -> str:
    if value is None or value == "":
        return ""
    text = _text(value)
    # Publishers write 99, 120, 150 or 999 for "no upper limit".
    if re.fullmatch(r"\d+(\.0+)?", text) and int(float(text)) > 120:
        return ""
    return text.split(".")[0] if re.fullmatch(r"\d+\.0+", text) else text


def _wheelchair(locations: list[Mapping[str, Any]]) -> str:
    for location in locations:
        for item in _objects(location.get("accessibility"), "accessibility"):
            text = " ".join(
                _text(item.get(k)) for k in ("accessibility", "description", "details")
            ).lower()
            if "wheelchair" not in text:
                continue
            negative = re.search(
                r"\b(no|not|without)\b[^.]*wheelchair|wheelchair[^.]*\bnot\b", text
            )
            return "no" if negative else "yes"
    return ""


def _address(location: Mapping[str, Any]) -> tuple[str, str]:
    addresses = _objects(location.get("addresses"), "addresses")
    if not addresses:
        return "", ""
    physical = [a for a in addresses if _text(a.get("address_type")).lower() == "physical"]
    chosen = (physical or addresses)[0]
    postcode = _text(chosen.get("postal_code"))
    parts = [_text(chosen.get(k)) for k in ("address_1", "address_2", "city")]
    # The venue's name is the location's, when the address lines do not already say it.
    venue = _text(location.get("name"))
    if venue and venue not in parts:
        parts.insert(0, venue)
    bare = postcode.replace(" ", "").upper()
    # The postcode has its own field: a line that only repeats it is not an address.
    kept = [p for p in parts if p and p.replace(" ", "").upper() != bare]
    return ", ".join(dict.fromkeys(kept)), postcode


def _charity_number(organization: Mapping[str, Any]) -> str:
    for ident in _objects(organization.get("organization_identifiers"), "organization_identifiers"):
        scheme = f"{_text(ident.get('identifier_scheme'))} {_text(ident.get('identifier_type'))}"
        if re.search(r"GB-CHC|GB-SC|GB-NIC|charity", scheme, re.IGNORECASE):
            return _text(ident.get("identifier"))[:20]
    return ""


def service_to_row(service: Any, mapping: TaxonomyMapping) -> Converted:
    """One service (nested as `/services/{id}` returns it) → the CSV template's raw fields."""
    if not isinstance(service, Mapping):
        raise RecordError(f"a service must be a JSON object, not {type(service).__name__}")
    external_id = _text(service.get("id"))
    if not external_id:
        raise RecordError("the service has no id")
    organization = service.get("organization")
    if not isinstance(organization, Mapping) or not _text(organization.get("name")):
        raise RecordError("the service has no organization with a name")
    out = Converted(row={})
    row = out.row
    notes = out.notes
    row.update(
        external_id=external_id,
        organisation=_text(organization.get("name")),
        charity_number=_charity_number(organization),
        title=_text(service.get("name")),
        description=_text(service.get("description")),
        website=_text(service.get("url")),
        email=_text(service.get("email")),
        cost=_cost(service),
        age_min=_age(service.get("minimum_age"), notes),
        age_max=_age(service.get("maximum_age"), notes),
    )
    if _text(service.get("status")).lower() in INACTIVE:
        out.status = "archived"

    links = _objects(service.get("service_at_locations"), "service_at_locations")
    locations = [
        sal["location"] for sal in links if isinstance(sal.get("location"), Mapping)
    ] + list(_objects(service.get("locations"), "locations"))
    modes: list[str] = []
    row.update(address="", postcode="")
    for location in locations:
        kind = _text(location.get("location_type")).lower()
        if kind == "virtual":
            modes.append("online")
        elif kind in ("physical", ""):
            address, postcode = _address(location)
            if postcode and not row["postcode"]:
                row.update(address=address, postcode=postcode)
                modes.append("in_person")
            elif kind == "physical":
                modes.append("in_person")

    schedules = _objects(service.get("schedules"), "schedules")
    for sal in links:
        schedules += _objects(sal.get("schedules"), "service_at_locations schedules")
    row["schedule"] = "; ".join(_weekly_sessions(schedules, notes))

    languages: list[str] = []
    for lang in _objects(service.get("languages"), "languages"):
        name = _text(lang.get("code")) or _text(lang.get("name"))
        if name:
            languages.append(name)

    contacts = _objects(service.get("contacts"), "contacts")
    row["contact_name"] = next((_text(c.get("name")) for c in contacts if c.get("name")), "")
    if not row["email"]:
        row["email"] = next((_text(c.get("email")) for c in contacts if c.get("email")), "")
    phones = list(_objects(service.get("phones"), "phones"))
    for contact in contacts:
        phones += _objects(contact.get("phones"), "contact phones")
    row["phone"] = next((_text(p.get("number")) for p in phones if p.get("number")), "")
    row["wheelchair_accessible"] = _wheelchair(locations)

    codes: dict[str, list[str]] = {"category": [], "need": [], "mode": [], "route": []}
    attributes = list(_objects(service.get("attributes"), "attributes"))
    for location in locations:
        attributes += _objects(location.get("attributes"), "location attributes")
    # Spare places and waiting list published as availability terms: a listing that says
    # where it stands says it in full (a term for "has space" means the waiting list is shut).
    availability: dict[str, str] = {}
    for attribute in attributes:
        term = attribute.get("taxonomy_term")
        if not isinstance(term, Mapping):
            term = {"id": attribute.get("taxonomy_term_id")}
        targets = mapping.resolve(term)
        if targets is None:
            label = _text(term.get("name")) or _text(term.get("code")) or _text(term.get("id"))
            taxonomy = _text(term.get("taxonomy")) or _text(term.get("taxonomy_id"))
            out.unknown_terms.append((taxonomy, label or "(a term with no name or id)"))
            continue
        for target in targets:
            if target.kind in codes:
                codes[target.kind].append(target.code)
            elif target.kind == "flag" and target.code == "full":
                availability.update(spare_places="0", waitlist="no")
            elif target.kind == "flag":
                row[target.code] = "yes"
                if target.code == "waitlist":
                    availability.setdefault("spare_places", "0")
            elif target.code.startswith("languages:"):
                languages.append(target.code.split(":", 1)[1])
            else:
                row[target.code] = _text(attribute.get("value"))
                if target.code == "spare_places":
                    availability.setdefault("waitlist", "no")
    for key, value in availability.items():
        row.setdefault(key, value)
    if not codes["category"] and mapping.default_categories:
        codes["category"] = list(mapping.default_categories)
    row["categories"] = "; ".join(dict.fromkeys(codes["category"]))
    row["needs"] = "; ".join(dict.fromkeys(codes["need"]))
    row["modes"] = "; ".join(dict.fromkeys(codes["mode"] or modes))
    if codes["route"]:
        row["referral_routes"] = "; ".join(dict.fromkeys(codes["route"]))
    row["languages"] = "; ".join(dict.fromkeys(languages))

    for container in (service, service.get("extensions"), service.get("spdirectory")):
        if isinstance(container, Mapping):
            for key, name in EXTENSION_FIELDS.items():
                if key in container and container[key] is not None:
                    row[name] = _text(container[key])
    return out


def content_hash(converted: Converted) -> str:
    payload = json.dumps([converted.row, converted.status], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class AggregateReport(ImportReport):
    unchanged: int = 0
    archived_gone: int = 0
    archived_inactive: int = 0
    republished: int = 0
    duplicates_queued: int = 0
    complete: bool = True
    stopped_because: str = ""
    unknown_terms: Counter[tuple[str, str]] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)
    labels: dict[int, str] = field(default_factory=dict)

    def label(self, number: int) -> str:
        return self.labels.get(number, f"record {number}")

    def summary(self) -> str:
        lines = [
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.rejected} rejected, {self.organisations_created} new organisations"
        ]
        if self.archived_inactive:
            lines.append(f"{self.archived_inactive} archived (the source marks them inactive)")
        if self.archived_gone:
            lines.append(f"{self.archived_gone} archived (no longer in the source)")
        if self.republished:
            lines.append(f"{self.republished} published again (back in the source)")
        if not self.complete:
            lines.append(
                "nothing archived: the source was not read to the end"
                + (f" ({self.stopped_because})" if self.stopped_because else "")
            )
        lines.append(f"{self.duplicates_queued} likely duplicates queued for review")
        for note, count in sorted(self.notes.items()):
            lines.append(f"note: {note} ({count} records)")
        if self.unknown_terms:
            lines.append(
                f"{len(self.unknown_terms)} unknown taxonomy terms (not mapped to our "
                "vocabulary; add them to the taxonomy mapping):"
            )
            for (taxonomy, term), count in self.unknown_terms.most_common():
                where = f" (taxonomy {taxonomy})" if taxonomy else ""
                lines.append(f"  “{term}”{where}: {count} records")
        return "\n".join(lines)


@dataclass
class _Meta:
    status: str
    hash: str
    organisation: dict[str, str] = field(default_factory=dict)


def _organisation_details(service: Mapping[str, Any]) -> dict[str, str]:
    """The organisation's description, web site and email, where valid (they only fill
    blanks of our organisation: its own provider may keep them)."""
    from ..directory.listing import clean_email, clean_website

    org = service.get("organization")
    if not isinstance(org, Mapping):
        return {}
    details = {"description": _text(org.get("description"))[:5000]}
    for key, source, clean in (
        ("website", "website", clean_website),
        ("email", "email", clean_email),
    ):
        try:
            details[key] = clean(_text(org.get(source)))
        except ValueError:
            details[key] = ""
    return {k: v for k, v in details.items() if v}


class OpenReferralImporter(Importer):
    """The CSV importer's batching and validation, plus source links, status from the feed,
    skipping unchanged records, and archiving listings that left the source."""

    def __init__(self, source: ListingSource, mapping: TaxonomyMapping) -> None:
        super().__init__(source=source.label, honour_kite_mark=False)
        self.report: AggregateReport = AggregateReport()
        self.source_row = source
        self.mapping = mapping
        self.seen: set[str] = set()
        self._meta: dict[int, _Meta] = {}
        self._links: dict[str, SourceListing] = {}
        self._merged_away: set[int] = set()
        self._started = utcnow()
        # What happened to each record beyond created/updated, by record number: kept per
        # record (not counted) because a batch that fails at the database is retried.
        self._outcome: dict[int, str] = {}

    # -- conversion ----------------------------------------------------------------------
    def rows(self, records: Iterable[tuple[int, str, Any]]) -> Iterator[tuple[int, dict[str, str]]]:
        """(number, label, service or error text) → the rows Importer.run takes."""
        for number, label, record in records:
            self.report.labels[number] = label
            if isinstance(record, Mapping) and _text(record.get("id")):
                self.seen.add(_text(record.get("id")))
            if isinstance(record, Unreadable):
                yield number, {"__error__": str(record)}
                continue
            ident = _text(record.get("id")) if isinstance(record, Mapping) else ""
            try:
                converted = service_to_row(record, self.mapping)
            except RecordError as exc:
                yield number, {"__error__": str(exc), "external_id": ident}
                continue
            except (ValueError, TypeError, ArithmeticError) as exc:
                # A value of a shape we did not foresee: this record is bad, not the import.
                reason = f"cannot be read ({exc.__class__.__name__}: {exc})"
                yield number, {"__error__": reason, "external_id": ident}
                continue
            for term in converted.unknown_terms:
                self.report.unknown_terms[term] += 1
            for note in set(converted.notes):
                self.report.notes[note] += 1
            self._meta[number] = _Meta(
                converted.status, content_hash(converted), _organisation_details(record)
            )
            yield number, converted.row

    # -- Importer hooks ------------------------------------------------------------------
    def _existing(self, batch: list[tuple[int, dict[str, str]]]) -> dict[str, Activity]:
        found = super()._existing(batch)
        self._links = {}
        if found:
            by_id = {a.id: key for key, a in found.items()}
            for link in db.session.scalars(
                select(SourceListing).where(SourceListing.activity_id.in_(list(by_id)))
            ):
                self._links[by_id[link.activity_id]] = link
            self._merged_away = merged_away_ids(by_id)
        return found

    def _prepare(self, number: int, row: dict[str, str], existing: dict[str, Activity]) -> bool:
        meta = self._meta.get(number)
        if meta is None or "__error__" in row:
            super()._prepare(number, row, existing)
            if row.get("external_id") and self.report.errors:
                self.report.errors[-1].external_id = row["external_id"]
            return False
        external_id = row["external_id"]
        activity = existing.get(external_id)
        link = self._links.get(external_id)
        if (
            activity is not None
            and link is not None
            and link.source_id == self.source_row.id
            and link.content_hash == meta.hash
            and not link.archived_by
        ):
            self._outcome[number] = "unchanged"
            return True
        was_new = activity is None
        self._outcome.pop(number, None)  # a batch retried row by row comes here again
        if not super()._prepare(number, row, existing):
            if not row.get("categories") and self.report.errors:
                # Say why there is no category: the terms did not map (or there were none).
                error = self.report.errors[-1]
                error.reason = error.reason.replace(
                    "categories: choose at least one category",
                    "categories: none of the service's taxonomy terms maps to one of our "
                    "categories (see the unknown terms below, or add a mapping)",
                )
            return False
        activity = existing[external_id]
        org = activity.organisation
        for key, value in meta.organisation.items():
            if not getattr(org, key):
                setattr(org, key, value)
        if link is None:
            link = SourceListing(activity=activity, source=self.source_row)
            db.session.add(link)
            self._links[external_id] = link
        link.content_hash = meta.hash
        if meta.status == "archived":
            if activity.status != "archived":
                self._outcome[number] = "archived_inactive"
            activity.status = "archived"
            link.archived_by = "status"
        elif not was_new and activity.id in self._merged_away:
            activity.status = "archived"  # an administrator merged it into another listing
        elif link.archived_by:
            activity.status = "published"
            link.archived_by = ""
            self._outcome[number] = "republished"
        elif was_new:
            activity.status = "published"
        return True

    # -- after the records ---------------------------------------------------------------
    def finish(self, *, archive_missing: bool) -> AggregateReport:
        """Archive listings that left the source (only when it was read to the end), queue
        likely duplicates, and remember the pull on the source."""
        failed = {e.row for e in self.report.errors}
        outcomes = Counter(o for n, o in self._outcome.items() if n not in failed)
        self.report.unchanged = outcomes["unchanged"]
        self.report.archived_inactive = outcomes["archived_inactive"]
        self.report.republished = outcomes["republished"]
        if archive_missing and self.report.complete:
            self._archive_missing()
        touched = db.session.scalars(
            select(Activity.id).where(
                Activity.source == self.source, Activity.updated_at >= self._started
            )
        ).all()
        self.report.duplicates_queued = queue_duplicates(touched)
        source = db.session.get(ListingSource, self.source_row.id)
        if source is not None:
            source.last_pulled_at = utcnow()
            source.last_summary = self.report.summary()[:10_000]
        db.session.commit()
        return self.report

    def _archive_missing(self) -> None:
        stored = db.session.execute(
            select(Activity.id, Activity.external_id).where(
                Activity.source == self.source, Activity.status != "archived"
            )
        )
        gone = [aid for aid, ext in stored if ext not in self.seen]
        for start in range(0, len(gone), 500):
            chunk = gone[start : start + 500]
            links = {
                link.activity_id: link
                for link in db.session.scalars(
                    select(SourceListing).where(SourceListing.activity_id.in_(chunk))
                )
            }
            for activity in db.session.scalars(select(Activity).where(Activity.id.in_(chunk))):
                activity.status = "archived"
                link = links.get(activity.id)
                if link is None:
                    link = SourceListing(activity=activity, source=self.source_row)
                    db.session.add(link)
                link.archived_by = "gone"
                self.report.archived_gone += 1
            db.session.commit()


def source_for(label: str, kind: str, url: str = "") -> ListingSource:
    """The ListingSource with this label, created (and committed) on first use."""
    if not label or len(label) > 200:
        raise ImportFileError("the source label must be 1 to 200 characters (use --source)")
    source = db.session.execute(
        select(ListingSource).where(ListingSource.label == label)
    ).scalar_one_or_none()
    if source is None:
        source = ListingSource(label=label, kind=kind, url=url, last_summary="")
        db.session.add(source)
        db.session.commit()
    return source


def read_services_file(path: Path) -> Iterator[tuple[int, str, Any]]:
    """Records of a .json file (a page object with `contents`, a list of services, or one
    service) or a .ndjson file (one service per line) as (number, label, record); a record
    that cannot be read is an error text instead."""
    if path.suffix.lower() == ".ndjson":
        yield from _read_ndjson(path)
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            # One JSON document per line saved with a .json name: read it as ndjson.
            yield from _read_ndjson(path)
            return
        raise ImportFileError(
            f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    yield from enumerate_services(data)


def _read_ndjson(path: Path) -> Iterator[tuple[int, str, Any]]:
    with path.open(encoding="utf-8-sig") as fh:
        number = 0
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            number += 1
            label = f"record {number} (line {line_no})"
            try:
                yield number, label, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, label, Unreadable(f"not JSON: {exc.msg} at column {exc.colno}")


def services_of(data: Any) -> list[Any]:
    """The services of a decoded document: a page's `contents`, a list, or one service."""
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping):
        if "contents" in data:
            if not isinstance(data["contents"], list):
                raise ImportFileError("“contents” must be a list of services")
            return data["contents"]
        if "id" in data and "name" in data:
            return [data]
    raise ImportFileError(
        "expected a page of services (an object with “contents”), a list of services, "
        "or one service per line (.ndjson)"
    )


def enumerate_services(data: Any) -> Iterator[tuple[int, str, Any]]:
    for number, record in enumerate(services_of(data), start=1):
        yield number, f"record {number}", record


def import_services(
    records: Iterable[tuple[int, str, Any]],
    *,
    source: ListingSource,
    mapping: TaxonomyMapping,
    archive_missing: bool = False,
    progress: Callable[[int], None] | None = None,
    stop: Callable[[], str] | None = None,
) -> AggregateReport:
    """Import records into `source`. `stop()` returns why the records ended early ("" when
    they were read to the end); a source read in part archives nothing."""
    importer = OpenReferralImporter(source, mapping)
    importer.run(importer.rows(records), progress)
    reason = stop() if stop else ""
    if reason:
        importer.report.complete = False
        importer.report.stopped_because = reason
    return importer.finish(archive_missing=archive_missing)


def print_errors(report: AggregateReport, echo: Callable[[str], None]) -> None:
    for error in report.errors:
        ident = f" (id {error.external_id})" if error.external_id else ""
        echo(f"{report.label(error.row)}{ident}: {error.reason}")


def import_file_command(file: Path, source_label: str | None) -> None:
    """`spdirectory import FILE.json|.ndjson` (called by the import command in cli.py,
    inside its acting_as): import, print errors and the summary, exit 1 on errors."""
    import sys

    import click
    from flask import current_app
    from tqdm import tqdm

    from .mapping import MappingError, mapping_for_app

    try:
        mapping = mapping_for_app(current_app.config)
        records = list(read_services_file(file))
        source = source_for(source_label or file.name, "file", "")
    except (MappingError, ImportFileError) as exc:
        raise click.ClickException(f"{file.name}: {exc}") from None
    except UnicodeDecodeError:
        raise click.ClickException(f"{file.name} is not UTF-8 text") from None
    with tqdm(total=len(records), unit="record", disable=not sys.stderr.isatty()) as bar:
        report = import_services(records, source=source, mapping=mapping, progress=bar.update)
    print_errors(report, lambda line: click.echo(line, err=True))
    click.echo(report.summary())
    if report.errors:
        sys.exit(1)
