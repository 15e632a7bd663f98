"""Offline validation of responses against the official ORUK 3.0 schemas.

The schemas live in ../shared/standards/oruk-3.0/ (outside this repository); their `$ref`s
are absolute https://openreferraluk.org/... URLs, which a `referencing` registry maps to the
local files, so nothing is fetched. Which schema applies to which endpoint is read from the
standard's own openapi.json. Formats (uuid, email, uri, date-time, date) are checked: the
validator's Fail samples break exactly those.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

STANDARDS = Path(__file__).resolve().parents[2].parent / "shared" / "standards"
ORUK = STANDARDS / "oruk-3.0"
SAMPLES = STANDARDS / "oruk-validator-samples"
SCHEMA_URL = "https://openreferraluk.org/specifications/3.0/schema/"
MISSING_REASON = f"the ORUK 3.0 schemas are not present at {ORUK} (../shared/standards)"

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")

checker = FormatChecker()


@checker.checks("uri")
def _is_uri(value: object) -> bool:
    # RFC 3986 absolute URI: a scheme, then no spaces (jsonschema needs an extra package
    # for a full check; this is strict enough for "example_com" and "example/counselling").
    return not isinstance(value, str) or bool(_URI.match(value))


@checker.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    if isinstance(value, str):
        if not re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", value):
            return False
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@checker.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if isinstance(value, str):
        date.fromisoformat(value)
    return True


def available() -> bool:
    return (ORUK / "openapi.json").is_file()


@cache
def registry() -> Registry:
    resources = []
    for path in sorted((ORUK / "schema").glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((SCHEMA_URL + path.name, Resource.from_contents(contents, DRAFT202012)))
    return Registry().with_resources(resources)


@cache
def endpoint_schemas() -> dict[str, str]:
    """ORUK path template ('/services/{id}') → URL of its 200 response schema."""
    spec = json.loads((ORUK / "openapi.json").read_text(encoding="utf-8"))
    out = {}
    for path, item in spec["paths"].items():
        response = item["get"]["responses"]["200"]
        out[path] = response["content"]["application/json"]["schema"]["$ref"]
    return out


def errors(template: str, body: Any) -> list[str]:
    """Every schema error of `body` as the response of ORUK endpoint `template`."""
    validator = Draft202012Validator(
        {"$ref": endpoint_schemas()[template]},
        registry=registry(),
        format_checker=checker,
    )
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in validator.iter_errors(body)
    ]


def assert_valid(template: str, body: Any) -> None:
    found = errors(template, body)
    assert not found, f"{template} response breaks ORUK 3.0:\n" + "\n".join(found[:20])


def paging_errors(body: dict[str, Any], per_page: int, page: int) -> list[str]:
    """The envelope must agree with itself (the validator walks first/middle/last pages)."""
    out = []
    total, pages = body["total_items"], body["total_pages"]
    if pages != math.ceil(total / per_page):
        out.append(f"total_pages {pages} for {total} items at {per_page} a page")
    if body["page_number"] != page:
        out.append(f"page_number {body['page_number']} for page {page}")
    if body["first_page"] != (page == 1):
        out.append("first_page wrong")
    if body["last_page"] != (page >= pages):
        out.append("last_page wrong")
    expected = max(0, min(per_page, total - (page - 1) * per_page))
    if len(body["contents"]) != expected or body["size"] != expected:
        out.append(f"{len(body['contents'])} items (size {body['size']}), expected {expected}")
    if body["empty"] != (expected == 0):
        out.append("empty wrong")
    return out
