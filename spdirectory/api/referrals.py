"""POST /referrals, GET /referrals/<id>, POST /referrals/<id>/status (docs/referrals.md)."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import jsonify
from flask_login import current_user

from ..errors import ApiError
from ..extensions import db
from ..referrals import services, states
from ..referrals.models import ONS4_FIELDS, Referral
from . import bp
from .helpers import json_body, require_user

CREATE_FIELDS = {
    "activity_id",
    "client_reference",
    "needs",
    "summary",
    "contact",
    "preferred_contact",
    "preferred_times",
    "person_postcode",
    "person_district",
    "baseline",
}
CONTACT_FIELDS = {"phone", "email", "consent"}
STATUS_FIELDS = {"status", "reason", "note"}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def referral_json(referral: Referral, contact: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": referral.id,
        "status": referral.status,
        "activity_id": referral.activity_id,
        "organisation_id": referral.organisation_id,
        "referrer_id": referral.referrer_id,
        "client_reference": referral.client_reference,
        "summary": referral.summary,
        "needs": referral.needs,
        "preferred_contact": referral.preferred_contact or None,
        "preferred_times": referral.preferred_times,
        "person_district": referral.person_district,
        "has_contact": referral.has_contact,
        "contact_consent": referral.contact_consent,
        # Only for those allowed to see it, and every time it is shown, audited.
        "contact": contact,
        "decline_reason": referral.decline_reason,
        "waitlist_position": services.waitlist_rank(referral),
        "created_at": _iso(referral.created_at),
        "updated_at": _iso(referral.updated_at),
        "respond_by": _iso(referral.respond_by),
        "responded_at": _iso(referral.responded_at),
        "overdue": referral.is_overdue(),
        "closed_at": _iso(referral.closed_at),
        "anonymised_at": _iso(referral.anonymised_at),
        "next_statuses": [
            s
            for s in states.next_statuses(referral.status)
            if services.can_make(current_user, referral, s)
        ],
        "events": [
            {
                "from_status": e.from_status,
                "to_status": e.to_status,
                "reason": e.reason,
                "note": e.note,
                "actor_id": e.actor_id,
                "at": _iso(e.at),
            }
            for e in referral.events
        ],
        "outcomes": {
            o.stage: {f: getattr(o, f) for f in ONS4_FIELDS} | {"recorded_at": _iso(o.recorded_at)}
            for o in referral.outcomes
        },
    }


def _raise(exc: services.ReferralError) -> NoReturn:
    db.session.rollback()
    if type(exc) is services.ReferralError:
        raise ApiError(404, exc.message) from None
    raise ApiError(exc.status, exc.message, exc.code, exc.fields or None) from None


@bp.post("/referrals")
def create_referral() -> Any:
    user = require_user("link_worker", "admin")
    body = json_body()
    unknown = set(body) - CREATE_FIELDS
    if unknown:
        raise ApiError(
            422, "Unknown fields", fields=dict.fromkeys(sorted(unknown), "not accepted here")
        )
    raw = {k: v for k, v in body.items() if k != "contact"}
    contact = body.get("contact")
    if contact is not None:
        if not isinstance(contact, dict):
            raise ApiError(422, "Invalid referral", fields={"contact": "must be an object"})
        extra = set(contact) - CONTACT_FIELDS
        if extra:
            raise ApiError(
                422,
                "Unknown fields",
                fields={f"contact.{k}": "not accepted here" for k in sorted(extra)},
            )
        consent = contact.get("consent", False)
        if not isinstance(consent, bool):
            raise ApiError(422, "Invalid referral", fields={"contact.consent": "true or false"})
        for name in ("phone", "email"):
            if contact.get(name) is not None and not isinstance(contact[name], str):
                raise ApiError(422, "Invalid referral", fields={f"contact.{name}": "a string"})
        raw.update(
            contact_phone=contact.get("phone"),
            contact_email=contact.get("email"),
            contact_consent=consent,
        )
    for name in ("client_reference", "summary", "preferred_contact", "preferred_times"):
        if raw.get(name) is not None and not isinstance(raw[name], str):
            raise ApiError(422, "Invalid referral", fields={name: "must be a string"})
    clean, errors = services.validate_new(raw)
    if clean is None:
        renamed = {
            {"contact_phone": "contact.phone", "contact_email": "contact.email",
             "contact_consent": "contact.consent"}.get(k, k): v
            for k, v in errors.items()
        }  # fmt: skip
        raise ApiError(422, "Invalid referral", fields=renamed)
    try:
        referral = services.create_referral(user, clean)
    except services.ReferralError as exc:
        _raise(exc)
    db.session.commit()
    return jsonify(referral_json(referral)), 201


def _visible(referral_id: int) -> Referral:
    user = require_user("link_worker", "provider", "admin")
    referral = db.session.get(Referral, referral_id)
    if referral is None or not services.can_view(user, referral):
        raise ApiError(404, f"No referral with id {referral_id}")
    return referral


@bp.get("/referrals/<int:referral_id>")
def get_referral(referral_id: int) -> Any:
    referral = _visible(referral_id)
    contact = None
    if services.can_see_contact(current_user, referral):
        contact = services.contact_details(referral, current_user)  # audited
        contact["consent_recorded_at"] = _iso(contact["consent_recorded_at"])
        db.session.commit()
    return jsonify(referral_json(referral, contact))


@bp.post("/referrals/<int:referral_id>/status")
def change_status(referral_id: int) -> Any:
    user = require_user("link_worker", "provider", "admin")
    body = json_body()
    referral = _visible(referral_id)
    unknown = set(body) - STATUS_FIELDS
    if unknown:
        raise ApiError(
            422, "Unknown fields", fields=dict.fromkeys(sorted(unknown), "not accepted here")
        )
    fields = {
        k: "must be a string"
        for k in STATUS_FIELDS
        if body.get(k) is not None and not isinstance(body[k], str)
    }
    if not body.get("status"):
        fields["status"] = "required: one of " + ", ".join(states.next_statuses(referral.status))
    if fields:
        raise ApiError(422, "Invalid status change", fields=fields)
    try:
        services.change_status(
            referral.id, body["status"], user, reason=body.get("reason"), note=body.get("note", "")
        )
    except services.ReferralError as exc:
        _raise(exc)
    db.session.commit()
    return jsonify(referral_json(db.session.get(Referral, referral_id)))
