"""Kite-mark records for the demo data set (and for listings whose status was set directly).

The demo imports listings with kite-mark statuses, as an admin's CSV import may: the import
records them as awards (services.record_imported), and the demo loader then dates them.
This gives those records the demo's dates, gives every "pending" organisation a submitted
application with evidence (so the reviewer's queue has something to review), and records
listings whose status was set before imports went through the service (`kitemark adopt`).
"""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date

from sqlalchemy import select

from ..db_types import utcnow
from ..directory.models import Activity
from ..extensions import db
from . import evidence as evidence_files
from .models import KitemarkAnswer, KitemarkApplication, KitemarkAward, KitemarkEvent
from .models import KitemarkEvidence as Evidence
from .questionnaire import active_questions
from .services import sync_listings

_DEMO_PDF = b"%PDF-1.4\n% Demo evidence: not a real document.\ntrailer <<>>\n%%EOF\n"


def adopt_listing_statuses(label: str = "import") -> list[int]:
    """Create award records for organisations whose listings all carry one kite-mark status
    (other than none) and that have no record yet. Returns the organisations recorded."""
    statuses: dict[int, set[tuple[str, date | None]]] = defaultdict(set)
    for org_id, status, valid_until in db.session.execute(
        select(Activity.organisation_id, Activity.kite_mark, Activity.kite_mark_valid_until)
    ):
        statuses[org_id].add((status, valid_until))
    known = set(db.session.scalars(select(KitemarkAward.organisation_id)))
    adopted = []
    for org_id, values in sorted(statuses.items()):
        if org_id in known or len(values) != 1:
            continue
        status, valid_until = next(iter(values))
        if status == "none":
            continue
        db.session.add(
            KitemarkAward(
                organisation_id=org_id,
                status=status,
                valid_until=valid_until,
                awarded_at=utcnow() if status in ("awarded", "suspended") else None,
                status_before_pending="none" if status == "pending" else None,
                suspended_reason="Demo: a concern is being looked at."
                if status == "suspended"
                else "",
            )
        )
        db.session.add(
            KitemarkEvent(
                organisation_id=org_id,
                at=utcnow(),
                actor=label,
                action="imported",
                to_status=status,
                valid_until=valid_until,
                note="Status taken from the imported listings",
            )
        )
        adopted.append(org_id)
    db.session.flush()
    return adopted


def submitted_demo_applications() -> int:
    """A submitted application, with answers and evidence, for each pending organisation
    that has none open. Returns how many were created."""
    created = 0
    questions = active_questions()
    pending = db.session.scalars(
        select(KitemarkAward.organisation_id).where(KitemarkAward.status == "pending")
    ).all()
    for org_id in pending:
        exists = db.session.scalars(
            select(KitemarkApplication.id).where(
                KitemarkApplication.organisation_id == org_id,
                KitemarkApplication.open_marker == 1,
            )
        ).first()
        if exists is not None:
            continue
        now = utcnow()
        application = KitemarkApplication(
            organisation_id=org_id,
            status="submitted",
            open_marker=1,
            rounds=1,
            submitted_at=now,
        )
        db.session.add(application)
        for question in questions:
            if question.kind == "date":
                answer = KitemarkAnswer(
                    application=application,
                    question_id=question.id,
                    text=date(now.year + 1, 3, 31).isoformat(),
                    date_value=date(now.year + 1, 3, 31),
                )
            else:
                answer = KitemarkAnswer(
                    application=application,
                    question_id=question.id,
                    text="Demo answer: we have this in place and review it every year.",
                )
            db.session.add(answer)
            if question.evidence == "required":
                stored = evidence_files.store(io.BytesIO(_DEMO_PDF), f"{question.code}.pdf", org_id)
                db.session.add(
                    Evidence(
                        application=application,
                        question_id=question.id,
                        filename=stored.filename,
                        stored_name=stored.stored_name,
                        content_type=stored.content_type,
                        size=stored.size,
                        sha256=stored.sha256,
                    )
                )
        db.session.flush()
        db.session.add(
            KitemarkEvent(
                organisation_id=org_id,
                application_id=application.id,
                at=now,
                actor="demo loader",
                action="submitted",
                from_status="pending",
                to_status="pending",
                note="Round 1",
            )
        )
        created += 1
    db.session.flush()
    return created


def awards_take_demo_dates(source: str = "demo") -> int:
    """The demo loader dates its listings' kite marks after the import recorded them
    (awarded ones run for up to two years, expired ones ran out a while ago): records that
    only the import has touched take those dates; every demo organisation's listings then
    show its record. Returns how many records were re-dated."""
    dates: dict[int, set[date | None]] = defaultdict(set)
    for org_id, valid_until in db.session.execute(
        select(Activity.organisation_id, Activity.kite_mark_valid_until).where(
            Activity.source == source
        )
    ):
        dates[org_id].add(valid_until)
    if not dates:
        return 0
    worked_on = set(
        db.session.scalars(
            select(KitemarkEvent.organisation_id).where(
                KitemarkEvent.organisation_id.in_(list(dates)),
                KitemarkEvent.action != "imported",
            )
        )
    )
    redated = 0
    for award in db.session.scalars(
        select(KitemarkAward).where(KitemarkAward.organisation_id.in_(list(dates)))
    ):
        values = dates[award.organisation_id]
        demo_date = next(iter(values)) if len(values) == 1 else None
        if (
            award.organisation_id not in worked_on
            and award.status in ("awarded", "suspended", "expired")
            and demo_date is not None
            and demo_date != award.valid_until
        ):
            _redate(award, demo_date)
            redated += 1
        # A record the workflow has changed since keeps its own dates; listings follow it.
        sync_listings(award.organisation_id, award.status, award.valid_until)
    db.session.flush()
    return redated


def _redate(award: KitemarkAward, valid_until: date) -> None:
    award.valid_until = valid_until
    for event in db.session.scalars(
        select(KitemarkEvent).where(
            KitemarkEvent.organisation_id == award.organisation_id,
            KitemarkEvent.action == "imported",
        )
    ):
        event.valid_until = valid_until
        event.note = "Demo data: imported with the demo listings"


def load_demo_kitemarks() -> None:
    awards_take_demo_dates()
    adopt_listing_statuses(label="demo loader")
    submitted_demo_applications()
