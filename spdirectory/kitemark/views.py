"""Kite-mark pages: a provider's application, the reviewers' queue and decisions, evidence
downloads, suspension. The public explanation is /kite-mark (directory.about_kitemark)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from ..accounts.auth import roles_required
from ..directory.models import Organisation
from ..extensions import db
from . import evidence as evidence_files
from . import services
from .forms import CsrfForm, QuestionForm, ReasonForm
from .models import APPLICATION_STATUSES, EVENT_LABELS, KitemarkApplication, KitemarkEvidence
from .questionnaire import active_questions

bp = Blueprint("kitemark", __name__, url_prefix="/kite-mark")

REVIEWERS = ("reviewer", "admin")


@bp.after_request
def _private(response: Any) -> Any:
    # Applications and evidence are the organisation's business: keep them out of caches.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.record_once
def _labels(state: Any) -> None:
    # Globals (not a context processor): imported macros see globals only.
    state.app.jinja_env.globals.update(
        kitemark_application_statuses=APPLICATION_STATUSES,
        kitemark_event_labels=EVENT_LABELS,
    )


def _application_or_404(application_id: int) -> KitemarkApplication:
    application = db.session.get(KitemarkApplication, application_id)
    if application is None or not services.can_view(current_user, application):
        # Other organisations' applications are not even confirmed to exist.
        abort(404)
    return application


def _refused(exc: services.KitemarkError) -> Any:
    db.session.rollback()
    if isinstance(exc, services.NotAllowed):
        abort(403, exc.message)
    flash(exc.message, "error")
    return None


# ------------------------------------------------------------------------------ provider


@bp.route("/your-organisation")
@roles_required("provider")
def mine() -> Any:
    org_id = current_user.organisation_id
    if org_id is None:
        return render_template("manage/no_organisation.html"), 200
    organisation = db.session.get(Organisation, org_id)
    return render_template(
        "kitemark/mine.html",
        organisation=organisation,
        award=services.award_of(org_id),
        current=services.open_application(org_id),
        applications=services.applications_of(org_id),
        events=services.history(org_id),
        form=CsrfForm(),
    )


@bp.route("/applications", methods=["POST"])
@roles_required("provider")
def start() -> Any:
    form = CsrfForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        application = services.start_application(current_user)
    except services.KitemarkError as exc:
        _refused(exc)
        return redirect(url_for("kitemark.mine"))
    db.session.commit()
    return redirect(url_for("kitemark.edit", application_id=application.id))


def _edit_page(application: KitemarkApplication, errors: dict[str, str], status: int = 200) -> Any:
    return (
        render_template(
            "kitemark/edit.html",
            application=application,
            questions=active_questions(),
            answers=services.answers_by_question(application),
            files=services.evidence_by_question(application),
            comments=_comments_by_question(application),
            errors=errors,
            posted=request.form if request.method == "POST" else {},
            form=CsrfForm(),
            max_mb=evidence_files.max_bytes() / (1024 * 1024),
        ),
        status,
    )


def _comments_by_question(application: KitemarkApplication) -> dict[int | None, list[Any]]:
    found: dict[int | None, list[Any]] = {}
    for comment in application.comments:
        if comment.round == application.rounds:  # the latest review's comments
            found.setdefault(comment.question_id, []).append(comment)
    return found


@bp.route("/applications/<int:application_id>/edit", methods=["GET", "POST"])
@roles_required("provider")
def edit(application_id: int) -> Any:
    application = db.session.get(KitemarkApplication, application_id)
    if application is None or not services.is_member(current_user, application.organisation_id):
        abort(404)
    if not application.is_editable:
        flash("This application is with a reviewer or decided, so it cannot be changed.", "info")
        return redirect(url_for("kitemark.application", application_id=application.id))
    if request.method == "GET":
        return _edit_page(application, {})
    form = CsrfForm()
    if not form.validate_on_submit():
        abort(400)
    answers = {
        key[len("answer-") :]: value
        for key, value in request.form.items()
        if key.startswith("answer-")
    }
    uploads = [
        services.Upload(key[len("evidence-") :], storage.stream, storage.filename or "")
        for key, storage in request.files.items(multi=True)
        if key.startswith("evidence-") and storage and storage.filename
    ]
    result: services.SaveResult | None = None
    try:
        result = services.save_answers(current_user, application.id, answers, uploads)
        if request.form.get("action") == "submit" and not result.errors:
            services.submit(current_user, application.id)
            db.session.commit()
            flash("Application submitted. A reviewer will look at it soon.", "success")
            return redirect(url_for("kitemark.mine"))
    except services.Invalid as exc:
        # The answers and files are kept (saved); only the submission is refused.
        db.session.commit()
        return _edit_page(application, exc.fields, 422)
    except services.KitemarkError as exc:
        for name in result.stored if result is not None else []:
            evidence_files.discard(name)  # their rows are rolled back
        _refused(exc)
        return redirect(url_for("kitemark.mine"))
    db.session.commit()
    if result.errors:
        return _edit_page(application, result.errors, 422)
    flash("Your answers are saved.", "success")
    return redirect(url_for("kitemark.edit", application_id=application.id))


@bp.route("/applications/<int:application_id>/evidence/<int:evidence_id>/delete", methods=["POST"])
@roles_required("provider")
def delete_evidence(application_id: int, evidence_id: int) -> Any:
    form = CsrfForm()
    if not form.validate_on_submit():
        abort(400)
    item = db.session.get(KitemarkEvidence, evidence_id)
    if (
        item is None
        or item.application_id != application_id
        or not services.is_member(current_user, item.application.organisation_id)
    ):
        abort(404)
    try:
        stored = services.delete_evidence(current_user, evidence_id)
    except services.KitemarkError as exc:
        _refused(exc)
        return redirect(url_for("kitemark.application", application_id=application_id))
    name = item.filename
    db.session.commit()
    evidence_files.discard(stored)  # only once the row is gone for good
    flash(f"Removed {name}.", "success")
    return redirect(url_for("kitemark.edit", application_id=application_id))


# ---------------------------------------------------------------------- shared: the record


@bp.route("/applications/<int:application_id>")
@roles_required("provider", "reviewer", "admin")
def application(application_id: int) -> Any:
    item = _application_or_404(application_id)
    return render_template(
        "kitemark/application.html",
        application=item,
        questions=services.questions_by_id(),
        ordered=_questions_for(item),
        answers=services.answers_by_question(item),
        files=services.evidence_by_question(item),
        comments=item.comments,
        award=services.award_of(item.organisation_id),
        events=services.history(item.organisation_id),
        can_decide=item.status == "submitted"
        and services.can_review(current_user, item.organisation_id),
        is_member_reviewer=services.is_reviewer(current_user)
        and not services.can_review(current_user, item.organisation_id),
        can_edit=item.is_editable and services.can_apply(current_user, item.organisation_id),
        form=CsrfForm(),
        errors={},
    )


def _questions_for(application: KitemarkApplication) -> list[Any]:
    """Active questions, then any retired ones this application answered."""
    questions = active_questions()
    shown = {q.id for q in questions}
    by_id = services.questions_by_id()
    for answer in application.answers:
        if answer.question_id not in shown:
            questions.append(by_id[answer.question_id])
            shown.add(answer.question_id)
    return questions


@bp.route("/evidence/<int:evidence_id>")
@roles_required("provider", "reviewer", "admin")
def evidence(evidence_id: int) -> Any:
    item = db.session.get(KitemarkEvidence, evidence_id)
    if item is None or not services.can_view(current_user, item.application):
        abort(404)
    try:
        path = evidence_files.path_of(item.stored_name)
    except FileNotFoundError:
        abort(404)
    if not path.is_file():
        abort(404)
    return send_file(
        path,
        mimetype=item.content_type,
        as_attachment=True,
        download_name=item.filename,
        max_age=0,
    )


# ------------------------------------------------------------------------------ reviewers


@bp.route("/review")
@roles_required(*REVIEWERS)
def queue() -> Any:
    from sqlalchemy import select

    from .models import KitemarkAward

    awards = db.session.scalars(
        select(KitemarkAward)
        .where(KitemarkAward.status.in_(("awarded", "suspended", "expired")))
        .order_by(KitemarkAward.valid_until)
    ).all()
    return render_template(
        "kitemark/queue.html",
        applications=services.review_queue(),
        awards=awards,
        today=services.today(),
    )


@bp.route("/applications/<int:application_id>/decision", methods=["POST"])
@roles_required(*REVIEWERS)
def decision(application_id: int) -> Any:
    item = db.session.get(KitemarkApplication, application_id)
    if item is None:
        abort(404)
    if not services.can_review(current_user, item.organisation_id):
        abort(403)
    form = CsrfForm()
    if not form.validate_on_submit():
        abort(400)
    comments = {
        key[len("comment-") :]: value
        for key, value in request.form.items()
        if key.startswith("comment-")
    }
    choice = request.form.get("decision", "")
    try:
        services.decide(
            current_user,
            item.id,
            choice,
            comments=comments,
            note=request.form.get("note", ""),
        )
    except services.Invalid as exc:
        db.session.rollback()
        item = _application_or_404(application_id)
        return (
            render_template(
                "kitemark/application.html",
                application=item,
                questions=services.questions_by_id(),
                ordered=_questions_for(item),
                answers=services.answers_by_question(item),
                files=services.evidence_by_question(item),
                comments=item.comments,
                award=services.award_of(item.organisation_id),
                events=services.history(item.organisation_id),
                can_decide=True,
                is_member_reviewer=False,
                can_edit=False,
                form=CsrfForm(),
                errors=exc.fields or {"decision": exc.message},
                posted=request.form,
            ),
            422,
        )
    except services.KitemarkError as exc:
        _refused(exc)
        return redirect(url_for("kitemark.application", application_id=application_id))
    db.session.commit()
    messages = {
        "approve": "Kite mark awarded.",
        "changes": "Changes requested: the organisation has been told.",
        "reject": "Application rejected.",
    }
    flash(f"{item.organisation.name}: {messages[choice]}", "success")
    return redirect(url_for("kitemark.queue"))


def _organisation_or_404(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    return organisation


@bp.route("/organisations/<int:organisation_id>")
@roles_required(*REVIEWERS)
def organisation(organisation_id: int) -> Any:
    org = _organisation_or_404(organisation_id)
    return _organisation_page(org, ReasonForm())


def _organisation_page(org: Organisation, form: ReasonForm, status: int = 200) -> Any:
    return (
        render_template(
            "kitemark/organisation.html",
            organisation=org,
            award=services.award_of(org.id),
            applications=services.applications_of(org.id),
            events=services.history(org.id),
            can_act=services.can_review(current_user, org.id),
            form=form,
        ),
        status,
    )


def _reason_action(organisation_id: int, action: str) -> Any:
    org = _organisation_or_404(organisation_id)
    if not services.can_review(current_user, org.id):
        abort(403)
    form = ReasonForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _organisation_page(org, form, 422)
    try:
        if action == "suspend":
            services.suspend(current_user, org.id, form.reason.data or "")
        else:
            services.reinstate(current_user, org.id, form.reason.data or "")
    except services.KitemarkError as exc:
        _refused(exc)
        return redirect(url_for("kitemark.organisation", organisation_id=org.id))
    db.session.commit()
    done = "suspended" if action == "suspend" else "reinstated"
    flash(f"{org.name}: kite mark {done}.", "success")
    return redirect(url_for("kitemark.organisation", organisation_id=org.id))


@bp.route("/organisations/<int:organisation_id>/suspend", methods=["POST"])
@roles_required(*REVIEWERS)
def suspend(organisation_id: int) -> Any:
    return _reason_action(organisation_id, "suspend")


@bp.route("/organisations/<int:organisation_id>/reinstate", methods=["POST"])
@roles_required(*REVIEWERS)
def reinstate(organisation_id: int) -> Any:
    return _reason_action(organisation_id, "reinstate")


# ----------------------------------------------------------------- admins: the questionnaire


@bp.route("/questions")
@roles_required("admin")
def questions() -> Any:
    from sqlalchemy import select

    from .models import KitemarkQuestion

    active_questions()  # the default set on first use
    db.session.commit()
    rows = db.session.scalars(
        select(KitemarkQuestion).order_by(
            KitemarkQuestion.active.desc(), KitemarkQuestion.position, KitemarkQuestion.id
        )
    ).all()
    return render_template("kitemark/questions.html", questions=rows)


@bp.route("/questions/new", methods=["GET", "POST"])
@roles_required("admin")
def new_question() -> Any:
    from .models import KitemarkQuestion

    form = QuestionForm()
    if request.method == "GET":
        form.position.data = len(active_questions()) + 1
        form.active.data = True
    if form.validate_on_submit():
        question = KitemarkQuestion(code=form.code.data, evidence="optional", kind="text")
        if _save_question(form, question, is_new=True):
            return redirect(url_for("kitemark.questions"))
    return _question_page(form, None)


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit_question(question_id: int) -> Any:
    from .models import KitemarkQuestion

    question = db.session.get(KitemarkQuestion, question_id)
    if question is None:
        abort(404)
    form = QuestionForm(obj=question)
    form.code.data = question.code  # the code never changes
    if form.validate_on_submit() and _save_question(form, question, is_new=False):
        return redirect(url_for("kitemark.questions"))
    return _question_page(form, question)


def _save_question(form: QuestionForm, question: Any, *, is_new: bool) -> bool:
    """Apply the form to the question and commit; False (errors on the form) if refused."""
    try:
        services.update_question(question, _question_values(form), is_new=is_new)
    except services.Invalid as exc:
        db.session.rollback()
        _field_errors(form, exc)
        return False
    db.session.commit()
    flash(f"Question “{question.code}” {'added' if is_new else 'saved'}.", "success")
    return True


def _question_page(form: QuestionForm, question: Any) -> Any:
    status = 422 if form.errors else 200
    return render_template("kitemark/question_form.html", form=form, question=question), status


def _question_values(form: QuestionForm) -> dict[str, Any]:
    return {
        "text": (form.text.data or "").strip(),
        "hint": (form.hint.data or "").strip(),
        "kind": form.kind.data,
        "evidence": form.evidence.data,
        "caps_validity": bool(form.caps_validity.data),
        "position": form.position.data,
        "active": bool(form.active.data),
    }


def _field_errors(form: QuestionForm, exc: services.KitemarkError) -> None:
    for name, message in (exc.fields or {"text": exc.message}).items():
        field = getattr(form, name, form.text)
        field.errors = [*list(field.errors), message]
