"""Referral emails: new referral, each status change, and one overdue reminder.

Privacy rule (DOMAIN.md, issue 4): an email may say which activity, the client reference,
the status and where to look — never the person's contact details, the "what matters"
summary, preferred times or a free-text note. Everything else is behind sign-in, at the
link in the email.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import String, cast, delete, literal, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import ColumnElement, SQLCoreOperations

from .. import vocab
from ..accounts.models import User
from ..db_types import utcnow
from ..extensions import db
from ..referrals.models import Referral, ReferralEvent
from ..referrals.services import on_referral_event
from ..workdays import london
from .models import OutboxEmail
from .services import notify_users

# When BASE_URL is not set (the demo): where `spdirectory demo` serves.
DEFAULT_BASE_URL = "http://127.0.0.1:5000"

# Provider answers and later steps are told to the referrer; the referrer's own step
# (withdrawn) is told to the provider.
TO_REFERRER = frozenset(
    {"accepted", "waitlisted", "declined", "attended", "did_not_attend", "completed", "dropped_out"}
)
TO_PROVIDER = frozenset({"sent", "withdrawn"})


def base_url() -> str:
    """The public address of the site, for links in emails (never the request's Host header,
    which a client controls)."""
    configured = (current_app.config.get("BASE_URL") or "").strip()
    if configured:
        return configured.rstrip("/")
    server = current_app.config.get("SERVER_NAME")
    if server:
        return f"{current_app.config.get('PREFERRED_URL_SCHEME') or 'http'}://{server}"
    return DEFAULT_BASE_URL


def referral_url(referral: Referral) -> str:
    return f"{base_url()}/referrals/{referral.id}"


def provider_users(organisation_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.organisation_id == organisation_id,
                User.role == "provider",
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def _status(code: str) -> str:
    return vocab.label(vocab.REFERRAL_STATUS, code)


def _body(referral: Referral, opening: str, extra: Iterable[str] = ()) -> str:
    """The whole message: only the activity, client reference, status and the link."""
    lines = [
        opening,
        "",
        f"Activity: {referral.activity.title}",
        f"Client reference: {referral.client_reference or 'not recorded'}",
        f"Status: {_status(referral.status)}",
        *extra,
        "",
        "Sign in to see the referral:",
        referral_url(referral),
        "",
        "For privacy, this email does not include the person's details.",
        "",
        "— spdirectory (an automatic message; replies are not read)",
    ]
    return "\n".join(lines) + "\n"


def _day(moment: datetime) -> str:
    # Deadlines are London days; a UTC date can be the day before (BST, after midnight).
    local = london(moment)
    return f"{local.day} {local:%B %Y}"


def _ref(referral: Referral) -> str:
    return ref_of(referral.id)


def ref_of(referral_id: int) -> str:
    """The outbox `ref` of emails about a referral."""
    return f"referral:{referral_id}"


def ref_column(referral_id: SQLCoreOperations[int]) -> ColumnElement[str]:
    """SQL: the outbox `ref` for a referral id column (to join the outbox to referrals)."""
    return literal("referral:", String) + cast(referral_id, String)


def _others(users: Iterable[User | None], actor_id: int | None) -> list[User]:
    # Nobody is told about what they did themselves.
    return [u for u in users if u is not None and u.id != actor_id]


def on_event(referral: Referral, event: ReferralEvent) -> None:
    """Queue the emails for one referral event (inside the caller's transaction)."""
    to = event.to_status
    title = referral.activity.title
    if to == "sent" and event.from_status is None:
        notify_users(
            _others(provider_users(referral.organisation_id), event.actor_id),
            f"New referral: {title}",
            _body(
                referral,
                "Your organisation has a new referral.",
                [f"Please respond by: {_day(referral.respond_by)}"],
            ),
            kind="referral_new",
            ref=_ref(referral),
        )
    elif to in TO_REFERRER:
        extra = []
        if to == "declined" and referral.decline_reason:
            extra.append(f"Reason: {vocab.label(vocab.DECLINE_REASONS, referral.decline_reason)}")
        notify_users(
            _others([referral.referrer], event.actor_id),
            f"Referral {_status(to).lower()}: {title}",
            _body(referral, f"A referral you made is now {_status(to).lower()}.", extra),
            kind=f"referral_{to}",
            ref=_ref(referral),
        )
    elif to == "withdrawn":
        notify_users(
            _others(provider_users(referral.organisation_id), event.actor_id),
            f"Referral withdrawn: {title}",
            _body(referral, "The link worker has withdrawn a referral to your organisation."),
            kind="referral_withdrawn",
            ref=_ref(referral),
        )


def register() -> None:
    """Listen to referral events (idempotent; called from create_app)."""
    on_referral_event(on_event)


# ----------------------------------------------------------------------------- reminders


def overdue_ids(now: datetime, limit: int | None = None) -> list[int]:
    stmt = (
        select(Referral.id)
        .where(
            Referral.status == "sent",
            Referral.responded_at.is_(None),
            Referral.respond_by < now,
            Referral.overdue_notified_at.is_(None),
        )
        .order_by(Referral.respond_by, Referral.id)
    )
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def remind_overdue(now: datetime | None = None, batch: int = 500) -> int:
    """One reminder per overdue referral, to both sides. Returns how many were reminded.

    `overdue_notified_at` is set by a conditional UPDATE before the emails are queued, in
    the same transaction: a second run (or a second cron host at the same time) finds it
    set and sends nothing, and a rolled-back run leaves it unset for the next one."""
    now = now or utcnow()
    reminded = 0
    while True:
        ids = overdue_ids(now, batch)
        if not ids:
            return reminded
        # One read for the batch (activity, referrer) and one per organisation for its
        # providers, rather than lazy loads per referral.
        referrals = db.session.scalars(
            select(Referral)
            .where(Referral.id.in_(ids))
            .options(selectinload(Referral.activity), selectinload(Referral.referrer))
            .order_by(Referral.respond_by, Referral.id)
            .execution_options(populate_existing=True)
        ).all()
        providers: dict[int, list[User]] = {}
        # The queued emails are inserted together at the commit, not flushed one by one.
        with db.session.no_autoflush:
            for referral in referrals:
                if not _claim_reminder(referral.id, now):
                    continue
                org_id = referral.organisation_id
                if org_id not in providers:
                    providers[org_id] = provider_users(org_id)
                _queue_reminders(referral, providers[org_id])
                reminded += 1
        db.session.commit()
        if len(ids) < batch:
            return reminded


def _claim_reminder(referral_id: int, now: datetime) -> bool:
    """Mark the reminder as sent, only if nobody has (the row lock on PostgreSQL makes a
    concurrent run wait and then find it marked)."""
    claimed = db.session.execute(
        update(Referral)
        .where(
            Referral.id == referral_id,
            Referral.status == "sent",
            Referral.responded_at.is_(None),
            Referral.overdue_notified_at.is_(None),
        )
        # updated_at kept: a reminder is not a change the caseload should count as activity.
        .values(overdue_notified_at=now, updated_at=Referral.updated_at)
        .execution_options(synchronize_session=False)
    )
    return bool(claimed.rowcount)


def _queue_reminders(referral: Referral, providers: list[User]) -> None:
    due = f"Response was due by: {_day(referral.respond_by)}"
    title = referral.activity.title
    notify_users(
        providers,
        f"Referral overdue: {title}",
        _body(
            referral,
            "A referral to your organisation has not been answered in time. Please accept, "
            "waitlist or decline it.",
            [due],
        ),
        kind="referral_overdue",
        ref=_ref(referral),
    )
    notify_users(
        [referral.referrer],
        f"Referral not yet answered: {title}",
        _body(
            referral,
            "A referral you made has not been answered by the provider in time. The provider "
            "has been reminded.",
            [due],
        ),
        kind="referral_overdue",
        ref=_ref(referral),
    )


# ------------------------------------------------------------------------- data protection

# The only personal identifier an email carries (see the privacy rule above) is on this line.
_REFERENCE_LINE = re.compile(r"^Client reference: .*$", re.MULTILINE)
REDACTED_REFERENCE = "Client reference: removed (the referral has been anonymised)"
# Below SQLite's smallest bound-parameter limit.
_CHUNK = 500


@dataclass
class ForgottenEmails:
    deleted: int = 0
    redacted: int = 0

    def __iadd__(self, other: ForgottenEmails) -> ForgottenEmails:
        self.deleted += other.deleted
        self.redacted += other.redacted
        return self


def redact(body: str) -> str:
    """The body without the client reference."""
    return _REFERENCE_LINE.sub(REDACTED_REFERENCE, body)


def forget_referral_emails(referral_ids: Sequence[int]) -> ForgottenEmails:
    """Remove what the outbox keeps about anonymised referrals (inside the caller's
    transaction, so it commits or rolls back with the anonymisation).

    Sent and failed emails have done their job and are deleted. Queued ones are still owed
    to their recipient: the client reference is redacted and they stay queued; once sent,
    the next purge deletes them. A sender that had already claimed one may still send the
    version it read."""
    result = ForgottenEmails()
    refs = [ref_of(i) for i in referral_ids]
    for start in range(0, len(refs), _CHUNK):
        chunk = refs[start : start + _CHUNK]
        deleted = db.session.execute(
            delete(OutboxEmail)
            .where(OutboxEmail.ref.in_(chunk), OutboxEmail.status.in_(("sent", "failed")))
            .execution_options(synchronize_session=False)
        )
        result.deleted += deleted.rowcount or 0
        queued = db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.ref.in_(chunk), OutboxEmail.status == "queued")
        )
        for email in queued:
            body = redact(email.body)
            if body != email.body:
                email.body = body
                result.redacted += 1
    db.session.flush()
    return result


def anonymised_with_emails(after_id: int = 0, limit: int = 1000) -> list[int]:
    """Anonymised referrals (id > after_id, in order) that still have outbox emails: those
    purged before the outbox was cleaned, and redacted emails sent since."""
    return list(
        db.session.scalars(
            select(Referral.id)
            .join(OutboxEmail, OutboxEmail.ref == ref_column(Referral.id))
            .where(Referral.anonymised_at.is_not(None), Referral.id > after_id)
            .group_by(Referral.id)
            .order_by(Referral.id)
            .limit(limit)
        )
    )
