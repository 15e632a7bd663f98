"""Referral operations: create, change status (capacity-safe), outcomes, contact views, purge.

Services are transaction-neutral: the caller commits (one commit per request). Capacity is
changed only with the activity row locked (SELECT … FOR UPDATE on PostgreSQL, the write lock
taken first on SQLite), so N simultaneous accepts for k spare places accept exactly k.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, case, func, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from .. import vocab
from ..audit import AuditEvent, current_actor
from ..db_types import utcnow
from ..directory.capacity import lock_activity, update_capacity
from ..directory.models import Activity
from ..extensions import db
from ..geo.postcodes import InvalidPostcode, postcode_district
from . import states
from .models import (
    CLOSED_STATUSES,
    ONS4_FIELDS,
    ONS4_STAGES,
    Referral,
    ReferralEvent,
    ReferralOutcome,
)

MAX_SUMMARY = 1000
MAX_NOTE = 1000
_DISTRICT_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_RE = re.compile(r"^\+?[0-9 ()-]{7,20}$")


class ReferralError(Exception):
    """A refusal with an HTTP status, a stable code and a user-facing message."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidReferral(ReferralError):
    status = 422
    code = "invalid"


class NotAllowed(ReferralError):
    status = 403
    code = "forbidden"


class IllegalTransition(ReferralError):
    status = 409
    code = "illegal_transition"


class NoPlaceLeft(ReferralError):
    """Accepting would oversubscribe; offers the waiting list when it is open."""

    status = 409
    code = "no_place_left"

    def __init__(self, activity: Activity, can_waitlist: bool) -> None:
        self.waitlist_open = activity.waitlist_open
        self.can_waitlist = can_waitlist
        if can_waitlist:
            message = (
                f"No spare place is left on “{activity.title}”. Its waiting list is open: "
                "add this referral to the waiting list instead."
            )
        elif activity.waitlist_open:
            message = f"No spare place is left on “{activity.title}”."
        else:
            message = (
                f"No spare place is left on “{activity.title}” and its waiting list is closed. "
                "Update the spare places if one has come free, or decline with the reason "
                "“No places left”."
            )
        super().__init__(message, {"status": message})


# ----------------------------------------------------------------------------- permissions


def is_provider_of(user: Any, referral: Referral) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and user.role == "provider"
        and user.organisation_id is not None
        and user.organisation_id == referral.organisation_id
    )


def is_referrer_of(user: Any, referral: Referral) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and user.role == "link_worker"
        and referral.referrer_id == user.id
    )


def can_view(user: Any, referral: Referral) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role == "admin" or is_referrer_of(user, referral) or is_provider_of(user, referral)


def can_see_contact(user: Any, referral: Referral) -> bool:
    """Only the referring link worker, and the receiving provider once it has accepted the
    person (accepted and what follows it). Not admins: they run the service, not the care."""
    if referral.anonymised_at is not None or not referral.has_contact:
        return False
    if is_referrer_of(user, referral):
        return True
    return is_provider_of(user, referral) and referral.status in (
        "accepted",
        "attended",
        "did_not_attend",
        "completed",
        "dropped_out",
    )


def can_make(user: Any, referral: Referral, to_status: str) -> bool:
    """May this user make this transition (if it were legal from the current status)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == "admin":
        return True
    who = {frm_to[1]: actor for frm_to, actor in states.TRANSITIONS.items()}.get(to_status)
    if who == states.PROVIDER:
        return is_provider_of(user, referral)
    if who == states.REFERRER:
        return is_referrer_of(user, referral)
    return False


def can_record_outcome(user: Any, referral: Referral) -> bool:
    return is_referrer_of(user, referral) or (
        is_provider_of(user, referral) and referral.responded_at is not None
    )


def can_refer(user: Any) -> bool:
    return getattr(user, "is_authenticated", False) and user.role in ("link_worker", "admin")


def takes_referrals(activity: Activity) -> bool:
    """Published, and not marked as join-directly only (no routes given = not known: allow)."""
    routes = activity.referral_routes or []
    return activity.status == "published" and (not routes or "link_worker" in routes)


# ---------------------------------------------------------------------------- validation


@dataclass
class NewReferral:
    activity_id: int
    client_reference: str
    summary: str = ""
    needs: list[str] = field(default_factory=list)
    contact_phone: str | None = None
    contact_email: str | None = None
    contact_consent: bool = False
    preferred_contact: str = ""
    preferred_times: str = ""
    person_district: str | None = None
    baseline: dict[str, int] | None = None


def district_of(text_value: str) -> str:
    """A person's postcode district from a full postcode or a district ("LS1 1AZ" → "LS1").

    Only the district is kept: it is enough for reports and identifies nobody."""
    cleaned = "".join(text_value.split()).upper()
    if _DISTRICT_RE.fullmatch(cleaned):
        return cleaned
    return postcode_district(text_value)  # raises InvalidPostcode


def ons4_scores(raw: Any, prefix: str = "") -> tuple[dict[str, int] | None, dict[str, str]]:
    """Four whole numbers 0–10, all or none. Returns (scores or None, errors)."""
    if raw is None:
        return None, {}
    if not isinstance(raw, dict):
        return None, {prefix.rstrip(".") or "scores": "must be an object with the four scores"}
    values = {f: raw.get(f) for f in ONS4_FIELDS}
    if all(v in (None, "") for v in values.values()):
        return None, {}
    errors: dict[str, str] = {}
    scores: dict[str, int] = {}
    for name, value in values.items():
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
            errors[prefix + name] = "must be a whole number from 0 to 10"
        else:
            scores[name] = value
    return (None if errors else scores), errors


def validate_new(raw: dict[str, Any]) -> tuple[NewReferral | None, dict[str, str]]:
    """Check a new referral from the form or the API; all errors at once, by field name."""
    errors: dict[str, str] = {}

    activity_id = raw.get("activity_id")
    if isinstance(activity_id, str) and activity_id.isdigit():
        activity_id = int(activity_id)
    if isinstance(activity_id, bool) or not isinstance(activity_id, int) or activity_id < 1:
        errors["activity_id"] = "must be the id of an activity"

    reference = _text(raw.get("client_reference"))
    if not reference:
        errors["client_reference"] = (
            "Enter a client reference (your own record's reference, not the person's name)"
        )
    elif len(reference) > 64:
        errors["client_reference"] = "Client reference must be 64 characters or fewer"

    summary = _text(raw.get("summary"))
    if len(summary) > MAX_SUMMARY:
        errors["summary"] = f"Keep “what matters” to {MAX_SUMMARY} characters or fewer"

    needs_raw = raw.get("needs") or []
    if isinstance(needs_raw, str):
        needs_raw = [n for n in re.split(r"[;,\s]+", needs_raw) if n]
    if not isinstance(needs_raw, list) or not all(isinstance(n, str) for n in needs_raw):
        errors["needs"] = "must be a list of need codes"
        needs: list[str] = []
    else:
        needs = list(dict.fromkeys(needs_raw))
        unknown = [n for n in needs if n not in vocab.NEEDS]
        if unknown:
            errors["needs"] = f"Unknown need code: {', '.join(unknown[:5])}"

    phone = _text(raw.get("contact_phone")) or None
    email = _text(raw.get("contact_email")) or None
    consent = raw.get("contact_consent")
    consent = consent in (True, "y", "yes", "true", "on", "1")
    if phone and not _PHONE_RE.fullmatch(phone):
        errors["contact_phone"] = "Enter a phone number, like 07700 900123"
    if email and (len(email) > 254 or not _EMAIL_RE.fullmatch(email)):
        errors["contact_email"] = "Enter an email address, like name@example.com"
    if (phone or email) and not consent:
        errors["contact_consent"] = (
            "Contact details can only be kept with the person's consent: confirm consent, "
            "or leave the contact details out"
        )

    preferred = _text(raw.get("preferred_contact"))
    if preferred and preferred not in states.CONTACT_METHODS:
        errors["preferred_contact"] = "Choose one of: " + ", ".join(states.CONTACT_METHODS)
    if preferred in ("phone", "text") and not phone:
        errors.setdefault("contact_phone", "Enter a phone number for the preferred contact")
    if preferred == "email" and not email:
        errors.setdefault("contact_email", "Enter an email address for the preferred contact")

    times = _text(raw.get("preferred_times"))
    if len(times) > 200:
        errors["preferred_times"] = "Keep the preferred times to 200 characters or fewer"

    district = None
    place = _text(raw.get("person_postcode") or raw.get("person_district"))
    if place:
        try:
            district = district_of(place)
        except InvalidPostcode as exc:
            errors["person_postcode"] = str(exc)

    baseline, score_errors = ons4_scores(raw.get("baseline"), "baseline.")
    errors.update(score_errors)

    if errors:
        return None, errors
    return (
        NewReferral(
            activity_id=activity_id,  # type: ignore[arg-type]
            client_reference=reference,
            summary=summary,
            needs=needs,
            contact_phone=phone if consent else None,
            contact_email=email if consent else None,
            contact_consent=bool(consent and (phone or email)),
            preferred_contact=preferred,
            preferred_times=times,
            person_district=district,
            baseline=baseline,
        ),
        {},
    )


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


# ------------------------------------------------------------------------------ creation


def response_deadline(sent_at: datetime) -> datetime:
    """The acknowledgement deadline: N working days (England and Wales) after sending."""
    from ..workdays import add_working_days

    days = int(current_app.config.get("REFERRAL_RESPONSE_WORKING_DAYS", 3))
    return add_working_days(sent_at, days)


def create_referral(user: Any, new: NewReferral, now: datetime | None = None) -> Referral:
    """Send a referral (status sent). The caller commits."""
    if not can_refer(user):
        raise NotAllowed("Only link workers can make referrals")
    activity = db.session.get(Activity, new.activity_id)
    if activity is None or activity.status != "published":
        raise InvalidReferral(
            f"No published activity with id {new.activity_id}",
            {"activity_id": "no such published activity"},
        )
    if not takes_referrals(activity):
        raise InvalidReferral(
            f"“{activity.title}” does not take referrals: the person can join directly",
            {"activity_id": "this activity does not take referrals"},
        )
    now = now or utcnow()
    referral = Referral(
        activity_id=activity.id,
        organisation_id=activity.organisation_id,
        referrer_id=user.id,
        client_reference=new.client_reference,
        summary=new.summary,
        needs=new.needs,
        contact_phone=new.contact_phone,
        contact_email=new.contact_email,
        contact_consent=new.contact_consent,
        consent_recorded_at=now if new.contact_consent else None,
        preferred_contact=new.preferred_contact,
        preferred_times=new.preferred_times,
        person_district=new.person_district,
        status="sent",
        created_at=now,
        updated_at=now,
        respond_by=response_deadline(now),
    )
    db.session.add(referral)
    db.session.flush()
    event = ReferralEvent(
        referral_id=referral.id, from_status=None, to_status="sent", actor_id=user.id, at=now
    )
    db.session.add(event)
    if new.baseline:
        db.session.add(
            ReferralOutcome(
                referral_id=referral.id,
                stage="baseline",
                recorded_at=now,
                recorded_by_id=user.id,
                **new.baseline,
            )
        )
    db.session.flush()
    notify_referral_event(referral, event)
    return referral


# ----------------------------------------------------------------------------- transitions


def _lock_activity_row(activity_id: int) -> Activity | None:
    """The activity, locked for this transaction, with fresh values.

    PostgreSQL: SELECT … FOR UPDATE (directory.capacity.lock_activity). SQLite has no row
    locks: a no-op write first takes the database write lock (waiting out others through
    busy_timeout), so the read that follows cannot be overtaken by another writer."""
    session: Session = db.session
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            text("UPDATE activity SET spare_places = spare_places WHERE id = :id"),
            {"id": activity_id},
        )
    cached = session.identity_map.get(session.identity_key(Activity, activity_id))
    if cached is not None:
        session.expire(cached)  # lock_activity must not hand back values read earlier
    return lock_activity(activity_id)


def _lock_referral(referral_id: int) -> Referral | None:
    return db.session.execute(
        select(Referral)
        .where(Referral.id == referral_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _gives_back_place(from_status: str, to_status: str) -> bool:
    # An accepted person who never took the place up frees it; a completed or dropped-out
    # place is the provider's to re-offer (they know whether the slot continues).
    return from_status == "accepted" and to_status in ("withdrawn", "did_not_attend")


def change_status(
    referral_id: int,
    to_status: str,
    user: Any,
    reason: str | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Referral:
    """Move a referral to another status, if legal and allowed. The caller commits.

    Lock order is always activity then referral, so two transitions cannot deadlock."""
    now = now or utcnow()
    referral = db.session.get(Referral, referral_id)
    if referral is None or not can_view(user, referral):
        raise ReferralError("No such referral")  # the view turns this into a 404
    if to_status not in vocab.REFERRAL_STATUS:
        raise InvalidReferral(f"Unknown status “{to_status}”", {"status": "not a referral status"})
    if not can_make(user, referral, to_status):
        raise NotAllowed(_who_may(to_status))
    reason = (reason or "").strip() or None
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidReferral(
            f"Keep the note to {MAX_NOTE} characters or fewer", {"note": "too long"}
        )
    if to_status == "declined":
        if reason not in vocab.DECLINE_REASONS:
            raise InvalidReferral(
                "Choose a reason for declining",
                {"reason": "one of: " + ", ".join(vocab.DECLINE_REASONS)},
            )
    elif reason is not None and len(reason) > 30:
        raise InvalidReferral("Keep the reason short", {"reason": "30 characters or fewer"})

    activity = _lock_activity_row(referral.activity_id)
    referral = _lock_referral(referral_id)
    if referral is None or activity is None:
        raise ReferralError("No such referral")
    from_status = referral.status
    if not states.is_legal(from_status, to_status):
        raise IllegalTransition(
            f"A referral that is {vocab.label(vocab.REFERRAL_STATUS, from_status).lower()} "
            f"cannot become {vocab.label(vocab.REFERRAL_STATUS, to_status).lower()}",
            {
                "status": "allowed next: "
                + (", ".join(states.next_statuses(from_status)) or "none (closed)")
            },
        )

    if to_status == "accepted":
        if activity.spare_places < 1:
            raise NoPlaceLeft(
                activity, can_waitlist=from_status == "sent" and activity.waitlist_open
            )
        update_capacity(
            activity, spare_places=activity.spare_places - 1, reason="referral", now=now
        )
    elif _gives_back_place(from_status, to_status):
        spare = activity.spare_places + 1
        if activity.capacity is None or spare <= activity.capacity:
            update_capacity(activity, spare_places=spare, reason="referral", now=now)

    if to_status == "waitlisted":
        last = db.session.scalar(
            select(func.max(Referral.waitlist_position)).where(
                Referral.activity_id == activity.id, Referral.status == "waitlisted"
            )
        )
        referral.waitlist_position = (last or 0) + 1
    elif from_status == "waitlisted":
        referral.waitlist_position = None

    referral.status = to_status
    referral.decline_reason = reason if to_status == "declined" else None
    referral.updated_at = now
    if to_status in states.RESPONSES and referral.responded_at is None:
        referral.responded_at = now
    if to_status in CLOSED_STATUSES:
        referral.closed_at = now
    event = ReferralEvent(
        referral_id=referral.id,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        note=note,
        actor_id=getattr(user, "id", None),
        at=now,
    )
    db.session.add(event)
    db.session.flush()
    notify_referral_event(referral, event)
    return referral


def _who_may(to_status: str) -> str:
    who = {t: a for (_, t), a in states.TRANSITIONS.items()}.get(to_status)
    if who == states.REFERRER:
        return "Only the link worker who made the referral can withdraw it"
    return "Only the organisation that received the referral can do this"


def waitlist(activity_id: int) -> list[Referral]:
    """The activity's waiting list, in order."""
    return list(
        db.session.scalars(
            select(Referral)
            .where(Referral.activity_id == activity_id, Referral.status == "waitlisted")
            .order_by(Referral.waitlist_position, Referral.id)
        )
    )


def waitlist_rank(referral: Referral) -> int | None:
    """1 for the first on the waiting list (positions keep order; gaps are not renumbered)."""
    if referral.status != "waitlisted" or referral.waitlist_position is None:
        return None
    ahead = db.session.scalar(
        select(func.count(Referral.id)).where(
            Referral.activity_id == referral.activity_id,
            Referral.status == "waitlisted",
            Referral.waitlist_position < referral.waitlist_position,
        )
    )
    return (ahead or 0) + 1


def promote_next(activity_id: int, user: Any, now: datetime | None = None) -> Referral | None:
    """Accept the first referral on the activity's waiting list (None when it is empty)."""
    first = db.session.scalar(
        select(Referral.id)
        .where(Referral.activity_id == activity_id, Referral.status == "waitlisted")
        .order_by(Referral.waitlist_position, Referral.id)
        .limit(1)
    )
    if first is None:
        return None
    return change_status(first, "accepted", user, note="Promoted from the waiting list", now=now)


# -------------------------------------------------------------------------------- outcomes


def record_outcome(
    referral: Referral, stage: str, scores: dict[str, int], user: Any, now: datetime | None = None
) -> ReferralOutcome:
    """Record (or correct) the ONS4 scores of one stage. The caller commits."""
    if not can_record_outcome(user, referral):
        raise NotAllowed("Only the referring link worker or the receiving provider can do this")
    if stage not in ONS4_STAGES:
        raise InvalidReferral("Choose a stage", {"stage": "one of: " + ", ".join(ONS4_STAGES)})
    if referral.anonymised_at is not None:
        raise IllegalTransition("This referral has been anonymised")
    existing = db.session.scalar(
        select(ReferralOutcome).where(
            ReferralOutcome.referral_id == referral.id, ReferralOutcome.stage == stage
        )
    )
    outcome = existing or ReferralOutcome(referral_id=referral.id, stage=stage)
    for name in ONS4_FIELDS:
        setattr(outcome, name, scores[name])
    outcome.recorded_at = now or utcnow()
    outcome.recorded_by_id = getattr(user, "id", None)
    db.session.add(outcome)
    db.session.flush()
    return outcome


@dataclass
class DistanceTravelled:
    people: int
    # Mean change per measure (later minus baseline); for `anxious` a fall is an improvement.
    change: dict[str, float]
    baseline: dict[str, float]
    later: dict[str, float]


def distance_travelled(
    *, activity_id: int | None = None, organisation_id: int | None = None
) -> DistanceTravelled | None:
    """Mean ONS4 change for people with a baseline and a later score (follow-up if recorded,
    otherwise end). None below OUTCOMES_MIN_PEOPLE people: small numbers could identify.

    People, not referrals: a person is a client reference (case and spaces ignored) within
    the organisation, so someone referred twice counts once towards the threshold and
    weighs once in the means (their referrals are averaged first). An anonymised referral
    has lost its reference and counts as a person of its own."""
    base = ReferralOutcome.__table__.alias("b")
    later = ReferralOutcome.__table__.alias("l")
    # One later score per referral: follow_up wins over end.
    latest_stage = (
        select(
            later.c.referral_id,
            func.max(later.c.stage).label("stage"),  # 'follow_up' > 'end' in text order
        )
        .where(later.c.stage.in_(("end", "follow_up")))
        .group_by(later.c.referral_id)
        .subquery()
    )
    after = ReferralOutcome.__table__.alias("a")
    reference = func.lower(func.trim(Referral.client_reference))
    # NULL (one group) for every referral with a reference; its own id when there is none.
    unlinked = case((func.trim(Referral.client_reference) == "", Referral.id), else_=None)
    per_person_cols = []
    for f in ONS4_FIELDS:
        per_person_cols += [
            func.avg(base.c[f]).label(f"b_{f}"),
            func.avg(after.c[f]).label(f"a_{f}"),
        ]
    per_person = (
        select(*per_person_cols)
        .select_from(Referral)
        .join(base, and_(base.c.referral_id == Referral.id, base.c.stage == "baseline"))
        .join(latest_stage, latest_stage.c.referral_id == Referral.id)
        .join(
            after,
            and_(after.c.referral_id == Referral.id, after.c.stage == latest_stage.c.stage),
        )
        .group_by(Referral.organisation_id, reference, unlinked)
    )
    if activity_id is not None:
        per_person = per_person.where(Referral.activity_id == activity_id)
    if organisation_id is not None:
        per_person = per_person.where(Referral.organisation_id == organisation_id)
    people = per_person.subquery()
    cols = []
    for f in ONS4_FIELDS:
        cols += [
            func.avg(people.c[f"b_{f}"]).label(f"b_{f}"),
            func.avg(people.c[f"a_{f}"]).label(f"a_{f}"),
        ]
    row = db.session.execute(select(func.count().label("people"), *cols).select_from(people)).one()
    minimum = int(current_app.config.get("OUTCOMES_MIN_PEOPLE", 10))
    if not row.people or row.people < minimum:
        return None
    b = {f: float(getattr(row, f"b_{f}")) for f in ONS4_FIELDS}
    a = {f: float(getattr(row, f"a_{f}")) for f in ONS4_FIELDS}
    return DistanceTravelled(
        people=row.people,
        change={f: round(a[f] - b[f], 1) for f in ONS4_FIELDS},
        baseline={f: round(v, 1) for f, v in b.items()},
        later={f: round(v, 1) for f, v in a.items()},
    )


# ------------------------------------------------------------------------ data protection


def contact_details(referral: Referral, user: Any) -> dict[str, Any]:
    """The person's contact details for an allowed viewer; every call is audited."""
    if not can_see_contact(user, referral):
        raise NotAllowed("You cannot see this person's contact details")
    user_id, actor = current_actor()
    shown = [name for name in ("contact_phone", "contact_email") if getattr(referral, name)]
    db.session.add(
        AuditEvent(
            at=utcnow(),
            user_id=getattr(user, "id", None) or user_id,
            actor=(getattr(user, "email", None) or actor)[:200],
            action="viewed_contact",
            entity="referral",
            entity_id=referral.id,
            changes={"fields": shown},
        )
    )
    return {
        "phone": referral.contact_phone,
        "email": referral.contact_email,
        "consent": referral.contact_consent,
        "consent_recorded_at": referral.consent_recorded_at,
        "preferred_contact": referral.preferred_contact,
        "preferred_times": referral.preferred_times,
    }


ANONYMISED_FIELDS: dict[str, Any] = {
    "client_reference": "",
    "summary": "",
    "contact_phone": None,
    "contact_email": None,
    "preferred_times": "",
}


def purgeable(cutoff: datetime) -> ColumnElement[bool]:
    """SQL condition: closed before `cutoff` and not yet anonymised."""
    return and_(
        Referral.status.in_(CLOSED_STATUSES),
        Referral.closed_at < cutoff,
        Referral.anonymised_at.is_(None),
    )


@dataclass
class PurgeResult:
    referrals: int = 0
    # Outbox emails about anonymised referrals: sent/failed deleted, queued redacted.
    emails_deleted: int = 0
    emails_redacted: int = 0


def purge(older_than: timedelta, now: datetime | None = None, batch: int = 1000) -> PurgeResult:
    """Anonymise referrals closed before now - older_than: personal text goes, the codes
    that reports need (activity, needs, district, statuses, dates, outcomes) stay.

    The outbox keeps the client reference in every email about a referral, so those emails
    are deleted (sent, failed) or redacted (queued) in the same transaction as each batch;
    then emails about referrals anonymised earlier are cleaned the same way."""
    # Imported here: notifications depends on referrals, not the other way round.
    from ..notifications.referrals import anonymised_with_emails, forget_referral_emails

    now = now or utcnow()
    cutoff = now - older_than
    result = PurgeResult()

    def forget(ids: list[int]) -> None:
        forgotten = forget_referral_emails(ids)
        result.emails_deleted += forgotten.deleted
        result.emails_redacted += forgotten.redacted

    while ids := list(
        db.session.scalars(
            select(Referral.id).where(purgeable(cutoff)).order_by(Referral.id).limit(batch)
        )
    ):
        db.session.execute(
            update(Referral)
            .where(Referral.id.in_(ids))
            .values(**ANONYMISED_FIELDS, anonymised_at=now, updated_at=now)
        )
        # Free-text notes on the history may name the person too.
        db.session.execute(
            update(ReferralEvent).where(ReferralEvent.referral_id.in_(ids)).values(note="")
        )
        forget(ids)
        db.session.commit()
        result.referrals += len(ids)
    # Earlier purges left their emails behind; a redacted email may have been sent since.
    last = 0
    while ids := anonymised_with_emails(after_id=last, limit=batch):
        forget(ids)
        db.session.commit()
        last = ids[-1]
    return result


def parse_age(text_value: str) -> timedelta:
    """'24m' (months), '2y', '90d' or '12w' as a timedelta; a month is 365.25 / 12 days."""
    match = re.fullmatch(r"\s*(\d+)\s*([dwmy])\s*", text_value or "")
    if not match:
        raise ValueError(
            f"“{text_value}” is not an age: use a number and a unit, such as 24m, 2y, 90d or 12w"
        )
    amount, unit = int(match.group(1)), match.group(2)
    days = {"d": 1, "w": 7, "m": 365.25 / 12, "y": 365.25}[unit] * amount
    return timedelta(days=days)


# ---------------------------------------------------------------------------- notifications


ReferralListener = Callable[[Referral, ReferralEvent], None]
_listeners: list[ReferralListener] = []


def on_referral_event(listener: ReferralListener) -> ReferralListener:
    """Register a function called for every referral event (creation and each status change).

    For notifications (issue 4 item 4): the listener runs inside the same transaction as the
    change, before the commit, so an outbox row it adds commits or rolls back with it; send
    mail only after the commit. It must never put the person's contact details in a message
    (give a link behind sign-in). Usable as a decorator; registering twice is harmless."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def notify_referral_event(referral: Referral, event: ReferralEvent) -> None:
    """The notification hook, called by create_referral and change_status."""
    for listener in list(_listeners):
        listener(referral, event)
