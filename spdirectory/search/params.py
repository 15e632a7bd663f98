"""Reading a SearchQuery from request arguments (shared by the API and the search page)."""

from __future__ import annotations

from typing import Any

from ..directory.queries import ListingFilters
from ..geo import PostcodeError, PostcodeLocation, lookup
from .base import SearchQuery

DEFAULT_WITHIN_KM = 10.0
MAX_WITHIN_KM = 200.0
SORTS = ("relevance", "distance", "updated")


def query_from_args(
    args: Any, *, per_page: int, max_per_page: int
) -> tuple[SearchQuery, dict[str, str], PostcodeLocation | None]:
    """(query, errors by parameter, the geocoded `near` postcode if any)."""
    filters, errors = ListingFilters.from_args(args)
    query = SearchQuery(
        text=filters.text,
        categories=filters.categories,
        needs=filters.needs,
        mode=filters.mode,
        day=filters.day,
        kite_mark=filters.kite_mark,
        available=filters.available,
        free=filters.free,
    )
    place = None
    near = (args.get("near") or "").strip()
    if near:
        try:
            place = lookup(near)
            query.near = (place.latitude, place.longitude)
        except PostcodeError as exc:
            errors["near"] = str(exc)
    within = args.get("within_km")
    if within not in (None, ""):
        try:
            value = float(within)
            if not 0 < value <= MAX_WITHIN_KM:
                raise ValueError
            query.within_km = value
        except ValueError:
            errors["within_km"] = f"must be a number of kilometres up to {MAX_WITHIN_KM:g}"
        if not near:
            errors.setdefault("within_km", "needs a postcode in `near`")
    elif near:
        query.within_km = DEFAULT_WITHIN_KM
    sort = args.get("sort") or "relevance"
    if sort not in SORTS:
        errors["sort"] = f"must be one of {', '.join(SORTS)}"
    elif sort == "distance" and not near:
        errors["sort"] = "sorting by distance needs a postcode in `near`"
    else:
        query.sort = sort
    for name, default, cap in (("page", 1, 10_000), ("per_page", per_page, max_per_page)):
        raw = args.get(name)
        if raw in (None, ""):
            setattr(query, name, default)
            continue
        try:
            value = int(raw)
            if value < 1:
                raise ValueError
            setattr(query, name, min(value, cap))
        except ValueError:
            errors[name] = "must be a whole number, 1 or more"
    return query, errors, place
