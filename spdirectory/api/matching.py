"""POST /match: activities ranked for one person, each with its reasons."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from ..errors import ApiError
from ..matching import ProfileError, match, parse_person
from ..matching.scoring import Scored
from ..search.demand import record
from . import bp
from .helpers import json_body


def scored_json(item: Scored) -> dict[str, Any]:
    c = item.candidate
    return {
        "activity_id": c.activity_id,
        "external_id": c.external_id,
        "title": c.title,
        "organisation": c.organisation,
        "score": item.score,
        "distance_km": round(item.distance_km, 2) if item.distance_km is not None else None,
        "spare_places": c.spare_places,
        "waitlist": c.waitlist_open,
        "kite_mark": c.kite_mark,
        "reasons": item.reasons,
        "warnings": item.warnings,
    }


@bp.post("/match")
def match_person() -> Any:
    body = json_body()
    try:
        person = parse_person(body)
    except ProfileError as exc:
        raise ApiError(422, "The person's details need attention", fields=exc.fields) from None
    results = match(person)
    if not results or not any(
        r.candidate.spare_places or r.candidate.waitlist_open for r in results
    ):
        from ..geo import postcode_district

        record(
            "match",
            # Free text is left out (as on the match page): it may say who the person is.
            text="",
            # What was asked for, never who asked: no age, no full postcode.
            filters={
                "need": person.needs,
                "modes": person.modes,
                "max_distance_km": person.max_distance_km,
                "requires": {
                    "wheelchair": person.wheelchair,
                    "free": person.free_only,
                    "languages": person.languages,
                },
            },
            district=postcode_district(person.postcode) if person.postcode else "",
            results=len(results),
            outcome="nothing" if not results else "none_available",
        )
    return jsonify({"results": [scored_json(r) for r in results]})
