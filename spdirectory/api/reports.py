"""GET /api/v1/reports/capacity-gaps: the capacity-gap report as JSON or CSV."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from ..errors import ApiError
from ..reports.export import records, to_csv
from ..reports.report import ReportParamError, build_report, min_count, parse_params
from . import bp
from .helpers import require_user


@bp.get("/reports/capacity-gaps")
def capacity_gaps() -> Any:
    require_user("panel", "admin")
    from flask import request

    fmt = (request.args.get("format") or "json").lower()
    if fmt not in ("json", "csv"):
        raise ApiError(400, "Invalid report parameters", fields={"format": "json or csv"})
    try:
        params = parse_params(request.args)
    except ReportParamError as exc:
        raise ApiError(400, "Invalid report parameters", fields=exc.fields) from None
    report = build_report(params, monthly=False)
    if fmt == "csv":
        name = f"capacity-gaps-{params.from_label}-to-{params.to_label}.csv"
        return Response(
            to_csv(report),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return jsonify(
        {
            "from": params.from_label,
            "to": params.to_label,
            "as_of": params.as_of.isoformat() if params.as_of else None,
            "group_by": params.group_by,
            "area_type": params.area_type,
            "computed_at": report.computed_at.isoformat(),
            "weights": report.weights,
            "suppressed_below": min_count(),
            "total": len(report.cells),
            "results": records(report),
        }
    )
