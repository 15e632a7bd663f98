"""Search documents built from the database with plain SQL (safe inside flush hooks)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from .. import vocab
from ..directory.models import Activity, ActivitySession, Organisation
from .vocab_bits import mask


@dataclass
class Document:
    """Everything any backend indexes about one published activity."""

    row: dict[str, Any]  # the search_document columns
    description: str
    category_labels: str
    need_labels: str
    # Codes kept for backends that store lists (Elasticsearch).
    categories: list[str]
    needs: list[str]
    modes: list[str]
    days: list[str]
    routes: list[str]
    languages: list[str]
    postcode: str


_COLUMNS = (
    Activity.id,
    Activity.organisation_id,
    Activity.title,
    Activity.description,
    Activity.categories,
    Activity.needs,
    Activity.modes,
    Activity.referral_routes,
    Activity.languages,
    Activity.kite_mark,
    Activity.spare_places,
    Activity.waitlist_open,
    Activity.cost_pence,
    Activity.age_min,
    Activity.age_max,
    Activity.wheelchair_accessible,
    Activity.latitude,
    Activity.longitude,
    Activity.postcode,
    Activity.postcode_district,
    Activity.capacity_updated_at,
    Organisation.name.label("organisation"),
)


def load_documents(
    connection: Connection, activity_ids: Iterable[int] | None = None
) -> Iterator[Document]:
    """Documents for the published activities among activity_ids (all when None)."""
    stmt = (
        select(*_COLUMNS)
        .join(Organisation, Organisation.id == Activity.organisation_id)
        .where(Activity.status == "published")
    )
    session_stmt = select(ActivitySession.activity_id, ActivitySession.day_index)
    if activity_ids is not None:
        ids = list(activity_ids)
        if not ids:
            return
        stmt = stmt.where(Activity.id.in_(ids))
        session_stmt = session_stmt.where(ActivitySession.activity_id.in_(ids))
    days: dict[int, set[int]] = defaultdict(set)
    for activity_id, day_index in connection.execute(session_stmt):
        days[activity_id].add(day_index)
    for r in connection.execute(stmt):
        day_codes = [vocab.DAY_CODES[i] for i in sorted(days.get(r.id, ()))]
        yield Document(
            row={
                "activity_id": r.id,
                "organisation_id": r.organisation_id,
                "title": r.title,
                "organisation": r.organisation,
                "category_mask": mask("category", r.categories),
                "need_mask": mask("need", r.needs),
                "mode_mask": mask("mode", r.modes),
                "day_mask": mask("day", day_codes),
                "route_mask": mask("route", r.referral_routes),
                "languages": " " + " ".join(r.languages) + " " if r.languages else "",
                "kite_mark": r.kite_mark,
                "spare_places": r.spare_places,
                "waitlist_open": r.waitlist_open,
                "cost_pence": r.cost_pence,
                "age_min": r.age_min,
                "age_max": r.age_max,
                "wheelchair_accessible": r.wheelchair_accessible,
                "latitude": r.latitude,
                "longitude": r.longitude,
                "postcode_district": r.postcode_district or "",
                "capacity_updated_at": r.capacity_updated_at,
            },
            description=r.description or "",
            category_labels=" ".join(vocab.label(vocab.CATEGORIES, c) for c in r.categories),
            need_labels=" ".join(vocab.label(vocab.NEEDS, c) for c in r.needs),
            categories=list(r.categories),
            needs=list(r.needs),
            modes=list(r.modes),
            days=day_codes,
            routes=list(r.referral_routes),
            languages=list(r.languages),
            postcode=r.postcode or "",
        )
