"""OpenAPI 3.1 documents for `/openreferral` and `/api/v1` (served as JSON).

The Open Referral document lists our parameters and points each response at the official
ORUK 3.0 schema by URL. The `/api/v1` document is written by hand for the endpoints we know,
and completed from the app's URL map so that an endpoint added later is at least listed
(with a generic description) rather than missing; tests/api_fuzz checks that every rule is
in it and fuzzes both documents with schemathesis.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app

from .. import vocab
from .serialise import BYDAY

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

ORUK_SCHEMA = "https://openreferraluk.org/specifications/3.0/schema/"

ERROR = {"$ref": "#/components/schemas/Error"}
COMPONENTS: dict[str, Any] = {
    "schemas": {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "fields": {"type": "object"},
                    },
                }
            },
        }
    },
    "securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer", "description": "spdirectory API token"},
        "session": {"type": "apiKey", "in": "cookie", "name": "session"},
    },
}


def _q(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        param["description"] = description
    return param


def _path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {
        400: "Invalid parameters",
        401: "Not signed in / no valid token",
        403: "Role not allowed",
        404: "Not found",
        409: "Illegal state change",
        415: "Body is not JSON",
        422: "Invalid values",
    }
    return {str(s): _json(ERROR, text[s]) for s in statuses}


BOOL = {"type": "boolean"}
STR = {"type": "string"}
INT = {"type": "integer"}
UUID = {"type": "string", "format": "uuid"}
PAGE = [
    _q("page", {"type": "integer", "minimum": 1}, "Page number, from 1"),
    _q("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "Items a page (max 100)"),
]
FORMAT = _q("format", {"type": "string", "enum": ["json", "ndjson"]})


def _oruk(schema: str, description: str) -> dict[str, Any]:
    return {
        "200": _json({"$ref": ORUK_SCHEMA + schema}, description),
        **_errors(400, 404),
    }


def openreferral_openapi(server_url: str) -> dict[str, Any]:
    """OpenAPI for /openreferral; response schemas are the official ORUK 3.0 ones."""
    service_filters = [
        _q("search", STR, "Text in the title, description or organisation name"),
        _q("taxonomy_term_id", UUID, "Services carrying this term (comma-separate for any of)"),
        _q("taxonomy_id", UUID, "Services carrying any term of this taxonomy"),
        _q("organization_id", UUID, "Services run by this organisation"),
        _q("modified_after", {"type": "string", "format": "date-time"}),
        _q("minimum_age", {"type": "integer", "minimum": 0, "maximum": 150}),
        _q("maximum_age", {"type": "integer", "minimum": 0, "maximum": 150}),
        _q("day", {"type": "string", "enum": [*vocab.DAY_CODES, *BYDAY, *DAY_NAMES]}),
    ]

    def get(op_id: str, summary: str, params: list[Any], responses: dict[str, Any]) -> Any:
        return {
            "get": {
                "operationId": op_id,
                "summary": summary,
                "parameters": params,
                "responses": responses,
            }
        }

    ident = [_path_param("id", {"type": "string"})]
    paths = {
        "/": get("apiDetails", "API details", [], _oruk("api_details.json", "About the API")),
        "/services": get(
            "listServices",
            "Published services, paged (format=ndjson streams them all, one per line)",
            [
                *service_filters,
                *PAGE,
                FORMAT,
                _q("minimal", BOOL, "Only id, name, status, last_modified"),
                _q("full", BOOL, "Fully nested services"),
            ],
            _oruk("service_list.json", "A page of services"),
        ),
        "/services/{id}": get(
            "getService", "A fully nested service", ident, _oruk("service.json", "A service")
        ),
        "/service_at_locations": get(
            "listServiceAtLocations",
            "Services at their venues; postcode + proximity (metres) sorts nearest first",
            [
                *service_filters,
                *PAGE,
                FORMAT,
                _q("full", BOOL),
                _q("postcode", STR),
                _q("proximity", {"type": "integer", "minimum": 1, "maximum": 1_000_000}),
            ],
            _oruk("service_at_location_list.json", "A page of services at locations"),
        ),
        "/service_at_locations/{id}": get(
            "getServiceAtLocation",
            "A service at a location",
            ident,
            _oruk("service_at_location.json", "A service at a location"),
        ),
        "/organizations": get(
            "listOrganizations",
            "Organisations that run at least one published activity",
            [_q("search", STR), *PAGE, FORMAT, _q("full", BOOL), _q("full_service", BOOL)],
            _oruk("organization_list.json", "A page of organisations"),
        ),
        "/organizations/{id}": get(
            "getOrganization",
            "An organisation (with its services, minimal)",
            ident,
            _oruk("organization.json", "An organisation"),
        ),
        "/taxonomies": get(
            "listTaxonomies",
            "Our vocabularies as taxonomies",
            [_q("search", STR), *PAGE, FORMAT],
            _oruk("taxonomy_list.json", "A page of taxonomies"),
        ),
        "/taxonomies/{id}": get(
            "getTaxonomy", "A taxonomy with its terms", ident, _oruk("taxonomy.json", "Taxonomy")
        ),
        "/taxonomy_terms": get(
            "listTaxonomyTerms",
            "Taxonomy terms",
            [
                _q("search", STR),
                _q("taxonomy_id", UUID),
                _q("parent_id", UUID),
                _q("top_only", BOOL),
                *PAGE,
                FORMAT,
            ],
            _oruk("taxonomy_term_list.json", "A page of terms"),
        ),
        "/taxonomy_terms/{id}": get(
            "getTaxonomyTerm", "A taxonomy term", ident, _oruk("taxonomy_term.json", "A term")
        ),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "spdirectory Open Referral UK API",
            "version": "HSDS-UK-3.0",
            "description": "Read-only, public. See docs/openreferral.md.",
        },
        "servers": [{"url": server_url.rstrip("/")}],
        "paths": paths,
        "components": {"schemas": COMPONENTS["schemas"]},
    }


# ---- /api/v1 -------------------------------------------------------------------------------

OBJECT = {"type": "object"}
SECURED = [{"bearer": []}, {"session": []}]

_ACTIVITY_FILTERS = [
    _q("q", STR, "Text search"),
    _q("category", {"type": "string", "enum": list(vocab.CATEGORIES)}, "Repeatable; any of"),
    _q("need", {"type": "string", "enum": list(vocab.NEEDS)}, "Repeatable; any of"),
    _q("mode", {"type": "string", "enum": list(vocab.MODES)}),
    _q("day", {"type": "string", "enum": list(vocab.DAY_CODES)}),
    _q("kite_mark", {"type": "string", "enum": list(vocab.KITE_MARK)}),
    _q("available", BOOL, "Spare places or an open waiting list"),
    _q("free", BOOL),
    _q("near", STR, "A postcode"),
    _q("within_km", {"type": "number", "exclusiveMinimum": 0}),
    _q("sort", {"type": "string", "enum": ["relevance", "distance", "updated"]}),
    *PAGE,
]

# Hand-written operations, keyed by (Flask rule, method).
API_V1: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/v1/activities", "GET"): {
        "summary": "Search published activities (with facets)",
        "parameters": _ACTIVITY_FILTERS,
        "responses": {"200": _json(OBJECT, "Results and facets"), **_errors(400)},
    },
    ("/api/v1/activities/<int:activity_id>", "GET"): {
        "summary": "One activity with every field",
        "responses": {"200": _json(OBJECT, "The activity"), **_errors(404)},
    },
    ("/api/v1/activities/<int:activity_id>/capacity", "PATCH"): {
        "summary": "Update spare places / waiting list / capacity (owning provider or admin)",
        "security": SECURED,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["spare_places"],
                        "properties": {
                            "spare_places": {"type": "integer", "minimum": 0},
                            "waitlist": BOOL,
                            "capacity": {"type": "integer", "minimum": 0},
                        },
                        "additionalProperties": False,
                    }
                }
            },
        },
        "responses": {
            "200": _json(OBJECT, "The updated activity"),
            **_errors(400, 401, 403, 404, 415, 422),
        },
    },
    ("/api/v1/suggest", "GET"): {
        "summary": "Search-box suggestions",
        "parameters": [_q("q", STR), _q("limit", {"type": "integer", "minimum": 1})],
        "responses": {"200": _json(OBJECT, "Suggestions")},
    },
    ("/api/v1/match", "POST"): {
        "summary": "Ranked activities for a person's needs (no personal data stored)",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "postcode": STR,
                            "needs": {"type": "array", "items": STR},
                            "modes": {"type": "array", "items": STR},
                            "max_distance_km": {"type": "number"},
                            "interests": STR,
                            "age": INT,
                            "availability": {"type": "array", "items": OBJECT},
                            "requires": OBJECT,
                            "limit": INT,
                        },
                    }
                }
            },
        },
        "responses": {"200": _json(OBJECT, "Ranked matches"), **_errors(400, 415, 422)},
    },
    ("/api/v1/referrals", "POST"): {
        "summary": "Send a referral (link workers and admins); see docs/referrals.md",
        "security": SECURED,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["activity_id"],
                        "properties": {
                            "activity_id": INT,
                            "client_reference": STR,
                            "needs": {"type": "array", "items": STR},
                            "summary": STR,
                            "contact": {
                                "type": "object",
                                "properties": {"phone": STR, "email": STR, "consent": BOOL},
                            },
                            "preferred_contact": STR,
                            "preferred_times": STR,
                            "person_postcode": STR,
                            "person_district": STR,
                            "baseline": OBJECT,
                        },
                    }
                }
            },
        },
        "responses": {
            "201": _json(OBJECT, "The referral"),
            **_errors(400, 401, 403, 404, 409, 415, 422),
        },
    },
    ("/api/v1/referrals/<int:referral_id>", "GET"): {
        "summary": "A referral (its referrer, the receiving organisation, admins)",
        "security": SECURED,
        "responses": {"200": _json(OBJECT, "The referral"), **_errors(401, 403, 404)},
    },
    ("/api/v1/referrals/<int:referral_id>/status", "POST"): {
        "summary": "Move a referral to its next status",
        "security": SECURED,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["status"],
                        "properties": {
                            "status": {"type": "string", "enum": list(vocab.REFERRAL_STATUS)},
                            "reason": STR,
                            "note": STR,
                        },
                    }
                }
            },
        },
        "responses": {
            "200": _json(OBJECT, "The referral"),
            **_errors(400, 401, 403, 404, 409, 415, 422),
        },
    },
    ("/api/v1/reports/capacity-gaps", "GET"): {
        "summary": "Capacity-gap report (panel members and admins); see docs/reports.md",
        "security": SECURED,
        "parameters": [
            _q("from", {"type": "string", "pattern": r"^\d{4}-\d{2}$"}),
            _q("to", {"type": "string", "pattern": r"^\d{4}-\d{2}$"}),
            _q("group_by", {"type": "string", "enum": ["area", "category", "both"]}),
            _q("area_type", STR),
            _q("area", STR),
            _q("category", STR),
            _q("as_of", STR),
            _q("format", {"type": "string", "enum": ["json", "csv"]}),
        ],
        "responses": {"200": _json(OBJECT, "The report"), **_errors(400, 401, 403)},
    },
    ("/api/v1/unmet-needs", "POST"): {
        "summary": "Record an unmet need (link workers and admins); see docs/unmet-needs.md",
        "security": SECURED,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["needs", "reasons"],
                        "properties": {
                            "needs": {
                                "type": "array",
                                "items": {"type": "string", "enum": list(vocab.NEEDS)},
                            },
                            "reasons": {
                                "type": "array",
                                "items": {
                                    "type": "string",
                                    "enum": list(vocab.UNMET_NEED_REASONS),
                                },
                            },
                            "categories": {
                                "type": "array",
                                "items": {"type": "string", "enum": list(vocab.CATEGORIES)},
                            },
                            "postcode": STR,
                            "postcode_district": STR,
                            "note": STR,
                        },
                        "additionalProperties": False,
                    }
                }
            },
        },
        "responses": {
            "201": _json(OBJECT, "The recorded unmet need"),
            **_errors(400, 401, 403, 422),
        },
    },
    ("/api/v1/openapi.json", "GET"): {
        "summary": "This document",
        "responses": {"200": _json(OBJECT, "OpenAPI 3.1")},
    },
}

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """'/api/v1/activities/<int:activity_id>' → ('/api/v1/activities/{activity_id}', params)."""
    params = []
    for converter, name in _CONVERTER.findall(rule):
        schema = {"type": "integer", "minimum": 0} if converter == "int" else STR
        params.append(_path_param(name, schema))
    return _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule), params


def api_v1_openapi(server_url: str) -> dict[str, Any]:
    """OpenAPI for /api/v1: the hand-written operations, plus a generic entry for any
    /api/v1 route of this app that has none (so none is left out)."""
    paths: dict[str, dict[str, Any]] = {}
    rules = sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule)
    for rule in rules:
        if not rule.rule.startswith("/api/v1/"):
            continue
        path, path_params = openapi_path(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation = dict(
                API_V1.get(
                    (rule.rule, method),
                    {
                        "summary": f"{method} {path} (see docs/api.md)",
                        "responses": {"200": _json(OBJECT, "Success"), **_errors(400, 401)},
                    },
                )
            )
            operation["operationId"] = f"{method.lower()}_{rule.endpoint.replace('.', '_')}"
            operation["parameters"] = path_params + operation.get("parameters", [])
            if method in {"POST", "PUT", "PATCH"} and "requestBody" not in operation:
                operation["requestBody"] = {
                    "required": False,
                    "content": {"application/json": {"schema": OBJECT}},
                }
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "spdirectory JSON API",
            "version": "1",
            "description": "Bearer token or session cookie; errors are "
            '{"error": {"code", "message", "fields"?}}. See docs/api.md.',
        },
        "servers": [{"url": server_url.rstrip("/")}],
        "paths": {p.removeprefix("/api/v1") or "/": ops for p, ops in paths.items()},
        "components": COMPONENTS,
    }
