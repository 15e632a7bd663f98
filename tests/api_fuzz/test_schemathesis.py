"""Property-based fuzzing of both JSON APIs from their own OpenAPI documents (schemathesis),
in-process over WSGI: no generated request may get a server error (5xx).

Bounded: MAX_EXAMPLES requests an operation, per database; the whole file stays well under
two minutes. The /openreferral document points its responses at the official ORUK schemas
by URL; those references are replaced by a plain object here so nothing is fetched (the
response schemas are checked offline, with the real files, in tests/openreferral/).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.globals import _cv_app
from hypothesis import HealthCheck, given, settings

from spdirectory.openreferral.openapi import ORUK_SCHEMA

MAX_EXAMPLES = 20


def _local_refs_only(value: Any) -> Any:
    if isinstance(value, dict):
        if str(value.get("$ref", "")).startswith(ORUK_SCHEMA):
            return {"type": "object"}
        return {k: _local_refs_only(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_local_refs_only(v) for v in value]
    return value


def _isolated(app: Flask) -> Callable[..., Iterable[bytes]]:
    """Each request in its own application context, as in production (the `app` fixture
    keeps one pushed for the test, which Flask would otherwise reuse for every request)."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        def run() -> Iterable[bytes]:
            _cv_app.set(None)
            return app.wsgi_app(environ, start_response)

        return contextvars.copy_context().run(run)

    return wsgi


def _seed(make: Any) -> dict[str, str]:
    org = make.organisation("Fuzz Group", description="For fuzzing")
    make.activity(org, title="Fuzz walk", address="Hall, 1 Road, Leeds")
    make.activity(org, title="Fuzz online", modes="online", postcode="")
    admin = make.user("admin")
    token = make.token(admin)
    make.commit()
    return {"Authorization": f"Bearer {token}"}


def _fuzz(app: Flask, doc_url: str, headers: dict[str, str]) -> list[str]:
    client = app.test_client()
    response = client.get(doc_url)
    assert response.status_code == 200
    schema = schemathesis.openapi.from_dict(_local_refs_only(response.get_json()))
    schema.app = _isolated(app)
    failures: list[str] = []
    calls: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, f"{doc_url} documents no operations"
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            result = case.call(headers=headers)
            calls.append(result.status_code)
            if result.status_code >= 500:
                failures.append(
                    f"{result.status_code} from {case.method} {case.formatted_path} "
                    f"query={case.query} body={case.body!r}"
                )

        run()
    # Guard against a run that silently generated nothing.
    assert len(calls) >= 5 * len(operations), (len(calls), len(operations))
    assert any(200 <= c < 300 for c in calls), "no request succeeded; the fuzz hit only errors"
    return failures


@pytest.mark.parametrize(
    "doc_url", ["/openreferral/openapi.json", "/api/v1/openapi.json"], ids=["oruk", "v1"]
)
def test_no_server_errors(app: Flask, make: Any, doc_url: str) -> None:
    headers = _seed(make)
    failures = _fuzz(app, doc_url, headers)
    assert not failures, "\n".join(failures[:20])


def test_api_v1_document_lists_every_route(app: Flask) -> None:
    from spdirectory.openreferral.openapi import openapi_path

    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = openapi_path(rule.rule)[0].removeprefix("/api/v1")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"].get(path, {}), f"{method} {rule.rule}"
    assert doc["servers"][0]["url"].endswith("/api/v1")
    assert "/activities/{activity_id}/capacity" in doc["paths"]
