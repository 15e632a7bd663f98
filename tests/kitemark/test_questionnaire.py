"""The questionnaire is data: a default set, exported and replaced by admins from JSON;
retired questions keep old answers."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from spdirectory.extensions import db
from spdirectory.kitemark import services
from spdirectory.kitemark.models import KitemarkQuestion
from spdirectory.kitemark.questionnaire import DEFAULT_QUESTIONS, active_questions

from .conftest import World, complete_answers


def test_default_set_covers_the_essentials(app: Flask) -> None:
    codes = [q.code for q in active_questions()]
    assert codes == [q.code for q in DEFAULT_QUESTIONS]
    for needed in (
        "safeguarding",
        "dbs_checks",
        "public_liability",
        "insurance_expiry",
        "data_protection",
        "risk_assessment",
        "training",
        "complaints",
        "accessibility_equality",
    ):
        assert needed in codes
    capping = [q.code for q in active_questions() if q.caps_validity]
    assert capping == ["insurance_expiry"]


def test_export_edit_import(app: Flask, world: World, tmp_path: Path) -> None:
    application = services.start_application(world.provider)
    services.save_answers(world.provider, application.id, complete_answers())
    db.session.commit()

    runner = app.test_cli_runner()
    exported = runner.invoke(args=["kitemark", "questions", "export"])
    assert exported.exit_code == 0, exported.output
    questions = json.loads(exported.output)
    questions = [q for q in questions if q["code"] != "training"]
    questions[0]["text"] = "Do you have a safeguarding policy?"
    questions.append({"code": "food_hygiene", "text": "If you serve food, how?"})
    path = tmp_path / "questions.json"
    path.write_text(json.dumps(questions))

    result = runner.invoke(args=["kitemark", "questions", "import", str(path)])
    assert result.exit_code == 0, result.output
    # Updated: the reworded question, and the two that moved up a place.
    assert "1 added, 3 updated, 1 retired" in result.output
    db.session.expire_all()
    codes = [q.code for q in active_questions()]
    assert "training" not in codes and codes[-1] == "food_hygiene"
    retired = db.session.scalars(
        select(KitemarkQuestion).where(KitemarkQuestion.code == "training")
    ).one()
    assert retired.active is False
    # The old answer to the retired question is still there.
    assert any(a.question_id == retired.id for a in application.answers)
    # New question must be answered before submitting.
    assert "answer-food_hygiene" in services.missing_for_submission(application)


def test_bad_questionnaire_files_are_refused_with_the_reason(app: Flask, tmp_path: Path) -> None:
    active_questions()
    db.session.commit()
    before = [q.code for q in active_questions()]
    cases = {
        "not json": "not valid JSON",
        "[]": "non-empty JSON list",
        '[{"code": "a"}]': "question 1 (a): text is required",
        '[{"code": "a", "text": "x"}, {"code": "a", "text": "y"}]': "appears twice",
        '[{"code": "a", "text": "x", "kind": "number"}]': "kind must be one of",
        '[{"code": "a", "text": "x", "caps_validity": true}]': "only a date question",
        '[{"code": "a b", "text": "x"}]': "code must be",
        '[{"code": "a", "text": "x", "colour": "red"}]': "unknown field(s) colour",
    }
    runner = app.test_cli_runner()
    for text, message in cases.items():
        path = tmp_path / "q.json"
        path.write_text(text)
        result = runner.invoke(args=["kitemark", "questions", "import", str(path)])
        assert result.exit_code != 0 and message in result.output, (text, result.output)
    db.session.expire_all()
    assert [q.code for q in active_questions()] == before


def test_adopt_imported_statuses(app: Flask, world: World, make: object) -> None:
    from datetime import date

    from spdirectory.kitemark.models import KitemarkAward

    for activity in world.listings:
        activity.kite_mark = "awarded"
        activity.kite_mark_valid_until = date(2027, 5, 1)
    mixed = make.organisation("Mixed")  # type: ignore[attr-defined]
    make.activity(mixed, kite_mark="awarded")  # type: ignore[attr-defined]
    make.activity(mixed, kite_mark="pending")  # type: ignore[attr-defined]
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["kitemark", "adopt"])
    assert result.exit_code == 0, result.output
    assert "1 organisation(s)" in result.output
    awards = db.session.scalars(select(KitemarkAward)).all()
    assert [(a.organisation_id, a.status, a.valid_until) for a in awards] == [
        (world.org.id, "awarded", date(2027, 5, 1))
    ]
    assert services.history(world.org.id)[0].action == "imported"
    # Running again changes nothing.
    again = app.test_cli_runner().invoke(args=["kitemark", "adopt"])
    assert "0 organisation(s)" in again.output


def test_admin_changes_the_questionnaire_on_the_web(app: Flask, world: World) -> None:
    from tests.accounts.helpers import signed_in

    client = app.test_client()
    token = signed_in(client, world.admin.email)
    page = client.get("/kite-mark/questions").get_data(as_text=True)
    assert "safeguarding" in page and "Add a question" in page

    base = {"csrf_token": token, "kind": "text", "evidence": "optional", "position": "20"}
    bad = client.post(
        "/kite-mark/questions/new",
        data={**base, "code": "Food Hygiene", "text": ""},
    )
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "Use lower-case letters" in body and "Enter the question" in body
    taken = client.post(
        "/kite-mark/questions/new", data={**base, "code": "training", "text": "Again?"}
    )
    assert taken.status_code == 422 and "already used" in taken.get_data(as_text=True)
    capped = client.post(
        "/kite-mark/questions/new",
        data={**base, "code": "dbs_date", "text": "When?", "caps_validity": "y"},
    )
    assert capped.status_code == 422 and "Only a date question" in capped.get_data(as_text=True)

    added = client.post(
        "/kite-mark/questions/new",
        data={**base, "code": "food_hygiene", "text": "If you serve food, how?", "active": "y"},
    )
    assert added.status_code == 302
    db.session.expire_all()
    assert [q.code for q in active_questions()][-1] == "food_hygiene"

    # An answered question cannot change kind; it can be retired.
    application = services.start_application(world.provider)
    services.save_answers(world.provider, application.id, {"training": "Induction."})
    db.session.commit()
    training = next(q for q in active_questions() if q.code == "training")
    url = f"/kite-mark/questions/{training.id}/edit"
    values = {
        "csrf_token": token,
        "text": training.text,
        "kind": "date",
        "evidence": "none",
        "position": str(training.position),
        "active": "y",
    }
    refused = client.post(url, data=values)
    assert refused.status_code == 422 and "has answers" in refused.get_data(as_text=True)
    retired = client.post(
        url, data={**values, "kind": "text", "evidence": "optional", "active": ""}
    )
    assert retired.status_code == 302
    db.session.expire_all()
    assert "training" not in [q.code for q in active_questions()]
