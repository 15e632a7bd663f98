"""Audit trail: who changed what, old → new, written in the same transaction."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_login import login_user
from sqlalchemy import select

from spdirectory.audit import AuditEvent, acting_as, current_actor
from spdirectory.directory.models import Activity, Organisation
from spdirectory.extensions import db
from tests.factories import PASSWORD


def events(entity: str, entity_id: int | None = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.entity == entity).order_by(AuditEvent.id)
    if entity_id is not None:
        stmt = stmt.where(AuditEvent.entity_id == entity_id)
    return list(db.session.scalars(stmt))


def test_create_update_delete_with_old_and_new_values(app: Flask, make: Any) -> None:
    admin = make.user("admin", email="admin@example.org")
    make.commit()
    with acting_as(admin, "admin console"):
        org = Organisation(name="Hilltop Walkers", org_type="charity")
        db.session.add(org)
        db.session.commit()
        org_id = org.id
        org.name = "Hilltop Walking Group"
        org.charity_number = "1234567"
        db.session.commit()
        db.session.delete(org)
        db.session.commit()
    create, update, delete = events("organisation", org_id)
    assert {(e.user_id, e.actor) for e in (create, update, delete)} == {(admin.id, "admin console")}
    assert create.action == "create"
    assert create.changes["name"] == [None, "Hilltop Walkers"]
    assert create.changes["org_type"] == [None, "charity"]
    assert "charity_number" not in create.changes  # empty values are left out
    assert update.action == "update"
    assert update.changes == {
        "name": ["Hilltop Walkers", "Hilltop Walking Group"],
        "charity_number": ["", "1234567"],
    }
    assert delete.action == "delete"
    assert delete.changes["name"] == ["Hilltop Walking Group", None]
    assert delete.changes["id"] == [org_id, None]


def test_old_value_known_even_when_the_object_was_expired(app: Flask, make: Any) -> None:
    walk = make.activity(title="Walk", capacity="10", spare_places="3")
    make.commit()  # expires every attribute: setting one no longer knows the old value
    walk.spare_places = 1
    walk.categories = ["walking", "green_nature"]
    db.session.commit()
    (update,) = [e for e in events("activity", walk.id) if e.action == "update"]
    assert update.changes == {
        "spare_places": [3, 1],
        "categories": [["walking"], ["walking", "green_nature"]],
    }


def test_no_event_when_nothing_really_changed(app: Flask, make: Any) -> None:
    walk = make.activity(title="Walk")
    make.commit()
    walk.title = "Walk"
    walk.updated_at = walk.updated_at  # excluded from audits anyway
    db.session.commit()
    assert [e.action for e in events("activity", walk.id)] == ["create"]


def test_values_are_json_friendly(app: Flask, make: Any) -> None:
    walk = make.activity(schedule="Mon 10:00-11:00", capacity_updated_at=make.days_ago(3))
    make.commit()
    (create,) = events("activity", walk.id)
    assert create.changes["categories"] == [None, ["walking"]]
    assert create.changes["capacity_updated_at"][1] == walk.capacity_updated_at.isoformat()
    assert create.changes["schedule"] == [None, "Mon 10:00-11:00"]


def test_password_hashes_are_not_audited(app: Flask, make: Any) -> None:
    person = make.user("link_worker", email="lw@example.org")
    make.commit()
    person.set_password("another long password")
    person.name = "Lee"
    db.session.commit()
    (create, update) = events("user", person.id)
    assert "password_hash" not in create.changes
    assert update.changes == {"name": ["", "Lee"]}


def test_actor_outside_and_inside_acting_as(app: Flask, make: Any) -> None:
    person = make.user("admin", email="boss@example.org")
    assert current_actor() == (None, "system")
    with acting_as(person):
        assert current_actor() == (person.id, "boss@example.org")
        with acting_as(label="nightly import"):
            assert current_actor() == (None, "nightly import")
        assert current_actor() == (person.id, "boss@example.org")
    assert current_actor() == (None, "system")
    org = make.organisation("Made by the system")
    make.commit()
    assert [(e.user_id, e.actor) for e in events("organisation", org.id)] == [(None, "system")]


def test_request_actor_is_the_signed_in_user(app: Flask, make: Any) -> None:
    person = make.user("provider", email="p@example.org")
    make.commit()
    with app.test_request_context("/"):
        assert current_actor() == (None, "anonymous")
        login_user(person)
        assert current_actor() == (person.id, "p@example.org")
        org = Organisation(name="Made in a request")
        db.session.add(org)
        db.session.commit()
    (create,) = events("organisation", org.id)
    assert (create.user_id, create.actor) == (person.id, "p@example.org")


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1)


def test_quick_capacity_update_is_audited_as_the_provider(
    app: Flask, client: FlaskClient, make: Any
) -> None:
    provider = make.user("provider", email="prov@example.org")
    walk = make.activity(provider.organisation, capacity="10", spare_places="3")
    make.commit()
    token = _csrf(client.get("/sign-in").get_data(as_text=True))
    response = client.post(
        "/sign-in", data={"email": "prov@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    token = _csrf(client.get("/manage/").get_data(as_text=True))
    # A fresh app context: the test's own would share `g`, where Flask-Login caches the
    # user, so the request must find its user from the session cookie alone.
    with app.app_context():
        response = client.post(
            f"/manage/activities/{walk.id}/capacity",
            data={"spare_places": "7", "waitlist": "y", "csrf_token": token},
        )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Activity, walk.id).spare_places == 7
    update = events("activity", walk.id)[-1]
    assert update.action == "update"
    assert (update.user_id, update.actor) == (provider.id, "prov@example.org")
    assert update.changes["spare_places"] == [3, 7]
    assert update.changes["waitlist_open"] == [False, True]
