"""CSV import: counts, upserts, row errors with spreadsheet row numbers, nothing partial."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from spdirectory.audit import AuditEvent, acting_as
from spdirectory.directory import importer
from spdirectory.directory.importer import (
    TEMPLATE_COLUMNS,
    ImportFileError,
    ImportReport,
    import_csv,
    read_rows,
    row_errors_csv,
    template_csv,
)
from spdirectory.directory.models import Activity, CapacityChange, Organisation
from spdirectory.extensions import db
from spdirectory.kitemark.models import KitemarkAward, KitemarkEvent

HEADER = "external_id,organisation,title,categories,postcode,schedule,capacity,spare_places"


def run(*lines: str, header: str = HEADER, **options: Any) -> ImportReport:
    text = "\n".join([header, *lines]) + "\n"
    report = import_csv(io.StringIO(text), **options)
    db.session.expire_all()
    return report


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def activity(external_id: str, source: str = "csv") -> Activity:
    return db.session.execute(
        select(Activity).where(Activity.external_id == external_id, Activity.source == source)
    ).scalar_one()


def errors(report: ImportReport) -> list[tuple[int, str]]:
    return [(e.row, e.reason) for e in report.errors]


def test_happy_path(app: Flask, make: Any) -> None:
    make.organisation("Hilltop Walkers")  # matched whatever the case in the file
    make.commit()
    report = run(
        "w1,hilltop walkers,Tuesday walk,walking,LS1 1AZ,Tue 10:00-11:00,20,5",
        "w2,Hilltop Walkers,Thursday walk,walking;green_nature,LS1 1BA,thu 18.30-20.00,10,0",
        "c1,Leeds Choir,Sing together,music_singing,LS6 4AB,,,",
    )
    assert errors(report) == []
    assert (report.created, report.updated, report.organisations_created) == (3, 0, 1)
    assert report.summary() == "3 created, 0 updated, 0 rejected, 1 new organisations"
    assert count(Activity) == 3
    assert count(Organisation) == 2
    walk = activity("w2")
    assert walk.organisation.name == "Hilltop Walkers"
    assert walk.categories == ["walking", "green_nature"]
    assert walk.schedule == "Thu 18:30-20:00"
    assert [(s.day_index, s.starts.hour) for s in walk.sessions] == [(3, 18)]
    assert (walk.capacity, walk.spare_places, walk.source) == (10, 0, "csv")
    choir = activity("c1")
    assert choir.organisation.name == "Leeds Choir"
    assert (choir.capacity, choir.spare_places, choir.postcode) == (None, 0, "LS6 4AB")


def test_upsert_by_source_and_external_id(app: Flask, make: Any) -> None:
    run("w1,Walkers,Tuesday walk,walking,LS1 1AZ,,20,5")
    first_id = activity("w1").id
    report = run("w1,Walkers,Tuesday walk (longer),walking,LS1 1AZ,,20,2")
    assert (report.created, report.updated, report.organisations_created) == (0, 1, 0)
    assert count(Activity) == 1
    walk = activity("w1")
    assert walk.id == first_id
    assert (walk.title, walk.spare_places) == ("Tuesday walk (longer)", 2)
    # The same id from another source is another activity.
    report = run("w1,Walkers,Their walk,walking,LS1 1AZ,,20,2", source="council")
    assert (report.created, report.updated) == (1, 0)
    assert count(Activity) == 2
    assert activity("w1").title == "Tuesday walk (longer)"
    assert activity("w1", source="council").title == "Their walk"


def test_upsert_moves_activity_to_the_named_organisation(app: Flask, make: Any) -> None:
    run("w1,Walkers,Tuesday walk,walking,LS1 1AZ,,20,5")
    report = run("w1,New Walkers CIC,Tuesday walk,walking,LS1 1AZ,,20,5")
    assert (report.updated, report.organisations_created) == (1, 1)
    assert activity("w1").organisation.name == "New Walkers CIC"


def test_rows_without_external_id_always_create(app: Flask, make: Any) -> None:
    run(",Walkers,Walk,walking,LS1 1AZ,,,")
    report = run(",Walkers,Walk,walking,LS1 1AZ,,,")
    assert report.created == 1
    assert count(Activity) == 2


def test_repeated_external_id_in_one_file_updates_the_first(app: Flask, make: Any) -> None:
    report = run(
        "w1,Walkers,First,walking,LS1 1AZ,,,",
        "w1,Walkers,Second,walking,LS1 1AZ,,,",
    )
    assert errors(report) == []
    assert count(Activity) == 1
    assert activity("w1").title == "Second"


def test_bad_rows_reported_with_row_numbers_and_nothing_partial(app: Flask, make: Any) -> None:
    make.organisation("Existing Org")
    make.commit()
    orgs_before = count(Organisation)
    report = run(
        "ok1,Existing Org,Good walk,walking,LS1 1AZ,,10,2",  # row 2
        "bad1,Ghost Org,Swim,swimming,LS1 1AZ,,10,2",  # row 3: unknown category
        "ok2,New Org,Good choir,music_singing,LS1 1AZ,,,",  # row 4
        "bad2,Another Ghost,Walk,walking,LS1 1ZZ,,3,5",  # row 5: postcode, spare > capacity
        "bad3,,Walk,walking,LS1 1AZ,Mon 25:00-26:00,,",  # row 6: no organisation, schedule
        "bad4,New Org,,walking,LS1 1AZ,,,",  # row 7: no title (its org is known: fine)
    )
    assert (report.created, report.updated, report.rejected) == (2, 0, 4)
    assert report.organisations_created == 1  # New Org only
    assert [(e.row, e.external_id) for e in report.errors] == [
        (3, "bad1"),
        (5, "bad2"),
        (6, "bad3"),
        (7, "bad4"),
    ]
    reasons = dict(errors(report))
    assert reasons[3] == "categories: unknown category 'swimming'"
    assert "postcode: We cannot find the postcode “LS1 1ZZ”" in reasons[5]
    assert "spare_places: spare places (5) cannot be more than capacity (3)" in reasons[5]
    assert "organisation: enter the organisation's name" in reasons[6]
    assert "schedule: “25:00” is not a valid start time" in reasons[6]
    assert reasons[7] == "title: enter a title"
    # Nothing of a rejected row was stored: no activity and no organisation.
    assert count(Activity) == 2
    assert count(Organisation) == orgs_before + 1
    names = set(db.session.scalars(select(Organisation.name)))
    assert "Ghost Org" not in names and "Another Ghost" not in names
    assert count(AuditEvent, AuditEvent.entity == "organisation") == orgs_before + 1


def test_rejected_row_leaves_the_existing_activity_alone(app: Flask, make: Any) -> None:
    run("w1,Walkers,Tuesday walk,walking,LS1 1AZ,,20,5")
    report = run("w1,Walkers,Renamed,swimming,LS1 1AZ,,20,1")
    assert errors(report) == [(2, "categories: unknown category 'swimming'")]
    assert (report.created, report.updated) == (0, 0)
    walk = activity("w1")
    assert (walk.title, walk.spare_places) == ("Tuesday walk", 5)


def test_organisation_problems_reported_with_listing_problems(app: Flask, make: Any) -> None:
    report = run(
        f"{'x' * 201},{'O' * 201},club,,walking,LS1 1AZ",
        header="external_id,organisation,organisation_type,title,categories,postcode",
    )
    (problem,) = report.errors
    assert problem.row == 2
    for part in (
        "external_id: must be 200 characters or fewer",
        "organisation: the organisation's name must be 200 characters or fewer",
        "organisation_type: unknown organisation type “club”",
        "title: enter a title",
    ):
        assert part in problem.reason
    assert count(Organisation) == 0


def test_row_with_too_many_cells(app: Flask, make: Any) -> None:
    report = run(
        "w1,Walkers,Walk,walking,LS1 1AZ,,10,2,surprise",
        "w2,Walkers,Walk,walking,LS1 1AZ,,10,2,,",  # empty extra cells are harmless
        "w3,Walkers,Walk,walking,LS1 1AZ",  # missing cells are empty
    )
    assert errors(report) == [(2, "the row has more cells than the header")]
    assert report.created == 2
    assert activity("w3").capacity is None


def test_blank_lines_skipped_and_rows_counted_like_a_spreadsheet(app: Flask, make: Any) -> None:
    text = (
        f"{HEADER}\n"
        "w1,Walkers,Walk,walking,LS1 1AZ,,,\n"  # row 2
        "\n"  # row 3: blank
        ",,,,,,,\n"  # row 4: only commas
        'w2,Walkers,"Walk\nwith a line break",walking,LS1 1AZ,,,\n'  # row 5 (two lines)
        "w3,Walkers,Swim,swimming,LS1 1AZ,,,\n"  # row 6
    )
    report = import_csv(io.StringIO(text))
    assert report.created == 2
    assert errors(report) == [(6, "categories: unknown category 'swimming'")]


def test_header_is_forgiving_about_case_spaces_order_and_bom(app: Flask, make: Any) -> None:
    report = run(
        "Walk,walking,LS1 1AZ,Walkers",
        header="\ufeff Title ,CATEGORIES,postcode,Organisation",
    )
    assert errors(report) == []
    assert report.created == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty"),
        ("title,categories\nWalk,walking\n", "lacks the column(s) organisation"),
        ("external_id\nw1\n", "lacks the column(s) categories, organisation, title"),
        ("organisation,title,categories,colour\nA,B,walking,red\n", "Unknown column(s)"),
        ("organisation,title,categories,title\nA,B,walking,C\n", "repeats the column(s) title"),
    ],
)
def test_unreadable_files(text: str, message: str) -> None:
    # The header is checked before any row is read, so nothing can have been stored.
    with pytest.raises(ImportFileError) as caught:
        list(read_rows(io.StringIO(text)))
    assert message in str(caught.value)


def test_unknown_column_named_in_the_message() -> None:
    with pytest.raises(ImportFileError, match="colour, size"):
        list(read_rows(io.StringIO("organisation,title,categories,colour,size\n")))


def test_bad_header_stores_nothing(app: Flask, make: Any) -> None:
    with pytest.raises(ImportFileError):
        import_csv(io.StringIO("organisation,title,categorys\nA,Walk,walking\n"))
    assert count(Activity) == 0 and count(Organisation) == 0


def test_kite_mark_honoured_only_when_asked(app: Flask, make: Any) -> None:
    header = f"{HEADER},kite_mark"
    run("w1,Walkers,Walk,walking,LS1 1AZ,,,,awarded", header=header)
    assert activity("w1").kite_mark == "none"
    assert count(KitemarkAward) == 0
    run("w1,Walkers,Walk,walking,LS1 1AZ,,,,awarded", header=header, honour_kite_mark=True)
    assert activity("w1").kite_mark == "awarded"
    # Recorded on the organisation, with a valid-until date, as the workflow records it.
    award = db.session.get(KitemarkAward, activity("w1").organisation_id)
    assert award is not None and award.status == "awarded" and award.valid_until
    assert activity("w1").kite_mark_valid_until == award.valid_until
    # A provider's re-import cannot take the mark away either.
    run("w1,Walkers,Walk,walking,LS1 1AZ,,,,suspended", header=header)
    assert activity("w1").kite_mark == "awarded"


def test_same_new_organisation_in_different_case_is_one_organisation(app: Flask, make: Any) -> None:
    report = run(
        "w1,Sunny Gardeners,Dig,gardening,LS1 1AZ,,,",
        "w2,SUNNY GARDENERS,Plant,gardening,LS1 1AZ,,,",
        "w3, sunny gardeners ,Weed,gardening,LS1 1AZ,,,",
    )
    assert errors(report) == []
    assert report.organisations_created == 1
    assert count(Organisation) == 1
    assert {a.organisation.name for a in db.session.scalars(select(Activity))} == {
        "Sunny Gardeners"
    }


def _break_at_database(monkeypatch: pytest.MonkeyPatch, title: str) -> None:
    """Make rows with this title fail at the database (a CHECK constraint), not in validation."""
    real = importer.apply_listing

    def apply(activity: Activity, clean: Any) -> None:
        real(activity, clean)
        if activity.title == title:
            activity.spare_places = -1

    monkeypatch.setattr(importer, "apply_listing", apply)


def test_database_failure_loses_only_its_own_row(
    app: Flask, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _break_at_database(monkeypatch, "Breaks")
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    report = run(
        "a,Org A,Walk A,walking,LS1 1AZ,,,",  # row 2 \ batch 1
        "b,Org B,Walk B,walking,LS1 1AZ,,,",  # row 3 /
        "c,Org C,Breaks,walking,LS1 1AZ,,,",  # row 4 \ batch 2: fails at commit
        "d,Org D,Walk D,walking,LS1 1AZ,,,",  # row 5 /
        "e,Org A,Walk E,walking,LS1 1AZ,,,",  # row 6   batch 3
    )
    assert [(e.row, e.external_id) for e in report.errors] == [(4, "c")]
    assert report.errors[0].reason.startswith("could not be stored: ")
    assert (report.created, report.updated, report.organisations_created) == (4, 0, 3)
    assert sorted(db.session.scalars(select(Activity.external_id))) == ["a", "b", "d", "e"]
    assert sorted(db.session.scalars(select(Organisation.name))) == ["Org A", "Org B", "Org D"]
    # Audit and capacity history hold nothing of the failed row either.
    assert count(AuditEvent, AuditEvent.entity == "activity") == 4
    assert count(CapacityChange) == 4


def test_database_failure_records_the_other_rows_kite_marks_once(
    app: Flask, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _break_at_database(monkeypatch, "Breaks")
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    report = run(
        "a,Org A,Walk A,walking,LS1 1AZ,,,,awarded",  # batch 1
        "c,Org C,Breaks,walking,LS1 1AZ,,,,awarded",  # batch 2: fails at the database
        "d,Org D,Walk D,walking,LS1 1AZ,,,,pending",
        header=f"{HEADER},kite_mark",
        honour_kite_mark=True,
    )
    assert [(e.row, e.external_id) for e in report.errors] == [(3, "c")]
    assert (report.kite_marks_recorded, report.kite_marks_kept) == (2, 0)
    statuses = db.session.execute(
        select(Organisation.name, KitemarkAward.status).join(
            KitemarkAward, KitemarkAward.organisation_id == Organisation.id
        )
    ).all()
    assert sorted(statuses) == [("Org A", "awarded"), ("Org D", "pending")]
    assert count(KitemarkEvent) == 2


def test_capacity_history_written_with_reason_import(app: Flask, make: Any) -> None:
    header = f"{HEADER},capacity_updated"
    run("w1,Walkers,Walk,walking,LS1 1AZ,,20,5,2026-11-01", header=header)
    walk = activity("w1")
    assert walk.capacity_updated_at == datetime(2026, 11, 1, tzinfo=UTC)
    history = db.session.scalars(select(CapacityChange)).all()
    assert [(h.activity_id, h.reason, h.capacity, h.spare_places) for h in history] == [
        (walk.id, "import", 20, 5)
    ]
    assert history[0].at == datetime(2026, 11, 1, tzinfo=UTC)
    # A re-import that changes nothing about capacity adds no history...
    run("w1,Walkers,Walk renamed,walking,LS1 1AZ,,20,5,2026-11-01", header=header)
    assert count(CapacityChange) == 1
    # ...one that does, adds a row.
    run("w1,Walkers,Walk renamed,walking,LS1 1AZ,,20,1,2026-11-02", header=header)
    latest = db.session.scalars(select(CapacityChange).order_by(CapacityChange.id)).all()[-1]
    assert (latest.reason, latest.spare_places) == ("import", 1)
    assert count(CapacityChange) == 2


def test_changed_capacity_without_a_date_counts_as_current(app: Flask, make: Any) -> None:
    header = f"{HEADER},capacity_updated"
    run("w1,Walkers,Walk,walking,LS1 1AZ,,20,5,2026-01-01", header=header)
    # Same figures, no date: the listing keeps its date.
    run("w1,Walkers,Walk,walking,LS1 1AZ,,20,5")
    assert activity("w1").capacity_updated_at == datetime(2026, 1, 1, tzinfo=UTC)
    # New figures, no date: they are today's, like an edit in the listing form.
    before = datetime.now(UTC)
    run("w1,Walkers,Walk,walking,LS1 1AZ,,20,4")
    walk = activity("w1")
    assert walk.capacity_updated_at >= before
    assert not walk.is_stale(30)
    latest = db.session.scalars(select(CapacityChange).order_by(CapacityChange.id)).all()[-1]
    assert (latest.reason, latest.spare_places, latest.at) == (
        "import",
        4,
        walk.capacity_updated_at,
    )


def test_import_reason_does_not_label_a_later_edit(app: Flask, make: Any) -> None:
    run("w1,Walkers,Walk,walking,LS1 1AZ,,20,5")
    run("w1,Walkers,Walk,walking,LS1 1AZ,,20,5")  # nothing changes: no history row
    walk = activity("w1")
    walk.spare_places = 2  # then an edit in the same session
    db.session.commit()
    reasons = db.session.scalars(select(CapacityChange.reason).order_by(CapacityChange.id))
    assert list(reasons) == ["import", "edit"]


def test_audit_events_written_with_the_actor(app: Flask, make: Any) -> None:
    admin = make.user("admin", email="importer@example.org")
    make.commit()
    with acting_as(admin, "import walks.csv"):
        run("w1,Walkers,Walk,walking,LS1 1AZ,,,")
    with acting_as(label="nightly sync"):
        run("w1,Walkers,Walk again,walking,LS1 1AZ,,,")
    walk = activity("w1")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "activity").order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.entity_id, e.user_id, e.actor) for e in events] == [
        ("create", walk.id, admin.id, "import walks.csv"),
        ("update", walk.id, None, "nightly sync"),
    ]
    assert events[0].changes["title"] == [None, "Walk"]
    assert events[1].changes["title"] == ["Walk", "Walk again"]
    org_event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "organisation")
    ).one()
    assert (org_event.action, org_event.actor) == ("create", "import walks.csv")


def test_template_imports_cleanly(app: Flask, make: Any) -> None:
    text = template_csv()
    assert next(csv.reader(io.StringIO(text))) == TEMPLATE_COLUMNS
    report = import_csv(io.StringIO(text), honour_kite_mark=True)
    assert errors(report) == []
    assert (report.created, report.organisations_created) == (1, 1)
    db.session.expire_all()
    walk = activity("walk-001")
    assert walk.organisation.name == "Hilltop Walkers"
    assert walk.postcode == "LS8 2HH"
    assert walk.schedule == "Tue 10:00-11:00"
    assert walk.wheelchair_accessible is True
    assert walk.cost_pence == 0
    assert (walk.capacity, walk.spare_places) == (20, 5)
    assert walk.website == "https://example.org/walks"


def test_progress_reports_every_row(app: Flask, make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    seen: list[int] = []
    lines = [f"w{i},Walkers,Walk {i},walking,LS1 1AZ,,," for i in range(5)]
    text = "\n".join([HEADER, *lines, "bad,Walkers,,walking,LS1 1AZ,,,"])
    report = import_csv(io.StringIO(text), progress=seen.append)
    assert seen == [2, 2, 2]
    assert (report.created, report.rejected) == (5, 1)


def test_row_errors_csv(app: Flask, make: Any) -> None:
    report = run("w1,Walkers,,walking,LS1 1AZ,,,")
    rows = list(csv.reader(io.StringIO(row_errors_csv(report))))
    assert rows == [["row", "external_id", "reason"], ["2", "w1", "title: enter a title"]]


def test_update_keeps_the_columns_the_file_does_not_have(app: Flask) -> None:
    full = (
        "external_id,organisation,title,categories,needs,description,postcode,schedule,"
        "languages,cost,age_min,wheelchair_accessible,capacity,spare_places,waitlist"
    )
    run(
        "k1,Kirkstall Club,Chair yoga,physical_activity,loneliness;low_mood,Gentle stretches,"
        "LS5 3BT,Wed 14:00-15:00,English;Polish,2.50,60,yes,12,4,yes",
        header=full,
    )
    # A provider's system sends only what changed: spare places.
    report = run(
        "k1,Kirkstall Club,Chair yoga,physical_activity,0",
        header="external_id,organisation,title,categories,spare_places",
    )
    assert errors(report) == [] and report.updated == 1
    item = activity("k1")
    assert item.spare_places == 0
    assert item.description == "Gentle stretches"
    assert item.needs == ["loneliness", "low_mood"]
    assert item.schedule == "Wed 14:00-15:00" and len(item.sessions) == 1
    assert item.languages == ["en", "pl"]
    assert (item.cost_pence, item.age_min, item.wheelchair_accessible) == (250, 60, True)
    assert (item.capacity, item.waitlist_open, item.postcode) == (12, True, "LS5 3BT")
    # A column that is present but empty still clears its value.
    run(
        "k1,Kirkstall Club,Chair yoga,physical_activity,",
        header="external_id,organisation,title,categories,description",
    )
    assert activity("k1").description == ""
