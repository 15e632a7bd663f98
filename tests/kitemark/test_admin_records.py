"""Kite-mark statuses from outside the workflow: an admin's CSV import records them as
awards (valid-until date, history) that expire and are reminded like any other; a
non-admin's import ignores them; the admin listing form cannot set one at all."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from spdirectory.accounts.models import User
from spdirectory.audit import acting_as
from spdirectory.directory.importer import ImportReport, import_csv
from spdirectory.directory.models import Activity, Organisation
from spdirectory.extensions import db
from spdirectory.kitemark import services
from spdirectory.kitemark.models import KitemarkAward, KitemarkEvent
from spdirectory.notifications.models import OutboxEmail
from tests.accounts.helpers import quick_user, signed_in

HEADER = "external_id,organisation,title,categories,postcode,kite_mark,last_reviewed"
IMPORTED_ON = date(2026, 3, 1)


def run(
    *lines: str,
    admin: User | None = None,
    honour: bool = True,
    on: date = IMPORTED_ON,
    source: str = "csv",
) -> ImportReport:
    text = "\n".join([HEADER, *lines]) + "\n"
    with acting_as(admin, label=None if admin else "import marks.csv"):
        report = import_csv(io.StringIO(text), honour_kite_mark=honour, on=on, source=source)
    db.session.expire_all()
    return report


def org_id(name: str = "Walkers") -> int:
    return db.session.scalars(select(Organisation.id).where(Organisation.name == name)).one()


def listing_marks(name: str = "Walkers") -> set[tuple[str, date | None]]:
    return {
        (a.kite_mark, a.kite_mark_valid_until)
        for a in db.session.scalars(
            select(Activity).where(Activity.organisation_id == org_id(name))
        )
    }


def awards() -> int:
    return db.session.scalar(select(func.count()).select_from(KitemarkAward)) or 0


def test_admin_import_records_an_award_with_valid_until_and_history(app: Flask) -> None:
    admin = quick_user("admin", email="admin@cvs.example.org")
    db.session.commit()
    report = run(
        "w1,Walkers,Tuesday walk,walking,LS1 1AZ,awarded,",
        "w2,Walkers,Thursday walk,walking,LS1 1AZ,awarded,",
        admin=admin,
        source="old-directory",
    )
    assert report.errors == []
    assert report.kite_marks_recorded == 1
    assert report.summary().endswith(", 1 kite mark recorded")

    award = services.award_of(org_id())
    assert award is not None
    # No last_reviewed: 12 months from the import.
    assert (award.status, award.valid_until) == ("awarded", date(2027, 3, 1))
    assert award.awarded_at is not None
    assert listing_marks() == {("awarded", date(2027, 3, 1))}

    (event,) = services.history(org_id())
    assert (event.action, event.from_status, event.to_status) == ("imported", "none", "awarded")
    assert (event.actor, event.actor_id) == ("admin@cvs.example.org", admin.id)
    assert event.valid_until == date(2027, 3, 1)
    assert "Imported from “old-directory”" in event.note
    assert "12 months from the import" in event.note


def test_last_reviewed_starts_the_12_months_and_a_lapsed_one_is_expired(app: Flask) -> None:
    run(
        "w1,Walkers,Walk,walking,LS1 1AZ,awarded,2026-01-10",
        "w2,Walkers,Walk two,walking,LS1 1AZ,awarded,2026-02-20",  # the latest review counts
        "c1,Choir,Sing,music_singing,LS1 1AZ,awarded,2024-05-01",
        "g1,Gardeners,Dig,gardening,LS1 1AZ,suspended,",
        on=date(2026, 6, 1),
    )
    walkers = services.award_of(org_id())
    assert (walkers.status, walkers.valid_until) == ("awarded", date(2027, 2, 20))
    assert "last reviewed 20 February 2026" in services.history(org_id())[0].note

    # Assured in 2024: its 12 months ran out before the import, so it arrives expired.
    choir = services.award_of(org_id("Choir"))
    assert (choir.status, choir.valid_until) == ("expired", date(2025, 5, 1))
    assert listing_marks("Choir") == {("expired", date(2025, 5, 1))}

    gardeners = services.award_of(org_id("Gardeners"))
    assert (gardeners.status, gardeners.valid_until) == ("suspended", date(2027, 6, 1))
    assert "imported" in gardeners.suspended_reason


def test_an_imported_award_is_reminded_and_expires_like_any_other(app: Flask) -> None:
    run("w1,Walkers,Walk,walking,LS1 1AZ,awarded,")
    walkers = org_id()
    quick_user("provider", organisation=db.session.get(Organisation, walkers), email="p@w.org")
    db.session.commit()

    assert services.remind(on=date(2027, 1, 29)) == []  # 31 days ahead
    assert services.remind(on=date(2027, 1, 30)) == [walkers]  # 30 days ahead
    db.session.commit()
    sent = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "kitemark_reminder"))
    assert [e.to for e in sent] == ["p@w.org"]

    assert services.expire(on=date(2027, 3, 1)) == []  # valid through its valid-until date
    assert services.expire(on=date(2027, 3, 2)) == [walkers]
    db.session.commit()
    db.session.expire_all()
    assert services.award_of(walkers).status == "expired"
    assert listing_marks() == {("expired", date(2027, 3, 1))}
    assert [e.action for e in services.history(walkers)] == ["expired", "reminded", "imported"]


def test_the_cron_command_expires_an_imported_award(app: Flask) -> None:
    run("w1,Walkers,Walk,walking,LS1 1AZ,awarded,")
    result = app.test_cli_runner().invoke(args=["kitemark", "run", "--today", "2027-03-02"])
    assert result.exit_code == 0, result.output
    assert "Expired 1 kite mark(s)" in result.output
    db.session.expire_all()
    assert listing_marks() == {("expired", date(2027, 3, 1))}


def test_re_importing_never_renews_or_revives_without_review(app: Flask) -> None:
    line = "w1,Walkers,Walk,walking,LS1 1AZ,awarded,"
    run(line)
    services.expire(on=date(2027, 3, 2))
    db.session.commit()
    report = run(line, on=date(2027, 3, 5))  # last year's file, imported again
    assert report.kite_marks_recorded == 0 and report.kite_marks_kept == 1
    assert "1 kite mark left as already recorded" in report.summary()
    assert services.award_of(org_id()).status == "expired"
    assert listing_marks() == {("expired", date(2027, 3, 1))}
    # The same status again is no news: nothing recorded, nothing reported.
    report = run("w1,Walkers,Walk,walking,LS1 1AZ,expired,", on=date(2027, 3, 6))
    assert (report.kite_marks_recorded, report.kite_marks_kept) == (0, 0)
    assert [e.action for e in services.history(org_id())] == ["expired", "imported"]


def test_a_workflow_award_wins_over_an_import(app: Flask, make: Any) -> None:
    org = make.organisation("Walkers")
    walk = make.activity(org, title="Walk")
    walk.source, walk.external_id = "csv", "w1"
    make.commit()
    award = services._locked_award(org.id)
    services._set_award(award, "suspended", date(2027, 1, 1))
    db.session.commit()
    report = run("w1,Walkers,Walk,walking,LS1 1AZ,awarded,")
    assert report.kite_marks_kept == 1
    assert listing_marks() == {("suspended", date(2027, 1, 1))}


def test_a_non_admin_import_ignores_the_column(app: Flask) -> None:
    report = run("w1,Walkers,Walk,walking,LS1 1AZ,awarded,", honour=False)
    assert report.errors == [] and report.created == 1
    assert report.summary() == "1 created, 0 updated, 0 rejected, 1 new organisations"
    assert awards() == 0
    assert db.session.scalar(select(func.count()).select_from(KitemarkEvent)) == 0
    assert listing_marks() == {("none", None)}


def test_an_admin_cannot_import_a_kite_mark_for_their_own_organisation(
    app: Flask, make: Any
) -> None:
    org = make.organisation("Walkers")
    admin = quick_user("admin", organisation=org)
    db.session.commit()
    report = run("w1,Walkers,Walk,walking,LS1 1AZ,awarded,", admin=admin)
    assert report.kite_marks_kept == 1 and report.kite_marks_recorded == 0
    assert services.award_of(org.id) is None
    assert listing_marks() == {("none", None)}


def test_an_organisations_rows_must_agree_on_its_kite_mark(app: Flask) -> None:
    report = run(
        "w1,Walkers,Walk,walking,LS1 1AZ,awarded,",
        "w2,walkers,Walk two,walking,LS1 1AZ,pending,",
        "w3,Walkers,Walk three,walking,LS1 1AZ,,",  # empty: no say in it
    )
    assert [(e.row, e.external_id) for e in report.errors] == [(3, "w2")]
    assert "differs from “awarded” in row 2" in report.errors[0].reason
    assert report.created == 2
    assert listing_marks() == {("awarded", date(2027, 3, 1))}


def test_a_listing_moved_by_import_shows_its_new_organisations_mark(app: Flask) -> None:
    run("w1,Walkers,Walk,walking,LS1 1AZ,awarded,")
    run("w1,Choir,Walk,walking,LS1 1AZ,,")  # the listing now belongs to the choir
    assert listing_marks("Choir") == {("none", None)}


def test_the_web_import_records_the_admin_and_the_history_shows_it(app: Flask) -> None:
    admin = quick_user("admin", email="admin@cvs.example.org")
    reviewer = quick_user("reviewer", email="reviewer@cvs.example.org")
    db.session.commit()
    client = app.test_client()
    token = signed_in(client, admin.email)
    csv_bytes = (HEADER + "\nw1,Walkers,Walk,walking,LS1 1AZ,awarded,\n").encode()
    response = client.post(
        "/admin/import",
        data={"csrf_token": token, "file": (io.BytesIO(csv_bytes), "marks.csv")},
    )
    assert response.status_code == 200
    assert "1 kite mark recorded" in response.get_data(as_text=True)
    (event,) = services.history(org_id())
    assert (event.action, event.actor) == ("imported", "admin@cvs.example.org")

    reviewing = app.test_client()
    signed_in(reviewing, reviewer.email)
    page = reviewing.get(f"/kite-mark/organisations/{org_id()}").get_data(as_text=True)
    assert "Status recorded by an admin (imported)" in page
    assert "Imported from “csv”" in page
    assert "admin@cvs.example.org" in page


# ------------------------------------------------------------------ the admin listing form


def listing_form(token: str, title: str, organisation_id: int) -> dict[str, str]:
    return {
        "csrf_token": token,
        "title": title,
        "categories": "walking",
        "modes": "in_person",
        "postcode": "LS1 1AZ",
        "cost": "free",
        "spare_places": "0",
        "wheelchair_accessible": "",
        "status": "published",
        "organisation_id": str(organisation_id),
        "kite_mark": "awarded",  # what the form used to take
    }


def test_the_admin_listing_form_cannot_set_a_kite_mark(app: Flask, make: Any) -> None:
    org = make.organisation("Walkers")
    walk = make.activity(org, title="Walk")
    admin = quick_user("admin")
    db.session.commit()
    client = app.test_client()
    token = signed_in(client, admin.email)

    page = client.get(f"/manage/activities/{walk.id}/edit").get_data(as_text=True)
    assert 'name="kite_mark"' not in page

    response = client.post(
        f"/manage/activities/{walk.id}/edit", data=listing_form(token, "Walk again", org.id)
    )
    assert response.status_code == 302
    response = client.post("/manage/activities/new", data=listing_form(token, "New walk", org.id))
    assert response.status_code == 302
    db.session.expire_all()
    assert listing_marks() == {("none", None)}
    assert awards() == 0


def test_a_listing_moved_by_an_admin_takes_its_new_organisations_mark(
    app: Flask, make: Any
) -> None:
    marked = make.organisation("Walkers")
    walk = make.activity(marked, title="Walk")
    plain = make.organisation("Choir")
    admin = quick_user("admin")
    db.session.commit()
    award = services._locked_award(marked.id)
    services._set_award(award, "awarded", date(2027, 6, 1))
    db.session.commit()
    assert listing_marks() == {("awarded", date(2027, 6, 1))}

    client = app.test_client()
    token = signed_in(client, admin.email)
    response = client.post(
        f"/manage/activities/{walk.id}/edit", data=listing_form(token, "Walk", plain.id)
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert listing_marks("Choir") == {("none", None)}
