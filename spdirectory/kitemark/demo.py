"""Kite-mark records for the demo data set (and for listings whose status was imported).

The demo imports listings with a kite-mark status already set (as an admin's CSV import
may); this gives each such organisation the matching award record and history, and gives
every "pending" organisation a submitted application with evidence, so that the reviewer's
queue has something to review.
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


def load_demo_kitemarks() -> None:
    adopt_listing_statuses(label="demo loader")
    submitted_demo_applications()
