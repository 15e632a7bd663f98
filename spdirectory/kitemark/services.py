"""The kite-mark workflow: apply, review, award, suspend, expire, remind.

Services change the session and leave the commit to the caller (one commit per request or
command). Every state change locks the rows it depends on (`with_for_update`, a no-op on
SQLite, whose writers are serialised anyway), so two reviewers deciding the same application,
or the expiry job racing a decision, cannot both win.

The award belongs to the organisation; `sync_listings` copies its status and valid-until
onto every listing in the same transaction, and the search index follows those listings
(spdirectory/search/sync.py rewrites their index rows on flush).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import IO, Any

from flask import current_app
from sqlalchemy import event, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..db_types import utcnow
from ..directory.models import Activity, Organisation
from ..extensions import db
from . import evidence as evidence_files
from .models import (
    OPEN_APPLICATION_STATUSES,
    KitemarkAnswer,
    KitemarkApplication,
    KitemarkAward,
    KitemarkComment,
    KitemarkEvent,
    KitemarkEvidence,
    KitemarkQuestion,
)
from .questionnaire import active_questions

ANSWER_MAX = 5000
REVIEWER_ROLES = ("reviewer", "admin")


class KitemarkError(Exception):
    """A refused action; `fields` maps form fields to messages where one field is at fault."""

    status = 409

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotAllowed(KitemarkError):
    status = 403


class Invalid(KitemarkError):
    status = 422


# ------------------------------------------------------------------------------ the clock


def today() -> date:
    """Today's date (UTC). Commands take --today instead, so that they can be tested."""
    return utcnow().date()


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


# ---------------------------------------------------------------------------- permissions


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_member(user: Any, organisation_id: int) -> bool:
    return _signed_in(user) and user.organisation_id == organisation_id


def can_apply(user: Any, organisation_id: int | None = None) -> bool:
    """Providers apply for their own organisation."""
    if not _signed_in(user) or user.role != "provider" or user.organisation_id is None:
        return False
    return organisation_id is None or user.organisation_id == organisation_id


def is_reviewer(user: Any) -> bool:
    return _signed_in(user) and user.role in REVIEWER_ROLES


def can_review(user: Any, organisation_id: int) -> bool:
    """Reviewers and admins, never for an organisation they belong to."""
    return is_reviewer(user) and user.organisation_id != organisation_id


def can_view(user: Any, application: KitemarkApplication) -> bool:
    """The organisation's own users, and reviewers/admins."""
    return is_member(user, application.organisation_id) or is_reviewer(user)


def _require_review(user: Any, organisation_id: int) -> None:
    if not is_reviewer(user):
        raise NotAllowed("Only kite-mark reviewers and admins can do this.")
    if not can_review(user, organisation_id):
        raise NotAllowed("You belong to this organisation, so you cannot review its kite mark.")


# -------------------------------------------------------------------------------- helpers


def _actor(user: Any) -> tuple[int | None, str]:
    if _signed_in(user):
        return user.id, user.email
    return None, str(user or "system")


def _event(
    organisation_id: int,
    action: str,
    user: Any,
    *,
    application: KitemarkApplication | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    valid_until: date | None = None,
    note: str = "",
) -> KitemarkEvent:
    actor_id, actor = _actor(user)
    row = KitemarkEvent(
        organisation_id=organisation_id,
        application_id=application.id if application is not None else None,
        at=utcnow(),
        actor_id=actor_id,
        actor=actor[:200],
        action=action,
        from_status=from_status,
        to_status=to_status,
        valid_until=valid_until,
        note=note,
    )
    db.session.add(row)
    return row


def _sqlite_write_lock(statement: str, **params: Any) -> None:
    """SQLite has no row locks, and its driver starts a transaction only at the first write:
    a no-op write first takes the database write lock (waiting out other writers through
    busy_timeout), so the read that follows cannot be overtaken. PostgreSQL uses FOR UPDATE."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text(statement), params)


def _locked_application(application_id: int) -> KitemarkApplication:
    _sqlite_write_lock(
        "UPDATE kitemark_application SET status = status WHERE id = :id", id=application_id
    )
    found = db.session.scalars(
        select(KitemarkApplication)
        .where(KitemarkApplication.id == application_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if found is None:
        raise KitemarkError("That application no longer exists.")
    return found


def award_of(organisation_id: int) -> KitemarkAward | None:
    return db.session.get(KitemarkAward, organisation_id)


def _locked_award(organisation_id: int) -> KitemarkAward:
    """The organisation's award row, locked; created (status none) the first time."""
    _sqlite_write_lock(
        "UPDATE kitemark_award SET status = status WHERE organisation_id = :id",
        id=organisation_id,
    )
    stmt = (
        select(KitemarkAward)
        .where(KitemarkAward.organisation_id == organisation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    award = db.session.scalars(stmt).first()
    if award is not None:
        return award
    try:
        with db.session.begin_nested():
            db.session.add(KitemarkAward(organisation_id=organisation_id, status="none"))
    except IntegrityError:
        pass  # another transaction created it first: lock theirs
    return db.session.scalars(stmt).one()


def sync_listings(organisation_id: int, status: str, valid_until: date | None) -> int:
    """Copy the award onto every listing of the organisation (ORM updates, so the search
    index rows are rewritten in the same transaction). Returns how many changed."""
    changed = 0
    for activity in db.session.scalars(
        select(Activity).where(Activity.organisation_id == organisation_id)
    ):
        if activity.kite_mark != status or activity.kite_mark_valid_until != valid_until:
            activity.kite_mark = status
            activity.kite_mark_valid_until = valid_until
            changed += 1
    return changed


def _set_award(
    award: KitemarkAward, status: str, valid_until: date | None, *, flush: bool = True
) -> None:
    award.status = status
    award.valid_until = valid_until
    sync_listings(award.organisation_id, status, valid_until)
    if flush:
        db.session.flush()


@event.listens_for(Session, "before_flush")
def _new_listings_follow_the_award(session: Session, flush_context: Any, instances: Any) -> None:
    """A listing added to an organisation with a kite-mark record shows that record at once."""
    new = [obj for obj in session.new if isinstance(obj, Activity)]
    if not new:
        return
    by_org: dict[int, list[Activity]] = {}
    for activity in new:
        org_id = activity.organisation_id or (
            activity.organisation.id if activity.organisation is not None else None
        )
        if org_id:
            by_org.setdefault(org_id, []).append(activity)
    if not by_org:
        return
    # One query per flush, however many listings an import adds.
    with session.no_autoflush:
        rows = session.execute(
            select(
                KitemarkAward.organisation_id, KitemarkAward.status, KitemarkAward.valid_until
            ).where(
                KitemarkAward.organisation_id.in_(list(by_org)),
                KitemarkAward.status != "none",
            )
        ).all()
    for org_id, status, valid_until in rows:
        for activity in by_org[org_id]:
            activity.kite_mark = status
            activity.kite_mark_valid_until = valid_until


# --------------------------------------------------------------------------- applications


def open_application(organisation_id: int) -> KitemarkApplication | None:
    return db.session.scalars(
        select(KitemarkApplication).where(
            KitemarkApplication.organisation_id == organisation_id,
            KitemarkApplication.status.in_(OPEN_APPLICATION_STATUSES),
        )
    ).first()


def applications_of(organisation_id: int) -> list[KitemarkApplication]:
    return list(
        db.session.scalars(
            select(KitemarkApplication)
            .where(KitemarkApplication.organisation_id == organisation_id)
            .order_by(KitemarkApplication.id.desc())
        )
    )


def history(organisation_id: int) -> list[KitemarkEvent]:
    return list(
        db.session.scalars(
            select(KitemarkEvent)
            .where(KitemarkEvent.organisation_id == organisation_id)
            .order_by(KitemarkEvent.at.desc(), KitemarkEvent.id.desc())
        )
    )


def start_application(user: Any) -> KitemarkApplication:
    """The provider's organisation's open application, started now if there is none."""
    if not can_apply(user):
        raise NotAllowed("Only a provider can apply, for its own organisation.")
    org_id = user.organisation_id
    existing = open_application(org_id)
    if existing is not None:
        return existing
    application = KitemarkApplication(
        organisation_id=org_id, status="draft", open_marker=1, created_by_id=user.id
    )
    try:
        with db.session.begin_nested():
            db.session.add(application)
    except IntegrityError:
        # Started at the same moment in another tab: use that one (the unique open marker).
        found = open_application(org_id)
        if found is None:
            raise
        return found
    _event(org_id, "started", user, application=application)
    # Previous answers carry over, so a renewal only needs what has changed.
    previous = db.session.scalars(
        select(KitemarkApplication)
        .where(
            KitemarkApplication.organisation_id == org_id,
            KitemarkApplication.id != application.id,
        )
        .order_by(KitemarkApplication.id.desc())
    ).first()
    if previous is not None:
        for answer in previous.answers:
            if answer.question.active:
                db.session.add(
                    KitemarkAnswer(
                        application=application,
                        question_id=answer.question_id,
                        text=answer.text,
                        date_value=answer.date_value,
                    )
                )
    db.session.flush()
    return application


def answers_by_question(application: KitemarkApplication) -> dict[int, KitemarkAnswer]:
    return {a.question_id: a for a in application.answers}


def evidence_by_question(application: KitemarkApplication) -> dict[int, list[KitemarkEvidence]]:
    found: dict[int, list[KitemarkEvidence]] = {}
    for item in application.evidence:
        found.setdefault(item.question_id, []).append(item)
    return found


def parse_date(text_value: str) -> date:
    text_value = text_value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text_value, fmt).date()
        except ValueError:
            continue
    raise ValueError("Enter a real date, for example 31/03/2027")


@dataclass
class Upload:
    question_code: str
    stream: IO[bytes]
    filename: str


@dataclass
class SaveResult:
    errors: dict[str, str] = field(default_factory=dict)
    stored: list[str] = field(default_factory=list)  # stored names, to discard on rollback


def _require_editor(user: Any, application: KitemarkApplication) -> None:
    if not can_apply(user, application.organisation_id):
        raise NotAllowed("Only the organisation's providers can change its application.")
    if not application.is_editable:
        raise KitemarkError(
            "This application is with a reviewer or decided, so it cannot be changed now."
        )


def save_answers(
    user: Any,
    application_id: int,
    answers: Mapping[str, str],
    uploads: Iterable[Upload] = (),
) -> SaveResult:
    """Save the answers given (by question code) and store valid uploads. Errors are
    returned per field (`answer-<code>` / `evidence-<code>`); what is valid is kept."""
    application = _locked_application(application_id)
    _require_editor(user, application)
    result = SaveResult()
    questions = {q.code: q for q in active_questions()}
    current = answers_by_question(application)
    for code, raw in answers.items():
        question = questions.get(code)
        if question is None:
            continue
        raw = (raw or "").strip()
        if len(raw) > ANSWER_MAX:
            result.errors[f"answer-{code}"] = f"Answer in {ANSWER_MAX} characters or fewer"
            continue
        date_value = None
        if question.kind == "date" and raw:
            try:
                date_value = parse_date(raw)
            except ValueError as exc:
                result.errors[f"answer-{code}"] = str(exc)
                continue
        answer = current.get(question.id)
        if answer is None:
            answer = KitemarkAnswer(application=application, question_id=question.id)
            db.session.add(answer)
        if answer.text != raw or answer.date_value != date_value:
            answer.text = raw
            answer.date_value = date_value
    for upload in uploads:
        question = questions.get(upload.question_code)
        key = f"evidence-{upload.question_code}"
        if question is None or question.evidence == "none":
            result.errors[key] = "This question does not take evidence"
            continue
        try:
            stored = evidence_files.store(
                upload.stream, upload.filename, application.organisation_id
            )
        except evidence_files.EvidenceError as exc:
            result.errors[key] = str(exc)
            continue
        result.stored.append(stored.stored_name)
        db.session.add(
            KitemarkEvidence(
                application=application,
                question_id=question.id,
                filename=stored.filename,
                stored_name=stored.stored_name,
                content_type=stored.content_type,
                size=stored.size,
                sha256=stored.sha256,
                uploaded_by_id=getattr(user, "id", None),
            )
        )
    db.session.flush()
    return result


def delete_evidence(user: Any, evidence_id: int) -> str:
    """Remove one evidence file from an editable application; returns its stored name (the
    caller deletes the file once the commit has succeeded)."""
    item = db.session.get(KitemarkEvidence, evidence_id)
    if item is None:
        raise KitemarkError("That file has already been removed.")
    application = _locked_application(item.application_id)
    _require_editor(user, application)
    stored = item.stored_name
    db.session.delete(item)
    db.session.flush()
    return stored


def missing_for_submission(application: KitemarkApplication) -> dict[str, str]:
    """What stops this application from being submitted, by field."""
    errors: dict[str, str] = {}
    answers = answers_by_question(application)
    files = evidence_by_question(application)
    for question in active_questions():
        answer = answers.get(question.id)
        if answer is None or not answer.text.strip():
            errors[f"answer-{question.code}"] = f"Answer “{question.text}”"
        if question.evidence == "required" and not files.get(question.id):
            errors[f"evidence-{question.code}"] = f"Upload evidence for “{question.text}”"
    return errors


def submit(user: Any, application_id: int) -> KitemarkApplication:
    application = _locked_application(application_id)
    _require_editor(user, application)
    errors = missing_for_submission(application)
    if errors:
        raise Invalid("Complete every question before submitting.", errors)
    award = _locked_award(application.organisation_id)
    application.status = "submitted"
    application.rounds += 1
    application.submitted_at = utcnow()
    before = award.status
    # A renewal keeps its current status while reviewed; anything else shows as pending.
    if award.status not in ("awarded", "suspended", "pending"):
        award.status_before_pending = award.status
        _set_award(award, "pending", award.valid_until)
    _event(
        application.organisation_id,
        "submitted",
        user,
        application=application,
        from_status=before,
        to_status=award.status,
        note=f"Round {application.rounds}",
    )
    db.session.flush()
    return application


# -------------------------------------------------------------------------------- reviews


def review_queue() -> list[KitemarkApplication]:
    """Submitted applications, the longest waiting first."""
    return list(
        db.session.scalars(
            select(KitemarkApplication)
            .where(KitemarkApplication.status == "submitted")
            .order_by(KitemarkApplication.submitted_at, KitemarkApplication.id)
        )
    )


def valid_until_for(application: KitemarkApplication, on: date) -> date:
    """12 months (KITEMARK_VALID_MONTHS) from the award, or sooner when a date answer that
    caps validity (the insurance expiry) comes first."""
    until = add_months(on, int(current_app.config.get("KITEMARK_VALID_MONTHS", 12)))
    for answer in application.answers:
        if answer.question.caps_validity and answer.date_value is not None:
            until = min(until, answer.date_value)
    return until


DECISIONS = ("approve", "changes", "reject")


def decide(
    user: Any,
    application_id: int,
    decision: str,
    *,
    comments: Mapping[str, str] | None = None,
    note: str = "",
    on: date | None = None,
) -> KitemarkApplication:
    """Approve (award), ask for changes (with comments per question) or reject."""
    if decision not in DECISIONS:
        raise Invalid("Choose a decision.", {"decision": "Choose a decision"})
    application = _locked_application(application_id)
    _require_review(user, application.organisation_id)
    if application.status != "submitted":
        raise KitemarkError(
            "This application is not waiting for review (someone may have decided it already)."
        )
    on = on or today()
    note = (note or "").strip()
    questions = {q.code: q for q in active_questions()}
    per_question = {
        code: text.strip()
        for code, text in (comments or {}).items()
        if code in questions and text and text.strip()
    }
    if decision == "changes" and not per_question and not note:
        raise Invalid(
            "Say what needs to change: comment on at least one question.",
            {"note": "Comment on at least one question, or say what needs to change"},
        )
    if decision == "reject" and not note:
        raise Invalid("Give the reason for rejecting.", {"note": "Give the reason for rejecting"})
    valid_until = None
    if decision == "approve":
        valid_until = valid_until_for(application, on)
        if valid_until <= on:
            raise Invalid(
                "The insurance expiry date has passed: ask the organisation for its renewed "
                "insurance instead of awarding.",
                {"decision": "The insurance has expired: request changes instead"},
            )
    author_id = getattr(user, "id", None)
    for code, body in per_question.items():
        db.session.add(
            KitemarkComment(
                application=application,
                question_id=questions[code].id,
                round=application.rounds,
                author_id=author_id,
                body=body,
            )
        )
    if note:
        db.session.add(
            KitemarkComment(
                application=application, round=application.rounds, author_id=author_id, body=note
            )
        )
    award = _locked_award(application.organisation_id)
    before = award.status
    application.decided_at = utcnow()
    application.decided_by_id = author_id
    if decision == "approve":
        application.status = "approved"
        application.open_marker = None
        application.valid_until = valid_until
        award.awarded_at = utcnow()
        award.application_id = application.id
        award.suspended_reason = ""
        award.status_before_pending = None
        award.reminded_for = None
        _set_award(award, "awarded", valid_until)
        action = "approved"
    elif decision == "changes":
        application.status = "changes_requested"
        action = "changes_requested"
    else:
        application.status = "rejected"
        application.open_marker = None
        if award.status == "pending":
            back = award.status_before_pending or "none"
            award.status_before_pending = None
            _set_award(award, back, award.valid_until)
        action = "rejected"
    summary = note or "; ".join(f"{questions[c].text} — {t}" for c, t in per_question.items())
    _event(
        application.organisation_id,
        action,
        user,
        application=application,
        from_status=before,
        to_status=award.status,
        valid_until=valid_until,
        note=summary[:2000],
    )
    _email_organisation(
        application.organisation,
        f"Kite mark: {_DECISION_SUBJECT[action]}",
        _decision_body(application, action, valid_until, summary),
        kind=f"kitemark_{action}",
    )
    db.session.flush()
    return application


_DECISION_SUBJECT = {
    "approved": "awarded",
    "changes_requested": "changes requested",
    "rejected": "application not approved",
}


def _decision_body(
    application: KitemarkApplication, action: str, valid_until: date | None, summary: str
) -> str:
    name = application.organisation.name
    if action == "approved":
        return f"{name} has been awarded the kite mark, valid until {valid_until:%-d %B %Y}."
    if action == "changes_requested":
        return (
            f"A reviewer has asked {name} for changes to its kite-mark application before it "
            f"can be awarded:\n\n{summary}\n\nSign in, update the answers and submit again."
        )
    return f"{name}'s kite-mark application was not approved.\n\nReason: {summary}"


def suspend(user: Any, organisation_id: int, reason: str) -> KitemarkAward:
    _require_review(user, organisation_id)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Give the reason for suspending.", {"reason": "Give the reason"})
    award = _locked_award(organisation_id)
    if award.status != "awarded":
        raise KitemarkError("Only an awarded kite mark can be suspended.")
    award.suspended_reason = reason
    _set_award(award, "suspended", award.valid_until)
    _event(
        organisation_id,
        "suspended",
        user,
        application=None,
        from_status="awarded",
        to_status="suspended",
        valid_until=award.valid_until,
        note=reason,
    )
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is not None:
        _email_organisation(
            organisation,
            "Kite mark: suspended",
            f"A reviewer has suspended {organisation.name}'s kite mark.\n\nReason: {reason}",
            kind="kitemark_suspended",
        )
    return award


def reinstate(
    user: Any, organisation_id: int, reason: str, on: date | None = None
) -> KitemarkAward:
    _require_review(user, organisation_id)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Say why the suspension is lifted.", {"reason": "Give the reason"})
    award = _locked_award(organisation_id)
    if award.status != "suspended":
        raise KitemarkError("Only a suspended kite mark can be reinstated.")
    on = on or today()
    if award.valid_until is None or award.valid_until < on:
        raise KitemarkError("This kite mark's valid-until date has passed: it needs a new review.")
    award.suspended_reason = ""
    _set_award(award, "awarded", award.valid_until)
    _event(
        organisation_id,
        "reinstated",
        user,
        from_status="suspended",
        to_status="awarded",
        valid_until=award.valid_until,
        note=reason,
    )
    return award


# ------------------------------------------------------------- statuses recorded by import

# What record_imported reports for one organisation.
RECORDED, UNCHANGED, KEPT, REFUSED = "recorded", "unchanged", "kept", "refused"


def _valid_months() -> int:
    return int(current_app.config.get("KITEMARK_VALID_MONTHS", 12))


def imported_valid_until(reviewed_on: date | None, on: date) -> date:
    """KITEMARK_VALID_MONTHS (12) from the listings' last review when the file gives one,
    else from the import: never longer than that after anyone last checked."""
    start = min(reviewed_on, on) if reviewed_on else on
    return add_months(start, _valid_months())


def record_imported(
    organisation_id: int,
    status: str,
    *,
    source: str,
    reviewed_on: date | None = None,
    on: date | None = None,
) -> str:
    """Record a status an admin's import brings from outside the workflow (a directory that
    already assured the provider) as the workflow would: the award row with its valid-until
    date, the listings' copies and a history entry, so that it expires and is reminded like
    any award. The caller decides that the import is an admin's.

    Only an organisation with no kite-mark record (or status none) takes it: a record made
    by the workflow or an earlier import wins, so re-importing a file never renews or
    revives an award without review. Returns RECORDED, UNCHANGED (already that status),
    KEPT (another status is on record) or REFUSED (the importer belongs to the organisation).
    """
    from ..audit import current_actor
    from ..vocab import KITE_MARK

    if status not in KITE_MARK:
        raise Invalid(f"Unknown kite-mark status “{status}”.")
    on = on or today()
    actor_id, actor = current_actor()
    importing_user = db.session.get(User, actor_id) if actor_id else None
    if importing_user is not None and importing_user.organisation_id == organisation_id:
        return REFUSED  # nobody awards their own organisation, by import or otherwise
    current = award_of(organisation_id)
    if status == "none" and (current is None or current.status == "none"):
        return UNCHANGED  # nothing to record, so no empty award row either
    award = _locked_award(organisation_id)
    if award.status != "none":
        return UNCHANGED if award.status == status else KEPT
    valid_until = None
    note = f"Imported from “{source}”"
    final = status
    if status in ("awarded", "suspended"):
        valid_until = imported_valid_until(reviewed_on, on)
        basis = f"last reviewed {reviewed_on:%-d %B %Y}" if reviewed_on else "the import"
        note += f"; valid until {valid_until:%-d %B %Y} ({_valid_months()} months from {basis})"
        if valid_until < on:
            final = "expired"  # it ran out before it reached us
            note += ", so already expired"
    if final == "awarded":
        award.awarded_at = utcnow()
        award.reminded_for = None
    if final == "suspended":
        award.suspended_reason = f"Suspended when imported from “{source}”"
    award.status_before_pending = "none" if final == "pending" else None
    _set_award(award, final, valid_until)
    db.session.add(
        KitemarkEvent(
            organisation_id=organisation_id,
            at=utcnow(),
            actor_id=actor_id,
            actor=actor[:200],
            action="imported",
            from_status="none",
            to_status=final,
            valid_until=valid_until,
            note=note,
        )
    )
    return RECORDED


def listing_follows_award(activity: Activity) -> None:
    """A listing moved to another organisation shows that organisation's kite mark (or
    none): the status is the organisation's, never the listing's own."""
    award = award_of(activity.organisation_id) if activity.organisation_id else None
    status, valid_until = (award.status, award.valid_until) if award else ("none", None)
    if (activity.kite_mark, activity.kite_mark_valid_until) != (status, valid_until):
        activity.kite_mark, activity.kite_mark_valid_until = status, valid_until


# ------------------------------------------------------------------- expiry and reminders


def expire(on: date | None = None, actor: str = "kitemark expire") -> list[int]:
    """Awards (and suspended awards) whose valid-until date has passed become expired.
    Returns the organisations changed. Safe to run again, or beside a reviewer."""
    on = on or today()
    due = db.session.scalars(
        select(KitemarkAward.organisation_id).where(
            KitemarkAward.status.in_(("awarded", "suspended")),
            KitemarkAward.valid_until < on,
        )
    ).all()
    changed = []
    # One flush at the end, not one per organisation: the listings' search index rows are
    # then rewritten in one batch (each organisation's rows are its own, so nothing here
    # needs to see another's unflushed change).
    with db.session.no_autoflush:
        for organisation_id in due:
            if _expire_one(organisation_id, on, actor):
                changed.append(organisation_id)
    db.session.flush()
    return changed


def _expire_one(organisation_id: int, on: date, actor: str) -> bool:
    award = _locked_award(organisation_id)
    # Re-checked under the lock: a renewal may have been awarded meanwhile.
    if award.status not in ("awarded", "suspended") or not (
        award.valid_until and award.valid_until < on
    ):
        return False
    before = award.status
    _set_award(award, "expired", award.valid_until, flush=False)
    _event(
        organisation_id,
        "expired",
        actor,
        from_status=before,
        to_status="expired",
        valid_until=award.valid_until,
        note=f"Valid until {award.valid_until:%-d %B %Y}",
    )
    _email_organisation(
        award.organisation,
        "Kite mark: expired",
        f"{award.organisation.name}'s kite mark ran out on "
        f"{award.valid_until:%-d %B %Y}. Apply again to renew it.",
        kind="kitemark_expired",
    )
    return True


def remind(
    on: date | None = None, days: int | None = None, actor: str = "kitemark remind"
) -> list[int]:
    """Email each organisation whose award runs out within `days` (KITEMARK_REMIND_DAYS,
    30), once per award. Returns the organisations reminded."""
    on = on or today()
    if days is None:
        days = int(current_app.config.get("KITEMARK_REMIND_DAYS", 30))
    horizon = on + timedelta(days=days)
    due = db.session.scalars(
        select(KitemarkAward.organisation_id).where(
            KitemarkAward.status == "awarded",
            KitemarkAward.valid_until >= on,
            KitemarkAward.valid_until <= horizon,
            or_(
                KitemarkAward.reminded_for.is_(None),
                KitemarkAward.reminded_for != KitemarkAward.valid_until,
            ),
        )
    ).all()
    reminded = []
    # One flush at the end (see expire).
    with db.session.no_autoflush:
        for organisation_id in due:
            award = _locked_award(organisation_id)
            if award.status != "awarded" or award.valid_until is None:
                continue
            if award.reminded_for == award.valid_until or not on <= award.valid_until <= horizon:
                continue
            organisation = award.organisation
            left = (award.valid_until - on).days
            sent = _email_organisation(
                organisation,
                f"Kite mark: renew by {award.valid_until:%-d %B %Y}",
                f"{organisation.name}'s kite mark is valid until {award.valid_until:%-d %B %Y} "
                f"({left} day{'s' if left != 1 else ''} from now). Sign in and start a renewal "
                "so that your listings keep their kite mark.",
                kind="kitemark_reminder",
                ref=f"kitemark:{organisation_id}:{award.valid_until.isoformat()}",
            )
            award.reminded_for = award.valid_until
            _event(
                organisation_id,
                "reminded",
                actor,
                to_status=award.status,
                valid_until=award.valid_until,
                note=f"{sent} email(s) queued" if sent else "No email address to send to",
            )
            reminded.append(organisation_id)
    db.session.flush()
    return reminded


def recipients(organisation: Organisation) -> list[str]:
    """The organisation's active provider users, then its contact address; once each."""
    addresses = [
        u.email
        for u in db.session.scalars(
            select(User)
            .where(
                User.organisation_id == organisation.id,
                User.role == "provider",
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    ]
    if organisation.email:
        addresses.append(organisation.email)
    seen: set[str] = set()
    unique = []
    for address in addresses:
        key = address.strip().lower()
        if key and "@" in key and key not in seen:
            seen.add(key)
            unique.append(address.strip())
    return unique


def _email_organisation(
    organisation: Organisation, subject: str, body: str, *, kind: str, ref: str | None = None
) -> int:
    # Imported here: the notifications area is optional to this one and loads on demand.
    from ..notifications.services import queue_email

    ref = ref or f"kitemark:{organisation.id}"
    count = 0
    for address in recipients(organisation):
        queue_email(address, subject, body, kind=kind, ref=ref)
        count += 1
    return count


def questions_by_id() -> dict[int, KitemarkQuestion]:
    return {q.id: q for q in db.session.scalars(select(KitemarkQuestion))}


def update_question(question: KitemarkQuestion, values: Mapping[str, Any], *, is_new: bool) -> None:
    """An admin's change to one question. The kind of a question that has answers cannot
    change (the answers would no longer fit): retire it and add a new one instead."""
    from sqlalchemy import func

    if values["caps_validity"] and values["kind"] != "date":
        raise Invalid(
            "Only a date question can end the kite mark early.",
            {"caps_validity": "Only a date question can end the kite mark early"},
        )
    if values["kind"] == "date" and values["evidence"] != "none":
        raise Invalid(
            "A date question takes no evidence.",
            {"evidence": "Choose “No evidence” for a date question"},
        )
    if is_new:
        taken = db.session.scalar(
            select(func.count(KitemarkQuestion.id)).where(KitemarkQuestion.code == question.code)
        )
        if taken:
            raise Invalid("That code is taken.", {"code": "That code is already used"})
        db.session.add(question)
    elif values["kind"] != question.kind:
        answered = db.session.scalar(
            select(func.count(KitemarkAnswer.id)).where(KitemarkAnswer.question_id == question.id)
        )
        if answered:
            raise Invalid(
                "This question has answers, so its kind cannot change.",
                {"kind": "This question has answers: retire it and add a new question instead"},
            )
    for key, value in values.items():
        setattr(question, key, value)
    db.session.flush()
