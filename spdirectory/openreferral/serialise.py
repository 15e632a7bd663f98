"""Our models → Open Referral UK 3.0 (HSDS-UK-3.0) JSON.

Public functions, used by the read API (api.py) and by the export/import round trip:

- `service_json(activity, level)`: a service; level "minimal", "list" (one-to-one fields
  and the organisation, as `/services` lists them) or "full" (fully nested, as
  `/services/{id}` returns it);
- `organization_json(organisation)`, `location_json(activity)`,
  `service_at_location_json(activity, full=...)`, `schedules_json(activity)`,
  `attributes_json(activity)`, `cost_options_json`, `languages_json`, `contacts_json`;
- `compact(value)`: drop empty optional values (the standard asks for no nulls).

Ids: services and organisations use their `uuid` column; every nested entity (location,
address, schedule, contact, ...) gets a uuid5 derived from the owning activity's uuid and a
stable key (`taxonomy.stable_id`), so ids never change between requests, restarts or
reindexing, and need no extra columns. Only published activities should be passed in; the
API filters on status before calling these functions.

The caller is expected to have loaded `activity.organisation` (eager loading); nothing
here issues queries.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Literal

import pycountry

from ..directory.models import Activity, Organisation
from ..directory.schedule import ScheduleError, parse_schedule
from .taxonomy import TAXONOMIES, stable_id, term_json

Level = Literal["minimal", "list", "full"]

# RFC 5545 BYDAY codes, Monday first as in datetime.weekday().
BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$", re.IGNORECASE)


def compact(value: Any) -> Any:
    """Recursively drop None, "" and empty lists/dicts from dicts (ORUK: omit empty fields).

    Required fields must therefore be filled before calling (see `_required`)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = compact(item)
            if item is None or item == "" or item == [] or item == {}:
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value


def _drop_empty(value: dict[str, Any]) -> dict[str, Any]:
    """Shallow `compact` for dicts whose nested parts are already clean (much cheaper)."""
    return {k: v for k, v in value.items() if v is not None and v != "" and v != [] and v != {}}


def url_or_none(text: str | None) -> str | None:
    """A website as an absolute URI (adds https:// to 'www.example.org'), or None."""
    text = (text or "").strip()
    if not text or " " in text:
        return None
    if not _SCHEME.match(text):
        text = "https://" + text
    return text if _SCHEME.match(text) else None


def email_or_none(text: str | None) -> str | None:
    text = (text or "").strip()
    return text if _EMAIL.match(text) else None


def iso_datetime(value: datetime | None) -> str | None:
    """UTC datetime → '2026-01-31T10:00:00.000Z' (the standard asks for milliseconds)."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def last_modified(activity: Activity) -> datetime:
    """A service changes when the activity or its organisation changes."""
    org = activity.organisation
    if org is not None and org.updated_at and org.updated_at > activity.updated_at:
        return org.updated_at
    return activity.updated_at


# ---- organisations ----------------------------------------------------------------------


def organization_json(org: Organisation) -> dict[str, Any]:
    """ORUK `organization.json` (charity number as an organization_identifier)."""
    identifiers = []
    if org.charity_number:
        identifiers.append(
            {
                "id": stable_id("organization_identifier", org.uuid, "charity"),
                "organization_id": org.uuid,
                "identifier_scheme": "GB-CHC",
                "identifier_type": "Charity number",
                "identifier": org.charity_number,
            }
        )
    return _drop_empty(
        {
            "id": org.uuid,
            "name": org.name,
            "description": org.description or "",
            "email": email_or_none(org.email),
            "website": url_or_none(org.website),
            "organization_identifiers": identifiers,
        }
    ) | {"description": org.description or ""}  # required, even when empty


# ---- locations ----------------------------------------------------------------------------


def has_location(activity: Activity) -> bool:
    """Only activities with an address or postcode have a (physical) location."""
    return bool(activity.postcode or activity.address)


def split_address(address: str, postcode: str) -> tuple[str, str, str]:
    """'Venue, 12 High Street, Leeds' → (venue name, address line, city).

    Our addresses are one free-text line; the standard wants parts. The postcode is kept
    in its own field, so a trailing copy of it is dropped."""
    parts = [p.strip() for p in (address or "").split(",") if p.strip()]
    norm = (postcode or "").replace(" ", "").upper()
    parts = [p for p in parts if p.replace(" ", "").upper() != norm or not norm]
    if len(parts) >= 3:
        return parts[0], ", ".join(parts[1:-1]), parts[-1]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    if len(parts) == 1:
        return "", parts[0], ""
    return "", "", ""


def location_json(activity: Activity) -> dict[str, Any] | None:
    """The activity's venue as ORUK `location.json` with addresses and accessibility."""
    if not has_location(activity):
        return None
    key = activity.uuid
    name, line1, city = split_address(activity.address, activity.postcode)
    location_id = stable_id("location", key)
    address = {
        "id": stable_id("address", key),
        "location_id": location_id,
        "address_1": line1 or name or activity.postcode or "",
        "city": city,
        "state_province": "",
        "postal_code": activity.postcode or "",
        "country": "GB",
        "address_type": "physical",
    }
    accessibility = []
    if activity.wheelchair_accessible is not None:
        accessibility.append(
            {
                "id": stable_id("accessibility", key, "wheelchair"),
                "location_id": location_id,
                "description": "Wheelchair accessible"
                if activity.wheelchair_accessible
                else "Not wheelchair accessible",
                "accessibility": "wheelchair"
                if activity.wheelchair_accessible
                else "no_wheelchair_access",
            }
        )
    body = _drop_empty(
        {
            "id": location_id,
            "location_type": "physical",
            "name": name or line1 or activity.postcode,
            "latitude": activity.latitude,
            "longitude": activity.longitude,
            "accessibility": accessibility,
        }
    )
    # Required address fields stay even when empty (compact would drop them).
    body["addresses"] = [address]
    return body


# One service_at_location per located activity. Its id is the activity's uuid XOR a fixed
# mask (version and variant bits untouched), so it is stable *and* reversible: the API finds
# the activity from it with one indexed lookup, no extra column or table.
_SAL_MASK = uuid.UUID("5a1c3e97-b2d4-0f68-3c5e-a9b7c1d3e5f7").int


def service_at_location_id(activity: Activity) -> str:
    try:
        return str(uuid.UUID(int=uuid.UUID(activity.uuid).int ^ _SAL_MASK))
    except ValueError:  # never expected: uuid columns are filled with uuid4()
        return stable_id("service_at_location", activity.uuid)


def activity_uuid_for_service_at_location(sal_id: str) -> str:
    """The activity uuid behind a service_at_location id (ValueError if not a UUID)."""
    return str(uuid.UUID(int=uuid.UUID(sal_id).int ^ _SAL_MASK))


def service_at_location_json(activity: Activity, *, full: bool = True) -> dict[str, Any] | None:
    """ORUK `service_at_location.json`; with full=True the service summary is nested too
    (as `/service_at_locations/{id}` returns it)."""
    location = location_json(activity)
    if location is None:
        return None
    body: dict[str, Any] = {
        "id": service_at_location_id(activity),
        "service_id": activity.uuid,
        "location_id": location["id"],
        "location": location,
    }
    if full:
        body["service"] = service_json(activity, "list")
    return body


# ---- schedules, costs, languages, contacts ---------------------------------------------------


def schedules_json(activity: Activity) -> list[dict[str, Any]]:
    """Weekly sessions in the standard's RFC 5545 form: freq WEEKLY, byday, opens/closes.

    Sessions with the same times on several days become one schedule ("MO,TH")."""
    try:
        sessions = parse_schedule(activity.schedule)
    except ScheduleError:
        return []  # stored text is validated on save; never fail a whole feed on one row
    by_time: dict[tuple[Any, Any], list[int]] = {}
    for s in sessions:
        by_time.setdefault((s.starts, s.ends), []).append(s.day_index)
    out = []
    attending = {"in_person": "in_person", "online": "online", "phone": "phone"}
    attending_type = ", ".join(attending[m] for m in activity.modes if m in attending)
    for (starts, ends), days in sorted(by_time.items(), key=lambda kv: (kv[1][0], kv[0])):
        days = sorted(days)
        byday = ",".join(BYDAY[d] for d in days)
        names = ", ".join(DAY_NAMES[d] for d in days)
        out.append(
            _drop_empty(
                {
                    "id": stable_id("schedule", activity.uuid, byday, f"{starts:%H%M}"),
                    "service_id": activity.uuid,
                    "freq": "WEEKLY",
                    "interval": 1,
                    "byday": byday,
                    "opens_at": f"{starts:%H:%M}",
                    "closes_at": f"{ends:%H:%M}",
                    "description": f"Every week: {names}, {starts:%H:%M} to {ends:%H:%M}",
                    "attending_type": attending_type,
                }
            )
        )
    return out


def cost_options_json(activity: Activity) -> list[dict[str, Any]]:
    """cost_pence: 0 → a free option; >0 → amount in pounds (GBP); unknown → none."""
    if activity.cost_pence is None:
        return []
    base = {"id": stable_id("cost_option", activity.uuid), "service_id": activity.uuid}
    if activity.cost_pence == 0:
        return [base | {"option": "Free", "amount": 0, "currency": "GBP"}]
    pounds = activity.cost_pence / 100
    return [
        base
        | {
            "option": "Per session",
            "amount": pounds,
            "currency": "GBP",
            "amount_description": f"£{pounds:.2f} per session",
        }
    ]


@lru_cache(maxsize=512)
def language_name(code: str) -> str:
    lang = pycountry.languages.get(alpha_2=code) or pycountry.languages.get(alpha_3=code)
    return lang.name if lang is not None else code


def languages_json(activity: Activity) -> list[dict[str, Any]]:
    """Languages with HSDS 3.0 `name` and `code` (ISO 639) besides the ORUK id."""
    return [
        {
            "id": stable_id("language", activity.uuid, code),
            "service_id": activity.uuid,
            "name": language_name(code),
            "code": code,
        }
        for code in activity.languages
    ]


def contacts_json(activity: Activity) -> list[dict[str, Any]]:
    """One contact (name, email, phone) when the listing has any contact details."""
    email = email_or_none(activity.email)
    if not (activity.contact_name or email or activity.phone):
        return []
    contact_id = stable_id("contact", activity.uuid)
    phones = []
    if activity.phone:
        phones.append(
            {
                "id": stable_id("phone", activity.uuid),
                "contact_id": contact_id,
                "number": activity.phone,
            }
        )
    return [
        _drop_empty(
            {
                "id": contact_id,
                "service_id": activity.uuid,
                "name": activity.contact_name,
                "email": email,
                "phones": phones,
            }
        )
    ]


# ---- attributes (taxonomy terms) ---------------------------------------------------------------


def availability_code(activity: Activity) -> str:
    if activity.spare_places > 0:
        return "has_space"
    return "waitlist_open" if activity.waitlist_open else "full"


def activity_terms(activity: Activity) -> list[tuple[str, str]]:
    """Every (taxonomy key, code) the activity carries, in publishing order."""
    terms: list[tuple[str, str]] = []
    for key, codes in (
        ("categories", activity.categories),
        ("needs", activity.needs),
        ("modes", activity.modes),
        ("referral_routes", activity.referral_routes),
    ):
        terms += [(key, c) for c in codes if c in TAXONOMIES[key].terms]
    if activity.kite_mark in TAXONOMIES["kite_mark"].terms:
        terms.append(("kite_mark", activity.kite_mark))
    terms.append(("availability", availability_code(activity)))
    return terms


def attributes_json(activity: Activity) -> list[dict[str, Any]]:
    """Taxonomy terms as ORUK attributes, each with its term nested.

    Extension (HSDS 3.0 `value`): the availability attribute carries the number of spare
    places; the kite-mark attribute carries its expiry date when there is one."""
    out = []
    for key, code in activity_terms(activity):
        term = term_json(key, code)
        attribute: dict[str, Any] = {
            "id": stable_id("attribute", activity.uuid, key, code),
            "link_id": activity.uuid,
            "link_type": "service",
            "link_entity": "service",
            "taxonomy_term_id": term["id"],
            "taxonomy_term": term,
        }
        if key == "availability":
            attribute["value"] = str(activity.spare_places)
        elif key == "kite_mark" and activity.kite_mark_valid_until:
            attribute["value"] = activity.kite_mark_valid_until.isoformat()
        out.append(attribute)
    return out


def accreditations(activity: Activity) -> str | None:
    if activity.kite_mark != "awarded":
        return None
    until = activity.kite_mark_valid_until
    return "Kite-marked" + (f" (valid until {until.isoformat()})" if until else "")


# ---- services ------------------------------------------------------------------------------------


def service_status(activity: Activity) -> str:
    return "active" if activity.status == "published" else "inactive"


def service_json(activity: Activity, level: Level = "full") -> dict[str, Any]:
    """An activity as an ORUK service.

    - "minimal": id, name, status, last_modified (the validator's minimal listing, plus the
      two fields the schema requires);
    - "list": every one-to-one field and the nested organisation;
    - "full": also schedules, service_at_locations → location → addresses/accessibility,
      cost_options, languages, contacts and attributes → taxonomy terms.
    """
    base = {
        "id": activity.uuid,
        "name": activity.title,
        "status": service_status(activity),
        "last_modified": iso_datetime(last_modified(activity)),
    }
    if level == "minimal":
        return base
    assured: date | None = (
        activity.capacity_updated_at.date() if activity.capacity_updated_at else None
    )
    body: dict[str, Any] = base | {
        "organization_id": activity.organisation.uuid if activity.organisation else None,
        "description": activity.description,
        "url": url_or_none(activity.website),
        "email": email_or_none(activity.email),
        "accreditations": accreditations(activity),
        "minimum_age": activity.age_min,
        "maximum_age": activity.age_max,
        "assured_date": assured.isoformat() if assured else None,
    }
    body = _drop_empty(body)
    if activity.organisation is not None:
        body["organization"] = organization_json(activity.organisation)
    if level == "list":
        return body
    sal = service_at_location_json(activity, full=False)
    extra = _drop_empty(
        {
            "schedules": schedules_json(activity),
            "service_at_locations": [sal] if sal else [],
            "cost_options": cost_options_json(activity),
            "languages": languages_json(activity),
            "contacts": contacts_json(activity),
            "attributes": attributes_json(activity),
        }
    )
    if sal:
        # _drop_empty() would drop required-but-empty address fields; keep the original.
        extra["service_at_locations"] = [sal]
    return body | extra
