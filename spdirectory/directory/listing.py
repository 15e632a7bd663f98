"""One validation path for listings, shared by the web form, CSV import and the API.

Input is raw text as a person or a spreadsheet gives it (CSV template names, see
docs/import-format.md); output is clean model values, or a dict of field → message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from email_validator import EmailNotValidError, validate_email

from .. import vocab
from ..geo import PostcodeError, lookup
from .schedule import ScheduleError, WeeklySession, format_schedule, parse_schedule

YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}


class ListingError(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class CleanListing:
    values: dict[str, Any] = field(default_factory=dict)
    sessions: list[WeeklySession] = field(default_factory=list)


def split_list(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    items = re.split(r"[;|,]", value) if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item and item.strip()]


def _codes(raw: Any, vocabulary: dict[str, str], what: str) -> list[str]:
    codes = [c.lower().replace(" ", "_").replace("-", "_") for c in split_list(raw)]
    unknown = [c for c in codes if c not in vocabulary]
    if unknown:
        raise ValueError(f"unknown {what} {', '.join(repr(u) for u in unknown)}")
    return list(dict.fromkeys(codes))


# Names people actually write that ISO 639 spells differently (or not at all).
LANGUAGE_ALIASES = {
    "bsl": "bfi",
    "british sign language": "bfi",
    "punjabi": "pa",
    "farsi": "fa",
    "pashto": "ps",
    "mandarin": "zh",
    "cantonese": "yue",
}


def normalise_language(text: str) -> str:
    """A language name or ISO 639 code → the shortest ISO code ('English' → 'en')."""
    key = text.strip().lower()
    if key in LANGUAGE_ALIASES:
        return LANGUAGE_ALIASES[key]
    # Exact codes first: pycountry.lookup("en") would fuzzily match the name "En" (enc).
    lang = pycountry.languages.get(alpha_2=key) or pycountry.languages.get(alpha_3=key)
    if lang is None:
        try:
            lang = pycountry.languages.lookup(key)
        except LookupError:
            raise ValueError(
                f"“{text}” is not a language we know (use a name or ISO code)"
            ) from None
    return getattr(lang, "alpha_2", None) or lang.alpha_3


def _bool(raw: Any, what: str) -> bool | None:
    if raw is None or isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if not text:
        return None
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(f"{what} must be yes or no, not “{raw}”")


def _int(raw: Any, what: str, minimum: int = 0, maximum: int = 100_000) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValueError(f"{what} must be a whole number, not “{raw}”") from None
    if not minimum <= value <= maximum:
        raise ValueError(f"{what} must be between {minimum} and {maximum}")
    return value


def parse_cost(raw: Any) -> int | None:
    """'free' → 0 pence; '3.50' or '£3.50' → 350; empty → None (unknown)."""
    if raw is None:
        return None
    text = str(raw).strip().lower()
    if not text:
        return None
    text = text.removeprefix("£").strip()  # a lone "£" is an error below, not "unknown"
    if text in {"free", "0", "0.00", "no cost"}:
        return 0
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    # Decimal also reads "NaN" and "Infinity", which compare badly (NaN raises on <).
    if amount is None or not amount.is_finite():
        raise ValueError(f"cost must be “free” or an amount in pounds such as 3.50, not “{raw}”")
    if amount < 0 or amount > 10_000:
        raise ValueError("cost must be between £0 and £10,000")
    return int((amount * 100).quantize(Decimal(1)))


def parse_datetime(raw: Any, what: str) -> datetime | None:
    if raw is None or isinstance(raw, datetime):
        return raw.astimezone(UTC) if isinstance(raw, datetime) and raw.tzinfo else raw
    text = str(raw).strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            value = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError:
            raise ValueError(f"{what} must be an ISO 8601 date such as 2026-11-23") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value > datetime.now(UTC):
        raise ValueError(f"{what} cannot be in the future")
    return value.astimezone(UTC)


def clean_email(raw: Any) -> str:
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError(f"“{text}” is not a valid email address") from None


def clean_website(raw: Any) -> str:
    text = (raw or "").strip()
    if not text:
        return ""
    if not re.match(r"^https?://", text, re.IGNORECASE):
        text = "https://" + text
    if not re.match(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$", text, re.IGNORECASE):
        raise ValueError(f"“{raw}” is not a web address")
    if len(text) > 500:  # the column's size: longer would fail at the database
        raise ValueError("web address must be 500 characters or fewer")
    return text


def parse_listing(raw: Mapping[str, Any], *, partial: bool = False) -> CleanListing:
    """Validate raw listing fields. With partial=True only the keys present are checked
    (for API updates). Raises ListingError with every problem at once."""
    errors: dict[str, str] = {}
    clean = CleanListing()
    values = clean.values

    def present(key: str) -> bool:
        return not partial or key in raw

    def run(key: str, fn: Any) -> None:
        if not present(key):
            return
        try:
            fn()
        except (ValueError, PostcodeError, ScheduleError) as exc:
            errors[key] = str(exc)

    def part(key: str, fn: Any) -> Any:
        """One field of a group checked together: its message goes under its own name."""
        try:
            return fn()
        except ValueError as exc:
            errors[key] = str(exc)
            return None

    def title() -> None:
        text = (raw.get("title") or "").strip()
        if not text:
            raise ValueError("enter a title")
        if len(text) > 200:
            raise ValueError("title must be 200 characters or fewer")
        values["title"] = text

    def description() -> None:
        text = (raw.get("description") or "").strip()
        if len(text) > 5000:
            raise ValueError("description must be 5,000 characters or fewer")
        values["description"] = text

    def categories() -> None:
        codes = _codes(raw.get("categories"), vocab.CATEGORIES, "category")
        if not codes:
            raise ValueError("choose at least one category")
        values["categories"] = codes

    def needs() -> None:
        values["needs"] = _codes(raw.get("needs"), vocab.NEEDS, "need")

    def modes() -> None:
        values["modes"] = _codes(raw.get("modes"), vocab.MODES, "mode") or ["in_person"]

    def routes() -> None:
        values["referral_routes"] = _codes(
            raw.get("referral_routes"), vocab.REFERRAL_ROUTES, "referral route"
        ) or ["link_worker", "self"]

    def languages() -> None:
        langs = [normalise_language(t) for t in split_list(raw.get("languages"))]
        values["languages"] = list(dict.fromkeys(langs)) or ["en"]

    def schedule() -> None:
        clean.sessions = parse_schedule(raw.get("schedule"))
        values["schedule"] = format_schedule(clean.sessions)

    def location() -> None:
        postcode = (raw.get("postcode") or "").strip()
        values["address"] = (raw.get("address") or "").strip()[:500]
        if not postcode:
            in_person = "in_person" in values.get("modes", ["in_person"])
            if in_person and not partial:
                raise ValueError("enter the postcode where the activity meets")
            values.update(postcode="", postcode_district="", latitude=None, longitude=None)
            return
        place = lookup(postcode)
        values.update(
            postcode=place.postcode,
            postcode_district=place.district,
            latitude=place.latitude,
            longitude=place.longitude,
        )

    def cost() -> None:
        values["cost_pence"] = parse_cost(raw.get("cost"))

    def ages() -> None:
        low = part("age_min", lambda: _int(raw.get("age_min"), "minimum age", 0, 120))
        high = part("age_max", lambda: _int(raw.get("age_max"), "maximum age", 0, 120))
        if "age_min" in errors or "age_max" in errors:
            return
        if low is not None and high is not None and low > high:
            raise ValueError("minimum age is above maximum age")
        values["age_min"], values["age_max"] = low, high

    def wheelchair() -> None:
        values["wheelchair_accessible"] = _bool(
            raw.get("wheelchair_accessible"), "wheelchair_accessible"
        )

    def capacity() -> None:
        cap = part("capacity", lambda: _int(raw.get("capacity"), "capacity", 0, 100_000))
        spare = part(
            "spare_places", lambda: _int(raw.get("spare_places"), "spare places", 0, 100_000)
        )
        if "capacity" in errors or "spare_places" in errors:
            return
        spare = spare or 0
        if cap is not None and spare > cap:
            raise ValueError(f"spare places ({spare}) cannot be more than capacity ({cap})")
        values["capacity"], values["spare_places"] = cap, spare

    def waitlist() -> None:
        values["waitlist_open"] = bool(_bool(raw.get("waitlist"), "waitlist"))

    def kite_mark() -> None:
        code = (raw.get("kite_mark") or "").strip().lower()
        if code and code not in vocab.KITE_MARK:
            raise ValueError(f"unknown kite mark status “{code}”")
        if code:
            values["kite_mark"] = code

    def contact_name() -> None:
        values["contact_name"] = (raw.get("contact_name") or "").strip()[:200]

    def phone() -> None:
        values["phone"] = (raw.get("phone") or "").strip()[:40]

    def email() -> None:
        values["email"] = clean_email(raw.get("email"))

    def website() -> None:
        values["website"] = clean_website(raw.get("website"))

    def capacity_updated() -> None:
        updated = parse_datetime(raw.get("capacity_updated"), "capacity_updated")
        if updated is not None:
            values["capacity_updated_at"] = updated

    def last_reviewed() -> None:
        reviewed = parse_datetime(raw.get("last_reviewed"), "last_reviewed")
        if reviewed is not None:
            values["last_reviewed_at"] = reviewed

    for key, fn in [
        ("title", title),
        ("description", description),
        ("categories", categories),
        ("needs", needs),
        ("modes", modes),
        ("referral_routes", routes),
        ("languages", languages),
        ("schedule", schedule),
        ("postcode", location),
        ("cost", cost),
        ("age_min", ages),
        ("wheelchair_accessible", wheelchair),
        ("spare_places", capacity),
        ("waitlist", waitlist),
        ("kite_mark", kite_mark),
        ("contact_name", contact_name),
        ("phone", phone),
        ("email", email),
        ("website", website),
        ("capacity_updated", capacity_updated),
        ("last_reviewed", last_reviewed),
    ]:
        run(key, fn)
    if errors:
        raise ListingError(errors)
    return clean


def listing_fields(activity: Any) -> dict[str, str]:
    """An activity's stored listing as raw fields (CSV names), the inverse of parse_listing:
    what an update that names only some columns keeps for the others."""
    from ..templating import language_name

    def yes_no(value: bool | None) -> str:
        return {True: "yes", False: "no"}.get(value, "")  # type: ignore[arg-type]

    def number(value: int | None) -> str:
        return "" if value is None else str(value)

    cost = activity.cost_pence
    return {
        "title": activity.title or "",
        "description": activity.description or "",
        "categories": "; ".join(activity.categories or []),
        "needs": "; ".join(activity.needs or []),
        "modes": "; ".join(activity.modes or []),
        "referral_routes": "; ".join(activity.referral_routes or []),
        "languages": "; ".join(language_name(c) for c in activity.languages or []),
        "schedule": activity.schedule or "",
        "address": activity.address or "",
        "postcode": activity.postcode or "",
        "cost": "" if cost is None else "free" if cost == 0 else f"{cost / 100:.2f}",
        "age_min": number(activity.age_min),
        "age_max": number(activity.age_max),
        "wheelchair_accessible": yes_no(activity.wheelchair_accessible),
        "capacity": number(activity.capacity),
        "spare_places": number(activity.spare_places),
        "waitlist": yes_no(activity.waitlist_open),
        "contact_name": activity.contact_name or "",
        "email": activity.email or "",
        "phone": activity.phone or "",
        "website": activity.website or "",
    }


def apply_listing(activity: Any, clean: CleanListing) -> None:
    """Copy clean values onto an Activity, rebuilding its sessions when the schedule changed."""
    from .models import ActivitySession

    schedule_changed = "schedule" in clean.values and (
        clean.values["schedule"] != activity.schedule
        or len(activity.sessions) != len(clean.sessions)
    )
    for key, value in clean.values.items():
        setattr(activity, key, value)
    if schedule_changed:
        activity.sessions = [
            ActivitySession(day_index=s.day_index, starts=s.starts, ends=s.ends)
            for s in clean.sessions
        ]
