"""Fund panel pages: the capacity-gap report, drill-down, exports, decisions, the fund
calculator; and the admins' area import and CPI index."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import delete, select

from .. import vocab
from ..accounts.auth import roles_required
from ..directory.models import Activity, Organisation
from ..extensions import db
from . import fund as fundcalc
from .areas import AreaFileError, import_areas_csv, template_csv
from .export import to_csv, to_xlsx
from .models import (
    AREA_TYPES,
    DECISIONS,
    PLEDGE_SOURCES,
    Area,
    AreaDistrict,
    CpiIndex,
    FundAllocation,
    FundPledge,
    PanelDecision,
)
from .report import (
    ReportParamError,
    ReportParams,
    build_report,
    current_decisions,
    fund_year_params,
    min_count,
    parse_params,
    suppress,
)

bp = Blueprint("reports", __name__, url_prefix="/reports")
PANEL = ("panel", "admin")


class CsrfForm(FlaskForm):
    """Only the CSRF check; the fields are read and validated by the view."""


def _params_or_errors() -> tuple[ReportParams | None, dict[str, str]]:
    try:
        return parse_params(request.args), {}
    except ReportParamError as exc:
        return None, exc.fields


def _all_areas() -> list[Area]:
    return list(db.session.scalars(select(Area).order_by(Area.type, Area.name)))


@bp.route("/")
@roles_required(*PANEL)
def index() -> Any:
    params, errors = _params_or_errors()
    if params is None:
        params = parse_params({})
    report = build_report(params)
    decisions = current_decisions([a.id for a in report.areas])
    top = report.priorities[:10]
    chart = {
        "bars": {
            "labels": [f"{c.area_name} – {c.category_label}" for c in top],
            "scores": [c.score for c in top],
        },
        "trend": {
            "labels": report.months,
            "series": {
                name: [report.monthly.get(m, {}).get(name, 0) for m in report.months]
                for name in ("referrals", "unmet_needs", "waitlisted", "declined_full")
            },
        },
        # None for a month after the as-of moment: a gap in the line, not a fall to 0.
        "supply": {
            "labels": report.months,
            "series": {
                name: [report.supply_monthly.get(m, {}).get(name) for m in report.months]
                for name in ("places", "spare")
            },
        },
    }
    max_score = max((c.score for c in report.cells), default=0) or 1
    return render_template(
        "reports/index.html",
        report=report,
        params=params,
        errors=errors,
        decisions=decisions,
        chart_json=json.dumps(chart).replace("</", "<\\/"),
        max_score=max_score,
        areas=_all_areas(),
        area_types=AREA_TYPES,
        categories=vocab.CATEGORIES,
        decision_choices=DECISIONS,
        form=CsrfForm(),
    )


@bp.route("/cell")
@roles_required(*PANEL)
def cell() -> Any:
    """Drill-down: the listings and the anonymised demand behind one cell."""
    params, errors = _params_or_errors()
    if params is None:
        abort(400, "; ".join(f"{k}: {v}" for k, v in errors.items()))
    area = None
    if params.area_codes:
        area = db.session.scalar(select(Area).where(Area.code == params.area_codes[0]))
    if len(params.area_codes) > 1 or len(params.categories) > 1:
        abort(400, "A drill-down is for one area and one category")
    if not params.area_codes and not params.categories:
        abort(400, "Choose a cell: an area, a category or both")
    grouping = (
        "both"
        if params.area_codes and params.categories
        else ("area" if params.area_codes else "category")
    )
    report = build_report(
        ReportParams(
            params.start,
            params.end,
            grouping,
            params.area_type,
            params.area_codes,
            params.categories,
            params.as_of,
        )
    )
    the_cell = report.cells[0] if report.cells else None
    listings = _listings(area, params.categories[0] if params.categories else None)
    minimum = min_count()
    monthly = [
        (
            month,
            {
                name: suppress(report.monthly.get(month, {}).get(name, 0), minimum)
                for name in ("referrals", "declined_full", "waitlisted", "unmet_needs")
            },
        )
        for month in report.months
    ]
    reasons = (
        [
            (vocab.label(vocab.UNMET_NEED_REASONS, code), suppress(n, minimum))
            for code, n in the_cell.unmet_reasons.items()
        ]
        if the_cell
        else []
    )
    return render_template(
        "reports/cell.html",
        params=params,
        area=area,
        category=params.categories[0] if params.categories else None,
        cell=the_cell,
        listings=listings,
        monthly=monthly,
        reasons=reasons,
        minimum=minimum,
        suppress=suppress,
        back_args=params.query_args(area=[], category=[]),
    )


def _listings(area: Area | None, category: str | None) -> list[Any]:
    query = (
        select(Activity, Organisation.name)
        .join(Organisation, Organisation.id == Activity.organisation_id)
        .where(Activity.status == "published")
        .order_by(Activity.title)
        .limit(200)
    )
    if area is not None:
        districts = select(AreaDistrict.district).where(AreaDistrict.area_id == area.id)
        query = query.where(Activity.postcode_district.in_(districts))
    if category:
        query = query.where(Activity.categories.like(f"% {category} %"))
    return list(db.session.execute(query).all())


def _export_name(params: ReportParams, suffix: str) -> str:
    return f"capacity-gaps-{params.from_label}-to-{params.to_label}.{suffix}"


@bp.route("/export.csv")
@roles_required(*PANEL)
def export_csv() -> Any:
    params, errors = _params_or_errors()
    if params is None:
        abort(400, "; ".join(f"{k}: {v}" for k, v in errors.items()))
    body = to_csv(build_report(params, monthly=False))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{_export_name(params, "csv")}"'},
    )


@bp.route("/export.xlsx")
@roles_required(*PANEL)
def export_xlsx() -> Any:
    params, errors = _params_or_errors()
    if params is None:
        abort(400, "; ".join(f"{k}: {v}" for k, v in errors.items()))
    name = _export_name(params, "xlsx")
    return Response(
        to_xlsx(build_report(params, monthly=False)),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _back_to_report() -> Any:
    raw = request.form.get("return_to", "")
    # Only our own report page: never an open redirect.
    if raw.startswith("/reports/") and not raw.startswith("//"):
        return redirect(raw)
    return redirect(url_for("reports.index"))


@bp.route("/decisions", methods=["POST"])
@roles_required(*PANEL)
def record_decision() -> Any:
    form = CsrfForm()
    if not form.validate_on_submit():
        abort(400, "Your session expired; please try again")
    area = db.session.scalar(select(Area).where(Area.code == request.form.get("area", "")))
    category = request.form.get("category", "")
    decision = request.form.get("decision", "")
    note = request.form.get("note", "").strip()
    problems = []
    if area is None:
        problems.append("Choose an area")
    if category not in vocab.CATEGORIES:
        problems.append("Choose a category")
    if decision not in DECISIONS:
        problems.append("Choose a decision")
    if len(note) > 2000:
        problems.append("Keep the note to 2,000 characters")
    if problems:
        flash("The decision was not recorded: " + "; ".join(problems), "error")
        return _back_to_report()
    assert area is not None
    db.session.add(
        PanelDecision(
            area_id=area.id,
            category=category,
            decision=decision,
            note=note,
            period_from=request.form.get("from", "")[:7],
            period_to=request.form.get("to", "")[:7],
            user_id=current_user.id,
            decided_by=current_user.email,
        )
    )
    db.session.commit()
    flash(
        f"Decision recorded for {area.name}, {vocab.label(vocab.CATEGORIES, category)}: "
        f"{DECISIONS[decision]}.",
        "success",
    )
    return _back_to_report()


# ---- the fund calculator -----------------------------------------------------------


def _fund_area() -> Area | None:
    code = request.values.get("area", "")
    if code:
        return db.session.scalar(select(Area).where(Area.code == code))
    return db.session.scalars(
        select(Area).where(Area.type.in_(("place", "icb", "local_authority"))).order_by(Area.name)
    ).first()


def _fund_year_arg() -> int:
    raw = request.values.get("year", "")
    today = datetime.now(UTC).date()
    default = today.year if today.month >= 4 else today.year - 1
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else default


def _priorities_within(area: Area, top: int, params: ReportParams) -> list[Any]:
    """The top priorities of the report for `params` among the areas inside the fund area
    (all of their districts within its districts)."""
    districts: dict[int, set[str]] = {}
    for area_id, district in db.session.execute(
        select(AreaDistrict.area_id, AreaDistrict.district)
    ):
        districts.setdefault(area_id, set()).add(district)
    inside = districts.get(area.id, set())
    report = build_report(params, monthly=False)
    chosen = []
    for candidate in report.priorities:
        if candidate.score > 0 and districts.get(candidate.area_id, set()) <= inside:
            chosen.append(candidate)
        if len(chosen) >= top:
            break
    return chosen


@bp.route("/fund")
@roles_required(*PANEL)
def fund() -> Any:
    area = _fund_area()
    year = _fund_year_arg()
    if area is None:
        return render_template("reports/fund.html", area=None, areas=_all_areas(), year=year)
    result = fundcalc.fund_year(area, year)
    ranked_on = fund_year_params(year)
    top = int(current_app.config.get("REPORT_SPLIT_TOP", 5))
    priorities = _priorities_within(area, top, ranked_on)
    split = fundcalc.suggested_split(result.pot, [p.score for p in priorities])
    saved = list(
        db.session.scalars(
            select(FundAllocation)
            .where(FundAllocation.fund_area_id == area.id, FundAllocation.year == year)
            .order_by(FundAllocation.amount_pence.desc())
        )
    )
    pledges = list(
        db.session.scalars(
            select(FundPledge)
            .where(FundPledge.area_id == area.id, FundPledge.year == year)
            .order_by(FundPledge.created_at)
        )
    )
    return render_template(
        "reports/fund.html",
        area=area,
        areas=_all_areas(),
        year=year,
        result=result,
        projection=fundcalc.projection(area, year),
        priorities=list(zip(priorities, split, strict=True)),
        ranked_on=ranked_on,
        saved=saved,
        pledges=pledges,
        sources=PLEDGE_SOURCES,
        pounds=fundcalc.pounds,
        form=CsrfForm(),
    )


@bp.route("/fund/pledges", methods=["POST"])
@roles_required("admin")
def add_pledge() -> Any:
    form = CsrfForm()
    if not form.validate_on_submit():
        abort(400, "Your session expired; please try again")
    area = _fund_area()
    year = _fund_year_arg()
    if area is None:
        abort(404)
    source = request.form.get("source", "")
    amount = fundcalc.parse_pounds(request.form.get("amount", ""))
    pledger = request.form.get("pledger", "").strip()[:200]
    problems = []
    if source not in PLEDGE_SOURCES:
        problems.append("choose where the money comes from")
    if not amount:
        problems.append("enter an amount in pounds, such as 25000 or 25,000.00")
    elif amount > 10**12:
        problems.append("that amount is too large")
    if problems:
        flash("The pledge was not saved: " + "; ".join(problems) + ".", "error")
    else:
        db.session.add(
            FundPledge(
                area_id=area.id,
                year=year,
                source=source,
                amount_pence=amount,
                pledger=pledger,
                created_by_id=current_user.id,
            )
        )
        db.session.commit()
        flash(f"Pledge of {fundcalc.pounds(amount or 0)} saved.", "success")
    return redirect(url_for("reports.fund", area=area.code, year=year))


@bp.route("/fund/split", methods=["POST"])
@roles_required(*PANEL)
def save_split() -> Any:
    """Save the (edited) split of the year's pot; replaces any earlier split."""
    form = CsrfForm()
    if not form.validate_on_submit():
        abort(400, "Your session expired; please try again")
    area = _fund_area()
    year = _fund_year_arg()
    if area is None:
        abort(404)
    # Serialise concurrent saves of the same fund area's split (row lock on PostgreSQL).
    db.session.execute(select(Area.id).where(Area.id == area.id).with_for_update())
    result = fundcalc.fund_year(area, year)
    rows = []
    problems = []
    for index, key in enumerate(request.form.getlist("priority")):
        code, _, category = key.partition("|")
        target = db.session.scalar(select(Area).where(Area.code == code))
        amount = fundcalc.parse_pounds(request.form.get(f"amount-{index}", ""))
        if target is None or category not in vocab.CATEGORIES:
            problems.append(f"row {index + 1}: unknown priority")
        elif amount is None:
            problems.append(f"row {index + 1}: enter an amount in pounds (0 or more)")
        else:
            score = request.form.get(f"score-{index}", "0")
            try:
                score_value = float(score)
            except ValueError:
                score_value = 0.0
            rows.append((target, category, amount, score_value))
    total = sum(r[2] for r in rows)
    if not rows:
        problems.append("there is nothing to save")
    if total > result.pot:
        problems.append(
            f"the split adds up to {fundcalc.pounds(total)}, more than the pot of "
            f"{fundcalc.pounds(result.pot)}"
        )
    if problems:
        db.session.rollback()
        flash("The split was not saved: " + "; ".join(problems) + ".", "error")
        return redirect(url_for("reports.fund", area=area.code, year=year))
    db.session.execute(
        delete(FundAllocation).where(
            FundAllocation.fund_area_id == area.id, FundAllocation.year == year
        )
    )
    for target, category, amount, score in rows:
        db.session.add(
            FundAllocation(
                fund_area_id=area.id,
                year=year,
                area_id=target.id,
                category=category,
                score=score,
                amount_pence=amount,
                saved_by_id=current_user.id,
            )
        )
    db.session.commit()
    flash(f"Split of {fundcalc.pounds(total)} saved for {area.name} {year}.", "success")
    return redirect(url_for("reports.fund", area=area.code, year=year))


# ---- administration: areas and CPI ---------------------------------------------------


@bp.route("/areas", methods=["GET", "POST"])
@roles_required("admin")
def areas() -> Any:
    form = CsrfForm()
    report = None
    file_error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, "Your session expired; please try again")
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            file_error = "Choose a CSV file of areas"
        else:
            try:
                text = io.TextIOWrapper(upload.stream, encoding="utf-8-sig", newline="")
                report = import_areas_csv(text)
                db.session.commit()
            except UnicodeDecodeError:
                db.session.rollback()
                file_error = "The file is not UTF-8 text; save it as CSV UTF-8"
            except AreaFileError as exc:
                db.session.rollback()
                file_error = f"The file cannot be imported: {exc}"
    cpi = list(db.session.scalars(select(CpiIndex).order_by(CpiIndex.year)))
    return render_template(
        "reports/areas.html",
        form=form,
        report=report,
        file_error=file_error,
        areas=_all_areas(),
        area_types=AREA_TYPES,
        cpi=cpi,
        configured_cpi=current_app.config.get("FUND_CPI_SEPTEMBER") or {},
    ), (400 if file_error else 200)


@bp.route("/areas/template.csv")
@roles_required("admin")
def areas_template() -> Any:
    return Response(
        template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="areas-template.csv"'},
    )


@bp.route("/cpi", methods=["POST"])
@roles_required("admin")
def save_cpi() -> Any:
    form = CsrfForm()
    if not form.validate_on_submit():
        abort(400, "Your session expired; please try again")
    raw_year, raw_rate = request.form.get("year", ""), request.form.get("rate", "")
    try:
        year = int(raw_year)
        rate = float(raw_rate)
        if not 1980 <= year <= 2100 or not -20 <= rate <= 50:
            raise ValueError
    except ValueError:
        flash("Enter a year (such as 2025) and a CPI rate in per cent (such as 3.8).", "error")
        return redirect(url_for("reports.areas"))
    row = db.session.get(CpiIndex, year, with_for_update=True)
    if row is None:
        db.session.add(CpiIndex(year=year, rate=rate))
    else:
        row.rate = rate
    db.session.commit()
    flash(f"September {year} CPI saved as {rate}%.", "success")
    return redirect(url_for("reports.areas"))
