"""The /openreferral read API: every response validates against ORUK 3.0 (offline), ids are
stable, only published listings appear, filters and paging behave as the standard says."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from spdirectory.directory.models import Activity
from spdirectory.extensions import db
from spdirectory.openreferral.taxonomy import TAXONOMIES, term_id
from tests.openreferral import oruk
from tests.openreferral.conftest import Directory

pytestmark = pytest.mark.usefixtures("needs_standards")

LISTS = {
    "/openreferral/services": "/services",
    "/openreferral/services?full=true": "/services",
    "/openreferral/services?minimal=true": "/services",
    "/openreferral/service_at_locations": "/service_at_locations",
    "/openreferral/service_at_locations?full=true": "/service_at_locations",
    "/openreferral/service_at_locations?postcode=LS1+1AZ&proximity=100000": (
        "/service_at_locations"
    ),
    "/openreferral/organizations": "/organizations",
    "/openreferral/taxonomies": "/taxonomies",
    "/openreferral/taxonomy_terms": "/taxonomy_terms",
}
DETAIL = {
    "/services": "/services/{id}",
    "/service_at_locations": "/service_at_locations/{id}",
    "/organizations": "/organizations/{id}",
    "/taxonomies": "/taxonomies/{id}",
    "/taxonomy_terms": "/taxonomy_terms/{id}",
}


def get_json(client: FlaskClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, (url, response.get_data(as_text=True)[:500])
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.get_json()


def ids_of(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["contents"]]


def test_root_names_the_standard_and_its_openapi(client: FlaskClient) -> None:
    body = get_json(client, "/openreferral/")
    oruk.assert_valid("/", body)
    assert body["version"] == "HSDS-UK-3.0"
    assert body["profile"].startswith("https://")
    spec = get_json(client, body["openapi_url"].removeprefix("http://localhost"))
    assert spec["openapi"].startswith("3.") and "/services/{id}" in spec["paths"]


def test_every_list_and_every_record_validates(client: FlaskClient, directory: Directory) -> None:
    seen = 0
    for url, template in LISTS.items():
        body = get_json(client, url)
        oruk.assert_valid(template, body)
        assert body["contents"], f"{url} is empty, so validating it proves little"
        for record_id in ids_of(body):
            record = get_json(client, f"/openreferral{template}/{record_id}")
            oruk.assert_valid(DETAIL[template], record)
            seen += 1
    assert seen > 20


def test_full_service_is_fully_nested(client: FlaskClient, directory: Directory) -> None:
    rich = directory.listings["rich"]
    body = get_json(client, f"/openreferral/services/{rich.uuid}")
    oruk.assert_valid("/services/{id}", body)
    assert body["id"] == rich.uuid and body["status"] == "active"
    assert body["organization"]["name"] == "Leeds Walkers"
    assert body["organization"]["website"] == "https://www.leedswalkers.example.org"
    assert body["organization"]["organization_identifiers"][0]["identifier"] == "1234567"
    assert body["minimum_age"] == 18 and body["maximum_age"] == 99
    assert body["accreditations"].startswith("Kite-marked")
    # RFC 5545 form: the same times on Monday and Thursday are one WEEKLY rule.
    rules = {(s["byday"], s["opens_at"], s["closes_at"]) for s in body["schedules"]}
    assert rules == {("MO,TH", "10:00", "11:30"), ("SA", "09:00", "10:00")}
    assert all(s["freq"] == "WEEKLY" and s["interval"] == 1 for s in body["schedules"])
    (sal,) = body["service_at_locations"]
    location = sal["location"]
    assert location["location_type"] == "physical"
    assert location["latitude"] == pytest.approx(rich.latitude)
    (address,) = location["addresses"]
    assert address["postal_code"] == "LS1 1AZ" and address["city"] == "Leeds"
    assert address["address_1"] == "Princes Avenue" and location["name"] == "Roundhay Park Cafe"
    assert location["accessibility"][0]["description"] == "Wheelchair accessible"
    assert body["cost_options"][0]["amount"] == 0
    assert {lang["code"] for lang in body["languages"]} == {"en", "pl"}
    (contact,) = body["contacts"]
    assert contact["name"] == "Sam Walker" and contact["phones"][0]["number"] == "0113 496 0001"
    terms = {
        (a["taxonomy_term"]["taxonomy"], a["taxonomy_term"]["code"]): a for a in body["attributes"]
    }
    assert (TAXONOMIES["categories"].name, "walking") in terms
    assert (TAXONOMIES["needs"].name, "loneliness") in terms
    assert (TAXONOMIES["kite_mark"].name, "awarded") in terms
    availability = terms[(TAXONOMIES["availability"].name, "has_space")]
    assert availability["value"] == "4"
    assert availability["taxonomy_term_id"] == term_id("availability", "has_space")


def test_optional_fields_are_omitted_not_null(client: FlaskClient, directory: Directory) -> None:
    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                assert item is not None and item != [] and item != {}, f"{where}.{key}"
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{where}[{i}]")

    online = directory.listings["online"]
    body = get_json(client, f"/openreferral/services/{online.uuid}")
    walk(body, "service")
    assert "service_at_locations" not in body and "cost_options" not in body
    assert "schedules" not in body and "url" not in body
    choir_org = get_json(client, f"/openreferral/organizations/{directory.orgs['choir'].uuid}")
    walk(choir_org, "organization")
    assert choir_org["description"] == ""  # required by the schema, so kept
    assert "email" not in choir_org and "website" not in choir_org


def test_only_published_listings_are_visible(client: FlaskClient, directory: Directory) -> None:
    listed = ids_of(get_json(client, "/openreferral/services?per_page=100"))
    assert sorted(listed) == sorted(directory.listings[k].uuid for k in ("rich", "online", "paid"))
    for hidden in ("draft", "archived"):
        body = get_json(client, f"/openreferral/services/{directory.listings[hidden].uuid}", 404)
        assert body["error"]["code"] == "not_found"
    orgs = ids_of(get_json(client, "/openreferral/organizations"))
    assert directory.orgs["hidden"].uuid not in orgs
    get_json(client, f"/openreferral/organizations/{directory.orgs['hidden'].uuid}", 404)
    sals = get_json(client, "/openreferral/service_at_locations")["contents"]
    assert {s["service_id"] for s in sals} == {
        directory.listings["rich"].uuid,
        directory.listings["paid"].uuid,
    }


def test_ids_are_stable_across_requests_and_schedule_rewrites(
    app: Flask, client: FlaskClient, directory: Directory
) -> None:
    rich = directory.listings["rich"]
    first = get_json(client, f"/openreferral/services/{rich.uuid}")
    # Rewriting the schedule recreates its session rows; published ids must not change.
    activity = db.session.get(Activity, rich.id)
    assert activity is not None
    activity.schedule = "Mon 10:00-11:30; Thu 10:00-11:30; Sat 09:00-10:00"
    activity.sessions.clear()
    db.session.commit()
    second = get_json(client, f"/openreferral/services/{rich.uuid}")
    assert first["schedules"] == second["schedules"]
    assert first["service_at_locations"] == second["service_at_locations"]
    assert first["attributes"] == second["attributes"]
    # Term ids are uuid5 of their code, frozen: other directories map them once.
    assert term_id("categories", "walking") == "5a44dc1d-6618-570f-8ffa-0cddc76cea2a"


def test_every_id_is_a_uuid_and_unique_per_entity(
    client: FlaskClient, directory: Directory
) -> None:
    kinds: dict[str, set[str]] = {}

    def collect(value: Any, kind: str) -> None:
        if isinstance(value, dict):
            if "id" in value:
                uuid.UUID(value["id"])
                kinds.setdefault(value["id"], set()).add(kind)
            for key, item in value.items():
                collect(item, key)
        elif isinstance(value, list):
            for item in value:
                collect(item, kind)

    for listing in ("rich", "paid", "online"):
        body = get_json(client, f"/openreferral/services/{directory.listings[listing].uuid}")
        collect(body, "service")
    clashes = {i: k for i, k in kinds.items() if len(k) > 1}
    assert not clashes


def test_paging_walks_first_middle_and_last_page(
    app: Flask, client: FlaskClient, make: Any
) -> None:
    org = make.organisation("Pager")
    for n in range(7):
        make.activity(org, title=f"Paged activity {n}")
    make.commit()
    seen: list[str] = []
    for page in (1, 2, 3):
        body = get_json(client, f"/openreferral/services?per_page=3&page={page}")
        oruk.assert_valid("/services", body)
        assert not oruk.paging_errors(body, per_page=3, page=page)
        assert body["total_items"] == 7 and body["total_pages"] == 3
        seen += ids_of(body)
    assert len(seen) == len(set(seen)) == 7
    past = get_json(client, "/openreferral/services?per_page=3&page=4")
    assert past["empty"] is True and past["contents"] == [] and past["last_page"] is True
    assert not oruk.paging_errors(past, per_page=3, page=4)
    for url in ("/openreferral/taxonomy_terms", "/openreferral/organizations"):
        total = get_json(client, url)["total_items"]
        last = -(-total // 2)
        for page in sorted({1, max(1, last // 2), last}):
            body = get_json(client, f"{url}?per_page=2&page={page}")
            assert not oruk.paging_errors(body, per_page=2, page=page)


def test_paging_check_catches_a_lying_envelope() -> None:
    body = {
        "total_items": 5,
        "total_pages": 1,
        "page_number": 1,
        "size": 2,
        "first_page": True,
        "last_page": True,
        "empty": False,
        "contents": [{}, {}],
    }
    assert oruk.paging_errors(body, per_page=2, page=1)


def test_filters(client: FlaskClient, directory: Directory) -> None:
    rich, online, paid = (directory.listings[k] for k in ("rich", "online", "paid"))

    def found(query: str) -> set[str]:
        body = get_json(client, f"/openreferral/services?{query}")
        oruk.assert_valid("/services", body)
        return set(ids_of(body))

    assert found(f"taxonomy_term_id={term_id('categories', 'walking')}") == {rich.uuid}
    assert found(f"taxonomy_term_id={term_id('availability', 'waitlist_open')}") == {online.uuid}
    assert found(f"taxonomy_term_id={term_id('availability', 'full')}") == {paid.uuid}
    either = f"{term_id('categories', 'walking')},{term_id('needs', 'low_mood')}"
    assert found(f"taxonomy_term_id={either}") == {rich.uuid, paid.uuid}
    assert found(f"taxonomy_id={TAXONOMIES['needs'].id}") == {rich.uuid, paid.uuid}
    assert found(f"taxonomy_term_id={uuid.uuid4()}") == set()
    assert found(f"organization_id={directory.orgs['choir'].uuid}") == {paid.uuid}
    assert found("search=choir") == {paid.uuid}
    assert found("search=leeds+walkers") == {rich.uuid, online.uuid}  # organisation name
    assert found("search=100%25") == set()  # % is literal, not a wildcard
    assert found("minimum_age=10&maximum_age=17") == {online.uuid}
    assert found("minimum_age=65") == {rich.uuid, online.uuid, paid.uuid}
    assert found("day=thu") == {rich.uuid}
    assert found("day=WE") == {paid.uuid}
    assert found("day=saturday&taxonomy_term_id=" + term_id("modes", "in_person")) == {rich.uuid}
    assert found("modified_after=2000-01-01") == {rich.uuid, online.uuid, paid.uuid}
    assert found("modified_after=2999-01-01T00:00:00Z") == set()


def test_minimal_and_ndjson(client: FlaskClient, directory: Directory) -> None:
    minimal = get_json(client, "/openreferral/services?minimal=true")
    oruk.assert_valid("/services", minimal)
    assert all(set(s) == {"id", "name", "status", "last_modified"} for s in minimal["contents"])
    response = client.get("/openreferral/services?format=ndjson&full=true")
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert len(lines) == 3
    for service in lines:
        oruk.assert_valid("/services/{id}", service)


def test_proximity_sorts_nearest_first_and_limits(
    client: FlaskClient, directory: Directory
) -> None:
    rich, paid = directory.listings["rich"], directory.listings["paid"]
    body = get_json(client, "/openreferral/service_at_locations?postcode=LS1+1AZ&proximity=50000")
    assert [s["service_id"] for s in body["contents"]] == [rich.uuid, paid.uuid]
    near = get_json(client, "/openreferral/service_at_locations?postcode=ls11az&proximity=2000")
    assert [s["service_id"] for s in near["contents"]] == [rich.uuid]
    assert near["total_items"] == 1
    sal_id = near["contents"][0]["id"]
    one = get_json(client, f"/openreferral/service_at_locations/{sal_id}")
    oruk.assert_valid("/service_at_locations/{id}", one)
    assert one["service"]["id"] == rich.uuid


@pytest.mark.parametrize(
    "url, field",
    [
        ("/openreferral/services?page=0", "page"),
        ("/openreferral/services?per_page=abc", "per_page"),
        ("/openreferral/services?per_page=100000", "per_page"),
        ("/openreferral/services?taxonomy_term_id=walking", "taxonomy_term_id"),
        ("/openreferral/services?organization_id=1", "organization_id"),
        ("/openreferral/services?modified_after=yesterday", "modified_after"),
        ("/openreferral/services?minimum_age=-1", "minimum_age"),
        ("/openreferral/services?day=someday", "day"),
        ("/openreferral/services?full=maybe", "full"),
        ("/openreferral/services?format=xml", "format"),
        ("/openreferral/service_at_locations?postcode=NOTAPOSTCODE", "postcode"),
        ("/openreferral/service_at_locations?proximity=100", "proximity"),
        ("/openreferral/service_at_locations?postcode=LS1+1AZ&proximity=0", "proximity"),
    ],
)
def test_bad_parameters_get_a_clear_400(client: FlaskClient, url: str, field: str) -> None:
    body = get_json(client, url, 400)
    assert body["error"]["code"] == "bad_request"
    assert field in body["error"]["fields"], body


def test_unknown_records_are_json_404s(client: FlaskClient) -> None:
    for url in (
        f"/openreferral/services/{uuid.uuid4()}",
        "/openreferral/services/not-a-uuid",
        f"/openreferral/service_at_locations/{uuid.uuid4()}",
        f"/openreferral/organizations/{uuid.uuid4()}",
        f"/openreferral/taxonomies/{uuid.uuid4()}",
        f"/openreferral/taxonomy_terms/{uuid.uuid4()}",
        "/openreferral/no-such-endpoint",
    ):
        assert get_json(client, url, 404)["error"]["code"] == "not_found"


def test_lists_do_not_query_per_row(app: Flask, client: FlaskClient, make: Any) -> None:
    def statements(url: str) -> int:
        count = 0

        def count_it(*_: Any) -> None:
            nonlocal count
            count += 1

        event.listen(db.engine, "before_cursor_execute", count_it)
        try:
            get_json(client, url)
        finally:
            event.remove(db.engine, "before_cursor_execute", count_it)
        return count

    urls = [
        "/openreferral/services?full=true&per_page=100",
        "/openreferral/service_at_locations?full=true&per_page=100",
        "/openreferral/service_at_locations?postcode=LS1+1AZ&per_page=100",
        "/openreferral/organizations?per_page=100",
    ]
    make.activity(make.organisation(), title="Only one")
    make.commit()
    few = [statements(u) for u in urls]
    for n in range(12):
        make.activity(make.organisation(), title=f"Many {n}", languages="English, Urdu")
    make.commit()
    assert [statements(u) for u in urls] == few


def test_taxonomies_publish_our_vocabularies(client: FlaskClient) -> None:
    body = get_json(client, "/openreferral/taxonomies")
    oruk.assert_valid("/taxonomies", body)
    assert {t["name"] for t in body["contents"]} == {t.name for t in TAXONOMIES.values()}
    needs = get_json(client, f"/openreferral/taxonomies/{TAXONOMIES['needs'].id}")
    oruk.assert_valid("/taxonomies/{id}", needs)
    assert {t["code"] for t in needs["taxonomy_terms"]} >= {"loneliness", "low_mood"}
    terms = get_json(client, f"/openreferral/taxonomy_terms?taxonomy_id={TAXONOMIES['modes'].id}")
    assert {t["code"] for t in terms["contents"]} == {"in_person", "online", "phone"}
    searched = get_json(client, "/openreferral/taxonomy_terms?search=lonel")
    assert [t["code"] for t in searched["contents"]] == ["loneliness"]
    assert get_json(client, f"/openreferral/taxonomy_terms?parent_id={uuid.uuid4()}")["empty"]
