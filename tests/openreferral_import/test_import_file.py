"""`spdirectory import FILE.json|.ndjson`: pages, lists and ndjson of ORUK services."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from spdirectory.directory.models import Activity, Organisation
from spdirectory.extensions import db
from spdirectory.openreferral.aggregation import ListingSource, SourceListing

from .helpers import page, service, term


def run_import(app: Flask, path: Path, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["import", str(path), *args])


def activities() -> list[Activity]:
    db.session.expire_all()
    return list(db.session.scalars(select(Activity).order_by(Activity.external_id)))


def test_page_object_imports_every_field(app: Flask, tmp_path: Path) -> None:
    data = page(
        [
            service(
                "svc-1",
                name="Tuesday wellbeing walk",
                categories=("walking", "green_nature"),
                needs=("loneliness",),
                sessions=(("tue", "10:00", "11:00"), ("thu", "18:30", "20:00")),
                cost=3.5,
                minimum_age=18,
                maximum_age=999,
                languages=[{"id": "l1", "code": "cy"}, {"id": "l2", "name": "English"}],
                url="https://example.org/walk",
                organization={
                    "id": "o1",
                    "name": "Hilltop Walkers",
                    "website": "https://example.org/hilltop",
                    "description": "Walks for everyone",
                    "email": "not an email",
                },
                email="walks@example.org",
            )
        ],
        1,
        1,
        1,
    )
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(data))
    result = run_import(app, path)
    assert result.exit_code == 0, result.output
    assert "1 created, 0 updated" in result.output
    [a] = activities()
    assert (a.source, a.external_id, a.status) == ("feed.json", "svc-1", "published")
    assert a.title == "Tuesday wellbeing walk"
    assert a.description == "About Tuesday wellbeing walk"
    assert a.categories == ["walking", "green_nature"]
    assert a.needs == ["loneliness"]
    assert a.schedule == "Tue 10:00-11:00; Thu 18:30-20:00"
    assert a.cost_pence == 350
    assert (a.age_min, a.age_max) == (18, None)
    assert a.languages == ["cy", "en"]
    assert a.postcode == "LS1 1AZ" and a.address == "1 Park Lane, Leeds"
    assert a.website == "https://example.org/walk" and a.email == "walks@example.org"
    assert a.organisation.name == "Hilltop Walkers"
    assert a.organisation.website == "https://example.org/hilltop"
    assert a.organisation.description == "Walks for everyone"
    link = db.session.get(SourceListing, a.id)
    assert link is not None and link.source.label == "feed.json" and link.source.kind == "file"


def test_list_and_ndjson_upsert_by_source_and_id(app: Flask, tmp_path: Path) -> None:
    listed = tmp_path / "services.json"
    listed.write_text(
        json.dumps([service("a"), service("b", name="Choir", categories=("music_singing",))])
    )
    assert run_import(app, listed).exit_code == 0
    nd = tmp_path / "services.ndjson"
    nd.write_text(
        json.dumps(service("a", name="Renamed walk")) + "\n\n" + json.dumps(service("c")) + "\n"
    )
    result = run_import(app, nd, "--source", "services.json")
    assert result.exit_code == 0, result.output
    assert "1 created, 1 updated" in result.output
    assert [(a.external_id, a.title) for a in activities()] == [
        ("a", "Renamed walk"),
        ("b", "Choir"),
        ("c", "Tuesday wellbeing walk"),
    ]
    # The same ids from another source are other listings.
    result = run_import(app, nd)
    assert "2 created" in result.output
    assert len(activities()) == 5


def test_ndjson_saved_with_a_json_name_is_read_as_ndjson(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(service("a")) + "\n" + json.dumps(service("b")) + "\n")
    result = run_import(app, path)
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output
    assert sorted(a.external_id for a in activities()) == ["a", "b"]


def test_unchanged_records_are_counted_not_rewritten(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps([service("a"), service("b")]))
    run_import(app, path)
    before = [a.updated_at for a in activities()]
    result = run_import(app, path)
    assert "0 created, 0 updated, 2 unchanged" in result.output
    assert [a.updated_at for a in activities()] == before


def test_bad_record_is_reported_with_number_and_reason_and_not_stored(
    app: Flask, tmp_path: Path
) -> None:
    path = tmp_path / "s.ndjson"
    lines = [
        json.dumps(service("good")),
        "{not json",
        json.dumps(service("no-postcode", org="Never Stored Org", postcode="")),
        json.dumps(service("bad-age", org="Never Stored Org", minimum_age=60, maximum_age=20)),
        json.dumps({"name": "no id", "organization": {"name": "X"}}),
        json.dumps(service("bad-schedule", sessions=(("mon", "12:00", "10:00"),))),
    ]
    path.write_text("\n".join(lines) + "\n")
    result = run_import(app, path)
    assert result.exit_code == 1
    out = result.output
    assert "record 2 (line 2): not JSON" in out
    assert "record 3 (line 3) (id no-postcode): postcode: enter the postcode" in out
    assert "record 4 (line 4) (id bad-age): age_min: minimum age is above maximum age" in out
    assert "record 5 (line 5): the service has no id" in out
    assert "record 6 (line 6) (id bad-schedule): schedule:" in out
    assert "1 created, 0 updated, 0 unchanged, 5 rejected" in out
    assert [a.external_id for a in activities()] == ["good"]
    # Nothing of a bad record: not even its organisation.
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Organisation)
            .where(Organisation.name == "Never Stored Org")
        )
        == 0
    )


def test_unknown_terms_are_reported_never_dropped(app: Flask, tmp_path: Path) -> None:
    odd = {"id": "t-odd", "name": "Underwater basket weaving", "taxonomy": "esd"}
    path = tmp_path / "s.json"
    path.write_text(
        json.dumps(
            [
                service("a", extra_terms=(odd,)),
                service("b", extra_terms=(odd,)),
                service("c", categories=(), extra_terms=(odd,)),
            ]
        )
    )
    result = run_import(app, path)
    assert result.exit_code == 1
    assert "1 unknown taxonomy terms" in result.output
    assert "“Underwater basket weaving” (taxonomy esd): 3 records" in result.output
    assert "record 3 (id c): categories: none of the service's taxonomy terms maps" in result.output
    source = db.session.scalar(select(ListingSource))
    assert "Underwater basket weaving" in source.last_summary


def test_mapping_override_file_maps_a_feed_taxonomy(app: Flask, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[terms]\n"esd:underwater basket weaving" = ["category:arts_crafts", "need:low_mood"]\n'
    )
    app.config["OPENREFERRAL_TAXONOMY_MAPPING"] = str(mapping)
    odd = {"id": "t-odd", "name": "Underwater basket weaving", "taxonomy": "esd"}
    path = tmp_path / "s.json"
    path.write_text(json.dumps([service("c", categories=(), extra_terms=(odd,))]))
    result = run_import(app, path)
    assert result.exit_code == 0, result.output
    [a] = activities()
    assert a.categories == ["arts_crafts"] and a.needs == ["low_mood"]


def test_availability_terms_and_inactive_status(app: Flask, tmp_path: Path) -> None:
    has_space = {**term("spdirectory availability", "has_space")}
    path = tmp_path / "s.json"
    path.write_text(
        json.dumps(
            [
                service(
                    "open",
                    attributes=[
                        {"id": "x1", "taxonomy_term": term("category", "walking")},
                        {"id": "x2", "taxonomy_term": has_space, "value": "4"},
                    ],
                ),
                service("closed", status="inactive"),
            ]
        )
    )
    result = run_import(app, path)
    assert result.exit_code == 0, result.output
    assert "1 archived (the source marks them inactive)" in result.output
    by_id = {a.external_id: a for a in activities()}
    assert (by_id["open"].spare_places, by_id["open"].waitlist_open) == (4, False)
    assert by_id["closed"].status == "archived"


def test_whole_file_problems_are_clear(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("{broken")
    result = run_import(app, path)
    assert result.exit_code == 1 and "s.json: not JSON" in result.output
    path.write_text(json.dumps({"total_items": 3}))
    result = run_import(app, path)
    assert result.exit_code == 1 and "expected a page of services" in result.output
    assert db.session.scalar(select(func.count()).select_from(ListingSource)) == 0


def test_a_bad_mapping_setting_is_a_clear_error(app: Flask, tmp_path: Path) -> None:
    app.config["OPENREFERRAL_TAXONOMY_MAPPING"] = str(tmp_path / "missing.toml")
    path = tmp_path / "s.json"
    path.write_text(json.dumps([service("a")]))
    result = run_import(app, path)
    assert result.exit_code == 1 and "missing.toml does not exist" in result.output
    assert activities() == []


def test_odd_values_reject_the_record_not_the_import(app: Flask, tmp_path: Path) -> None:
    odd = {"id": "s", "freq": "WEEKLY", "byday": "MO", "opens_at": "10:00", "interval": "often"}
    weird_schedule = service("w1", schedules=[odd | {"closes_at": "11:00"}])
    weird_cost = service("w2", cost_options=[{"id": "c", "amount": "NaN"}])
    weird_lists = service("w3", attributes="walking")
    monthly = service("m1", schedules=[{"id": "s", "freq": "MONTHLY", "byday": "1MO",
                      "opens_at": "10:00", "closes_at": "11:00"}])  # fmt: skip
    path = tmp_path / "s.json"
    path.write_text(json.dumps([weird_schedule, weird_cost, weird_lists, monthly, "text"]))
    result = run_import(app, path)
    assert result.exit_code == 1
    assert "record 1 (id w1): schedule interval “often” is not a number" in result.output
    assert "record 2 (id w2): cost_options amount “NaN” is not a number" in result.output
    assert "record 3 (id w3): attributes must be a list" in result.output
    assert "record 5: a service must be a JSON object, not str" in result.output
    assert "note: a schedule that is not a weekly session was left out (1 records)" in result.output
    assert [(a.external_id, a.schedule) for a in activities()] == [("m1", "")]
