"""The Open Referral UK 3.0 read API under /openreferral (docs/openreferral.md).

Public and read-only: only published activities (and the organisations that run them) are
visible. Lists use the ORUK paged envelope; `/services?format=ndjson` streams every match.
Each list does one count and one page query (the organisation joined in), never one query
per row.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from sqlalchemy import (
    Select,
    and_,
    bindparam,
    false,
    func,
    inspect,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, contains_eager, joinedload

from .. import vocab
from ..db_types import has_code
from ..directory.models import Activity, ActivitySession, Organisation
from ..errors import ApiError
from ..extensions import db
from ..geo import try_lookup
from ..geo.postcodes import PostcodeError, normalise_postcode
from . import serialise
from .taxonomy import TAXONOMIES, TAXONOMIES_BY_ID, TERMS_BY_ID, all_terms, taxonomy_json, term_json

bp = Blueprint("openreferral", __name__, url_prefix="/openreferral")

VERSION = "HSDS-UK-3.0"
PROFILE = "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md"
DEFAULT_PER_PAGE = 50
MAX_SEARCH = 200
MAX_PROXIMITY_M = 1_000_000  # 1,000 km: all of Great Britain
DEFAULT_PROXIMITY_M = 10_000
NDJSON_BATCH = 500
EARTH_RADIUS_M = 6_371_008.8

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_DAYS = {
    **{code: i for i, code in enumerate(vocab.DAY_CODES)},
    **{code.lower(): i for i, code in enumerate(serialise.BYDAY)},
    **{name.lower(): i for i, name in enumerate(serialise.DAY_NAMES)},
}


@bp.after_app_request
def _cors(response: Response) -> Response:
    # Open data: any web page may read it (the ORUK validator runs in a browser, too).
    if request.path.startswith("/openreferral"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers.setdefault("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
    return response


# ---- parameters ------------------------------------------------------------------------------


class Params:
    """Reads query parameters, collecting every problem for one 400 answer."""

    def __init__(self) -> None:
        self.args = request.args
        self.errors: dict[str, str] = {}

    def text(self, name: str, limit: int = MAX_SEARCH) -> str:
        # PostgreSQL refuses NUL in text; nobody searches for control characters.
        raw = self.args.get(name) or ""
        return "".join(ch for ch in raw if ch >= " ").strip()[:limit]

    def flag(self, name: str) -> bool:
        value = (self.args.get(name) or "").strip().lower()
        if value not in _TRUE | _FALSE:
            self.errors[name] = "must be true or false"
            return False
        return value in _TRUE

    def integer(self, name: str, default: int | None, low: int, high: int) -> int | None:
        raw = (self.args.get(name) or "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.errors[name] = "must be a whole number"
            return default
        if not low <= value <= high:
            self.errors[name] = f"must be from {low} to {high}"
            return default
        return value

    def uuids(self, name: str) -> list[str]:
        """Repeated or comma-separated UUIDs (any of them matches)."""
        values = [v.strip() for raw in self.args.getlist(name) for v in raw.split(",")]
        out = []
        for value in (v for v in values if v):
            try:
                out.append(str(uuid.UUID(value)))
            except ValueError:
                self.errors[name] = f"“{value[:40]}” is not a UUID"
        return out

    def paging(self) -> tuple[int, int]:
        page = self.integer("page", 1, 1, 10**9) or 1
        per_page = self.integer("per_page", DEFAULT_PER_PAGE, 1, current_app.config["MAX_PER_PAGE"])
        return page, per_page or DEFAULT_PER_PAGE

    def datetime(self, name: str) -> datetime | None:
        raw = self.text(name, 40)
        if not raw:
            return None
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
                value = datetime.combine(date.fromisoformat(raw), datetime.min.time())
            else:
                value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
        except ValueError:
            self.errors[name] = "must be an ISO 8601 date or date-time, e.g. 2026-01-31T09:00:00Z"
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def format(self) -> str:
        value = (self.args.get("format") or "json").strip().lower()
        if value not in {"json", "ndjson"}:
            self.errors["format"] = "must be json or ndjson"
            return "json"
        return value

    def check(self) -> None:
        if self.errors:
            raise ApiError(400, "Invalid query parameters", fields=self.errors)


def page_envelope(total: int, page: int, per_page: int, contents: list[Any]) -> dict[str, Any]:
    """The ORUK paged envelope. `size` is the number of items on this page."""
    total_pages = math.ceil(total / per_page) if total else 0
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


def _count(stmt: Select[Any]) -> int:
    counted = stmt.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    return db.session.scalar(counted) or 0


def _in_range(page: int, per_page: int, total: int) -> bool:
    # Pages past the end are empty, and are never asked of the database (huge OFFSETs).
    return (page - 1) * per_page < total


# ---- service filters -------------------------------------------------------------------------


def published() -> Select[Any]:
    return select(Activity).where(Activity.status == "published")


def term_condition(key: str, code: str) -> Any:
    """SQL for 'the activity carries this term' (see serialise.activity_terms)."""
    if key in ("categories", "needs", "modes", "referral_routes"):
        return has_code(getattr(Activity, key), code)
    if key == "kite_mark":
        return Activity.kite_mark == code
    if code == "has_space":
        return Activity.spare_places > 0
    if code == "waitlist_open":
        return and_(Activity.spare_places == 0, Activity.waitlist_open.is_(True))
    return and_(Activity.spare_places == 0, Activity.waitlist_open.is_(False))


def taxonomy_condition(key: str) -> Any:
    if key in ("categories", "needs", "modes", "referral_routes"):
        return getattr(Activity, key) != ""
    if key == "kite_mark":
        return Activity.kite_mark.in_(list(TAXONOMIES["kite_mark"].terms))
    return true()


FILTER_INDEX = "ix_activity_openreferral_filters"  # migration 0007
_has_filter_index: dict[str, bool] = {}


def _scan_hint(stmt: Select[Any]) -> Select[Any]:
    """Filters on list columns (LIKE) or dates must read every published row. On SQLite,
    read them from migration 0007's narrow covering index rather than the wide table rows
    (the planner would pick the status index, then fetch each row). PostgreSQL plans this
    well on its own. Skipped if a database predates the index."""
    if db.engine.dialect.name != "sqlite":
        return stmt
    url = str(db.engine.url)
    if url not in _has_filter_index:
        names = {i["name"] for i in inspect(db.engine).get_indexes("activity")}
        _has_filter_index[url] = FILTER_INDEX in names
    if not _has_filter_index[url]:
        return stmt
    return stmt.with_hint(Activity, f"INDEXED BY {FILTER_INDEX}", "sqlite")


def service_filters(stmt: Select[Any], p: Params) -> Select[Any]:
    """The shared /services and /service_at_locations filters (combined with AND)."""
    scans = False
    search = p.text("search")
    if search:
        stmt = stmt.where(text_condition(search))
    term_ids = p.uuids("taxonomy_term_id")
    if term_ids:
        known = [TERMS_BY_ID[t] for t in term_ids if t in TERMS_BY_ID]
        stmt = stmt.where(or_(false(), *(term_condition(k, c) for k, c in known)))
        scans = True
    taxonomy_ids = p.uuids("taxonomy_id")
    if taxonomy_ids:
        keys = [TAXONOMIES_BY_ID[t].key for t in taxonomy_ids if t in TAXONOMIES_BY_ID]
        stmt = stmt.where(or_(false(), *(taxonomy_condition(k) for k in keys)))
        scans = True
    org_uuids = p.uuids("organization_id")
    if org_uuids:
        stmt = stmt.where(
            Activity.organisation_id.in_(
                select(Organisation.id).where(Organisation.uuid.in_(org_uuids))
            )
        )
    after = p.datetime("modified_after")
    if after is not None:
        stmt = stmt.where(
            or_(
                Activity.updated_at >= after,
                Activity.organisation_id.in_(
                    select(Organisation.id).where(Organisation.updated_at >= after)
                ),
            )
        )
        scans = True
    # Ages: the person's age range must overlap the service's (missing bounds are open).
    min_age = p.integer("minimum_age", None, 0, 150)
    if min_age is not None:
        stmt = stmt.where(or_(Activity.age_max.is_(None), Activity.age_max >= min_age))
        scans = True
    max_age = p.integer("maximum_age", None, 0, 150)
    if max_age is not None:
        stmt = stmt.where(or_(Activity.age_min.is_(None), Activity.age_min <= max_age))
        scans = True
    day_raw = p.text("day", 20).lower()
    if day_raw:
        if day_raw not in _DAYS:
            p.errors["day"] = "must be a day of the week: mon … sun, MO … SU or Monday … Sunday"
        else:
            stmt = stmt.where(
                select(ActivitySession.id)
                .where(
                    ActivitySession.activity_id == Activity.id,
                    ActivitySession.day_index == _DAYS[day_raw],
                )
                .exists()
            )
    return _scan_hint(stmt) if scans and not org_uuids else stmt


def text_condition(search: str) -> Any:
    """`search`: the directory's own full-text index (the same words, synonyms and stemming
    as the search page; FTS5 on SQLite, tsvector on PostgreSQL), which covers published
    listings. With Elasticsearch configured, or a query of stop words only, a plain
    case-insensitive match on title, description and organisation name instead."""
    try:
        from ..search.database import _fts5_query, _pg_tsquery, fts_table
        from ..search.models import search_document
        from ..search.text import query_terms

        concepts = query_terms(search)
    except ImportError:  # the search package changed its internals: still answer, slower
        concepts = []
    if concepts and not current_app.config.get("ELASTICSEARCH_URL"):
        if db.engine.dialect.name == "sqlite":
            matches = select(fts_table.c.rowid).where(
                sql_text("search_fts MATCH :oruk_fts").bindparams(oruk_fts=_fts5_query(concepts))
            )
        else:
            tsquery = func.to_tsquery(
                literal_column("'english'::regconfig"), bindparam("oruk_tsq", _pg_tsquery(concepts))
            )
            matches = select(search_document.c.activity_id).where(
                literal_column("search_document.tsv").op("@@")(tsquery)
            )
        return Activity.id.in_(matches)
    pattern = f"%{_like(search)}%"
    org_ids = select(Organisation.id).where(Organisation.name.ilike(pattern, escape="\\"))
    return or_(
        Activity.title.ilike(pattern, escape="\\"),
        Activity.description.ilike(pattern, escape="\\"),
        Activity.organisation_id.in_(org_ids),
    )


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _page_of_activities(stmt: Select[Any], page: int, per_page: int) -> list[Activity]:
    """One page, in two steps: the page's ids (read from an index, however deep the
    OFFSET), then those rows with their organisations in one joined query."""
    ids = list(
        db.session.scalars(
            stmt.with_only_columns(Activity.id)
            .order_by(Activity.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Activity)
            .where(Activity.id.in_(ids))
            .options(joinedload(Activity.organisation))
            .order_by(Activity.id)
        ).unique()
    )


# ---- routes ------------------------------------------------------------------------------------


def _external(endpoint: str) -> str:
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint)
    return url_for(endpoint, _external=True)


@bp.get("/")
def api_details() -> Any:
    """API root: which standard this is, and where its OpenAPI document is."""
    return jsonify(
        {
            "version": VERSION,
            "profile": PROFILE,
            "openapi_url": _external("openreferral.openapi_document"),
        }
    )


@bp.get("/openapi.json")
def openapi_document() -> Any:
    from .openapi import openreferral_openapi

    return jsonify(openreferral_openapi(_external("openreferral.api_details")))


@bp.get("/services")
def services() -> Any:
    p = Params()
    page, per_page = p.paging()
    minimal, full = p.flag("minimal"), p.flag("full")
    fmt = p.format()
    stmt = service_filters(published(), p)
    p.check()
    level: serialise.Level = "minimal" if minimal else ("full" if full else "list")
    if fmt == "ndjson":
        return _ndjson(stmt, level)
    total = _count(stmt)
    rows = _page_of_activities(stmt, page, per_page) if _in_range(page, per_page, total) else []
    return jsonify(
        page_envelope(total, page, per_page, [serialise.service_json(a, level) for a in rows])
    )


def _ndjson(stmt: Select[Any], level: serialise.Level) -> Response:
    """Every match, one service per line, fetched in id-ordered batches (keyset paging).

    The generator runs after the view has returned (and, under some servers, in another
    context), so it uses its own plain session on the engine, not Flask's scoped one."""
    engine = db.engine

    def lines() -> Iterator[str]:
        last_id = 0
        with Session(engine) as session:
            while True:
                batch = list(
                    session.scalars(
                        stmt.where(Activity.id > last_id)
                        .options(joinedload(Activity.organisation))
                        .order_by(Activity.id)
                        .limit(NDJSON_BATCH)
                    ).unique()
                )
                for activity in batch:
                    yield json.dumps(serialise.service_json(activity, level)) + "\n"
                if len(batch) < NDJSON_BATCH:
                    return
                last_id = batch[-1].id
                session.expunge_all()  # keep memory flat on big exports

    return Response(lines(), mimetype="application/x-ndjson")


def _published_by_uuid(raw_id: str) -> Activity:
    try:
        key = str(uuid.UUID(raw_id))
    except ValueError:
        raise ApiError(404, "No published service with that id (ids are UUIDs)") from None
    activity = db.session.scalars(
        published().where(Activity.uuid == key).options(joinedload(Activity.organisation))
    ).first()
    if activity is None:
        raise ApiError(404, f"No published service with id {key}")
    return activity


@bp.get("/services/<string:service_id>")
def service(service_id: str) -> Any:
    return jsonify(serialise.service_json(_published_by_uuid(service_id), "full"))


# ---- service_at_locations ------------------------------------------------------------------


def _has_location() -> Any:
    return or_(Activity.postcode != "", Activity.address != "")


def _haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@bp.get("/service_at_locations")
def service_at_locations() -> Any:
    from ..geo.distance import bounding_box

    p = Params()
    page, per_page = p.paging()
    full = p.flag("full")
    p.format()  # json only here; ndjson is accepted and answered as json pages
    stmt = service_filters(published().where(_has_location()), p)
    postcode_raw = p.text("postcode", 20)
    proximity = p.integer("proximity", None, 1, MAX_PROXIMITY_M)
    centre = None
    if postcode_raw:
        try:
            normalise_postcode(postcode_raw)
            centre = try_lookup(postcode_raw)
            if centre is None:
                p.errors["postcode"] = f"We cannot find the postcode “{postcode_raw}”"
        except PostcodeError as exc:
            p.errors["postcode"] = str(exc)
    elif proximity is not None and "proximity" not in p.errors:
        p.errors["proximity"] = "needs a postcode to measure from"
    p.check()
    if centre is None:
        total = _count(stmt)
        rows = _page_of_activities(stmt, page, per_page) if _in_range(page, per_page, total) else []
    else:
        # Box pre-filter in SQL (indexed lat/lon), exact distance here, nearest first.
        radius = proximity or DEFAULT_PROXIMITY_M
        min_lat, max_lat, min_lon, max_lon = bounding_box(
            centre.latitude, centre.longitude, radius / 1000
        )
        candidates = db.session.execute(
            stmt.with_only_columns(Activity.id, Activity.latitude, Activity.longitude).where(
                Activity.latitude.between(min_lat, max_lat),
                Activity.longitude.between(min_lon, max_lon),
            )
        ).all()
        near = sorted(
            (d, i)
            for i, lat, lon in candidates
            if (d := _haversine_m(centre.latitude, centre.longitude, lat, lon)) <= radius
        )
        total = len(near)
        ids = [i for _, i in near[(page - 1) * per_page : page * per_page]]
        by_id = {
            a.id: a
            for a in db.session.scalars(
                select(Activity)
                .where(Activity.id.in_(ids))
                .options(joinedload(Activity.organisation))
            ).unique()
        }
        rows = [by_id[i] for i in ids if i in by_id]
    contents = [serialise.service_at_location_json(a, full=full) for a in rows]
    return jsonify(page_envelope(total, page, per_page, [c for c in contents if c]))


@bp.get("/service_at_locations/<string:sal_id>")
def service_at_location(sal_id: str) -> Any:
    try:
        activity_uuid = serialise.activity_uuid_for_service_at_location(sal_id)
    except ValueError:
        raise ApiError(404, "No service at location with that id (ids are UUIDs)") from None
    activity = db.session.scalars(
        published()
        .where(Activity.uuid == activity_uuid, _has_location())
        .options(joinedload(Activity.organisation))
    ).first()
    body = serialise.service_at_location_json(activity, full=True) if activity else None
    if body is None:
        raise ApiError(404, f"No service at location with id {sal_id}")
    return jsonify(body)


# ---- organizations -------------------------------------------------------------------------


def _public_organisations() -> Select[Any]:
    has_published = (
        select(Activity.id)
        .where(Activity.organisation_id == Organisation.id, Activity.status == "published")
        .exists()
    )
    return select(Organisation).where(has_published)


@bp.get("/organizations")
def organizations() -> Any:
    p = Params()
    page, per_page = p.paging()
    p.flag("full")
    p.flag("full_service")
    p.format()
    stmt = _public_organisations()
    search = p.text("search")
    if search:
        stmt = stmt.where(Organisation.name.ilike(f"%{_like(search)}%", escape="\\"))
    p.check()
    total = db.session.scalar(stmt.with_only_columns(func.count(Organisation.id))) or 0
    rows = []
    if _in_range(page, per_page, total):
        rows = db.session.scalars(
            stmt.order_by(Organisation.id).limit(per_page).offset((page - 1) * per_page)
        ).all()
    return jsonify(
        page_envelope(total, page, per_page, [serialise.organization_json(o) for o in rows])
    )


@bp.get("/organizations/<string:org_id>")
def organization(org_id: str) -> Any:
    try:
        key = str(uuid.UUID(org_id))
    except ValueError:
        raise ApiError(404, "No organization with that id (ids are UUIDs)") from None
    org = db.session.scalars(_public_organisations().where(Organisation.uuid == key)).first()
    if org is None:
        raise ApiError(404, f"No organization with id {key}")
    activities = db.session.scalars(
        published()
        .join(Activity.organisation)
        .where(Activity.organisation_id == org.id)
        .options(contains_eager(Activity.organisation))
        .order_by(Activity.id)
    ).all()
    body = serialise.organization_json(org)
    # Extension (as HSDS 3.0's organization): the services it runs, as minimal services.
    body["services"] = [serialise.service_json(a, "minimal") for a in activities]
    return jsonify(body)


# ---- taxonomies ----------------------------------------------------------------------------


def _static_page(p: Params, items: list[dict[str, Any]]) -> Any:
    page, per_page = p.paging()
    p.format()
    p.check()
    contents = items[(page - 1) * per_page : page * per_page]
    return jsonify(page_envelope(len(items), page, per_page, contents))


@bp.get("/taxonomies")
def taxonomies() -> Any:
    p = Params()
    search = p.text("search").lower()
    items = [
        taxonomy_json(t)
        for t in TAXONOMIES.values()
        if not search or search in t.name.lower() or search in t.description.lower()
    ]
    return _static_page(p, items)


@bp.get("/taxonomies/<string:taxonomy_id>")
def taxonomy(taxonomy_id: str) -> Any:
    found = TAXONOMIES_BY_ID.get(taxonomy_id.strip().lower())
    if found is None:
        raise ApiError(404, "No taxonomy with that id")
    body = taxonomy_json(found)
    body["taxonomy_terms"] = [term_json(found.key, code) for code in found.terms]
    return jsonify(body)


@bp.get("/taxonomy_terms")
def taxonomy_terms() -> Any:
    p = Params()
    search = p.text("search").lower()
    wanted = set(p.uuids("taxonomy_id"))
    parents = p.uuids("parent_id")
    p.flag("top_only")  # all our terms are top level
    items = [
        term_json(key, code)
        for key, code in all_terms()
        if not parents  # our taxonomies are flat: no term has a parent
        and (not wanted or TAXONOMIES[key].id in wanted)
        and (
            not search
            or search in code
            or search in vocab.label(TAXONOMIES[key].terms, code).lower()
        )
    ]
    if "taxonomy_id" in request.args and not wanted and "taxonomy_id" not in p.errors:
        items = []
    return _static_page(p, items)


@bp.get("/taxonomy_terms/<string:term_id>")
def taxonomy_term(term_id: str) -> Any:
    found = TERMS_BY_ID.get(term_id.strip().lower())
    if found is None:
        raise ApiError(404, "No taxonomy term with that id")
    return jsonify(term_json(*found))
