"""Every route in permission_matrix.COVERED is public: anonymous GETs succeed (200, JSON,
CORS open), writes are refused with 405 and change nothing."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from spdirectory.audit import AuditEvent
from spdirectory.directory.models import Activity, Organisation
from spdirectory.extensions import db
from spdirectory.openreferral import serialise
from spdirectory.openreferral.taxonomy import TAXONOMIES, term_id
from tests.openreferral.permission_matrix import COVERED


def _urls(app: Flask, make: Any) -> dict[str, str]:
    activity = make.activity(make.organisation("Public Group"), title="Public walk")
    make.commit()
    values = {
        "service_id": activity.uuid,
        "sal_id": serialise.service_at_location_id(activity),
        "org_id": activity.organisation.uuid,
        "taxonomy_id": TAXONOMIES["needs"].id,
        "term_id": term_id("needs", "loneliness"),
    }
    urls = {}
    for rule, _method in COVERED:
        url = rule
        for name, value in values.items():
            url = url.replace(f"<string:{name}>", value)
        urls[rule] = url
    return urls


def _fingerprint() -> tuple[int, int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count(Activity.id))) or 0,
        db.session.scalar(select(func.count(Organisation.id))) or 0,
        db.session.scalar(select(func.count(AuditEvent.id))) or 0,
    )


def test_anonymous_gets_every_public_route(app: Flask, client: FlaskClient, make: Any) -> None:
    urls = _urls(app, make)
    assert all("<" not in u for u in urls.values()), urls
    for rule, url in sorted(urls.items()):
        response = client.get(url)
        assert response.status_code == 200, (rule, url, response.get_data(as_text=True)[:300])
        assert response.is_json, rule
        if url.startswith("/openreferral"):
            assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_writes_are_not_served(app: Flask, client: FlaskClient, make: Any) -> None:
    urls = _urls(app, make)
    before = _fingerprint()
    for url in urls.values():
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(url, json={"name": "changed"})
            assert response.status_code == 405, (method, url)
            assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert _fingerprint() == before
