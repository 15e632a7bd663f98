"""The questionnaire is data: a default set (below) loaded into `kitemark_question` the first
time it is needed, and replaced or extended by admins with `spdirectory kitemark questions
import FILE.json` (see docs/kitemark.md). Questions are never deleted, only retired, so an
old application still shows what was asked.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .models import EVIDENCE_RULES, QUESTION_KINDS, KitemarkQuestion


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    text: str
    hint: str = ""
    kind: str = "text"
    evidence: str = "optional"
    caps_validity: bool = False


DEFAULT_QUESTIONS: tuple[QuestionSpec, ...] = (
    QuestionSpec(
        "safeguarding",
        "Do you have a written safeguarding policy, and who is your named safeguarding lead?",
        "Give the lead's name or role, and when the policy was last reviewed. Upload the policy.",
        evidence="required",
    ),
    QuestionSpec(
        "dbs_checks",
        "Which roles need a DBS check, and how do you make sure those checks are done?",
        "If no role needs one (for example, nobody works alone with adults at risk), say why.",
    ),
    QuestionSpec(
        "public_liability",
        "Who provides your public liability insurance, and what is the cover?",
        "Upload the certificate of insurance.",
        evidence="required",
    ),
    QuestionSpec(
        "insurance_expiry",
        "When does your public liability insurance expire?",
        "The kite mark ends on this date if it comes before the usual 12 months.",
        kind="date",
        evidence="none",
        caps_validity=True,
    ),
    QuestionSpec(
        "data_protection",
        "Are you registered with the Information Commissioner's Office (ICO), or exempt?",
        "Give your ICO registration number, or say why you are exempt and how you keep "
        "people's details safe.",
        evidence="none",
    ),
    QuestionSpec(
        "risk_assessment",
        "How do you assess the risks of your activities?",
        "For example a written risk assessment for each venue or activity, and who reviews it.",
    ),
    QuestionSpec(
        "training",
        "What training do your volunteers and staff receive?",
        "For example induction, safeguarding awareness, first aid, mental health first aid.",
    ),
    QuestionSpec(
        "complaints",
        "How can people raise a concern or complaint, and how do you respond?",
        "Upload your complaints procedure if you have one written down.",
    ),
    QuestionSpec(
        "accessibility_equality",
        "How do you make your activities accessible and welcoming to everyone?",
        "For example step-free access, quiet spaces, interpreters, an equality policy.",
    ),
)


class QuestionFileError(ValueError):
    """A questionnaire file that cannot be used; the message says where and why."""


def ensure_questions() -> None:
    """Load the default set when the table is empty (a new installation)."""
    if db.session.scalar(select(func.count(KitemarkQuestion.id))):
        return
    try:
        # A savepoint: when two first requests race, the loser keeps the winner's set.
        with db.session.begin_nested():
            for position, spec in enumerate(DEFAULT_QUESTIONS, 1):
                db.session.add(KitemarkQuestion(position=position, active=True, **asdict(spec)))
    except IntegrityError:
        pass


def active_questions() -> list[KitemarkQuestion]:
    ensure_questions()
    return list(
        db.session.scalars(
            select(KitemarkQuestion)
            .where(KitemarkQuestion.active.is_(True))
            .order_by(KitemarkQuestion.position, KitemarkQuestion.id)
        )
    )


def export_questions() -> list[dict[str, Any]]:
    """The active questionnaire, in the format import_questions reads."""
    return [
        {
            "code": q.code,
            "text": q.text,
            "hint": q.hint,
            "kind": q.kind,
            "evidence": q.evidence,
            "caps_validity": q.caps_validity,
        }
        for q in active_questions()
    ]


def parse_questions(text: str) -> list[QuestionSpec]:
    """Validate a JSON questionnaire: a list of objects with code and text at least."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuestionFileError(f"not valid JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(data, list) or not data:
        raise QuestionFileError("expected a non-empty JSON list of questions")
    specs: list[QuestionSpec] = []
    seen: set[str] = set()
    allowed = {"code", "text", "hint", "kind", "evidence", "caps_validity"}
    for number, item in enumerate(data, 1):
        where = f"question {number}"
        if not isinstance(item, dict):
            raise QuestionFileError(f"{where}: expected an object")
        unknown = set(item) - allowed
        if unknown:
            raise QuestionFileError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        code = str(item.get("code", "")).strip()
        text_value = str(item.get("text", "")).strip()
        if not code or not code.replace("_", "").isalnum() or len(code) > 50:
            raise QuestionFileError(f"{where}: code must be 1-50 letters, digits or _")
        if code in seen:
            raise QuestionFileError(f"{where}: code “{code}” appears twice")
        seen.add(code)
        if not text_value:
            raise QuestionFileError(f"{where} ({code}): text is required")
        kind = item.get("kind", "text")
        if kind not in QUESTION_KINDS:
            raise QuestionFileError(f"{where} ({code}): kind must be one of text, date")
        evidence = item.get("evidence", "optional")
        if evidence not in EVIDENCE_RULES:
            raise QuestionFileError(
                f"{where} ({code}): evidence must be one of required, optional, none"
            )
        caps = item.get("caps_validity", False)
        if not isinstance(caps, bool):
            raise QuestionFileError(f"{where} ({code}): caps_validity must be true or false")
        if caps and kind != "date":
            raise QuestionFileError(f"{where} ({code}): only a date question can cap validity")
        specs.append(
            QuestionSpec(code, text_value, str(item.get("hint", "")), kind, evidence, caps)
        )
    return specs


def import_questions(specs: list[QuestionSpec]) -> tuple[int, int, int]:
    """Make the questionnaire exactly `specs`, in that order: update questions by code, add
    new ones, retire (never delete) the rest. Returns (added, updated, retired)."""
    existing = {q.code: q for q in db.session.scalars(select(KitemarkQuestion))}
    added = updated = retired = 0
    for position, spec in enumerate(specs, 1):
        question = existing.pop(spec.code, None)
        if question is None:
            db.session.add(KitemarkQuestion(position=position, active=True, **asdict(spec)))
            added += 1
            continue
        values = {**asdict(spec), "position": position, "active": True}
        if any(getattr(question, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(question, key, value)
            updated += 1
    for question in existing.values():
        if question.active:
            question.active = False
            retired += 1
    db.session.flush()
    return added, updated, retired
