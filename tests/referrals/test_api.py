"""The referral JSON API (CONTRACTS.md): create, read, change status; contact protection."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from spdirectory.audit import AuditEvent
from spdirectory.extensions import db
from spdirectory.referrals.models import Referral, ReferralOutcome
from tests.api.helpers import assert_error

from .conftest import World, api_status, refer, reload


def body(world: World, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "activity_id": world.activity.id,
        "client_reference": "PCN-42",
        "needs": ["loneliness", "low_mood"],
        "summary": "Wants company on weekday mornings",
        "contact": {"phone": "07700 900123", "email": "sam@example.com", "consent": True},
        "preferred_contact": "phone",
        "preferred_times": "weekday mornings",
        "person_postcode": "ls1 1az",
        "baseline": {"life_satisfaction": 4, "worthwhile": 5, "happy": 3, "anxious": 7},
    }
    data.update(changes)
    return data


def count_referrals() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Referral.id))) or 0


def viewed_contact_events(referral_id: int) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "viewed_contact", AuditEvent.entity_id == referral_id
            )
        )
    )


def test_create_returns_id_and_status(client: FlaskClient, world: World) -> None:
    response = client.post(
        "/api/v1/referrals", json=body(world), headers=world.headers("link_worker")
    )
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["status"] == "sent" and isinstance(data["id"], int)
    assert data["needs"] == ["loneliness", "low_mood"]
    assert data["person_district"] == "LS1"  # only the district is kept
    assert data["respond_by"] > data["created_at"]
    assert data["has_contact"] is True and data["contact"] is None  # not echoed
    stored = reload(Referral, data["id"])
    assert stored.referrer_id == world.link_worker.id
    assert stored.organisation_id == world.org.id
    assert stored.contact_phone == "07700 900123" and stored.consent_recorded_at is not None
    baseline = db.session.scalar(
        select(ReferralOutcome).where(ReferralOutcome.referral_id == stored.id)
    )
    assert (baseline.stage, baseline.anxious) == ("baseline", 7)


def test_contact_details_need_consent(client: FlaskClient, world: World) -> None:
    no_consent = body(world, contact={"phone": "07700 900123", "consent": False})
    response = client.post(
        "/api/v1/referrals", json=no_consent, headers=world.headers("link_worker")
    )
    assert_error(response, 422, "invalid", fields={"contact.consent"})
    assert count_referrals() == 0
    # Without contact details no consent is needed; contact goes through the link worker.
    minimal = {
        "activity_id": world.activity.id,
        "client_reference": "X1",
        "needs": [],
        "summary": "",
        "contact": {"consent": False},
    }
    response = client.post("/api/v1/referrals", json=minimal, headers=world.headers("link_worker"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["has_contact"] is False


def test_bad_input_gets_field_errors_and_stores_nothing(client: FlaskClient, world: World) -> None:
    bad = body(
        world,
        client_reference="",
        needs=["loneliness", "boredom"],
        contact={"phone": "call me", "email": "not-an-email", "consent": True},
        preferred_contact="pigeon",
        person_postcode="nowhere",
        baseline={"life_satisfaction": 11, "worthwhile": 5, "happy": 3, "anxious": -1},
    )
    response = client.post("/api/v1/referrals", json=bad, headers=world.headers("link_worker"))
    assert_error(
        response,
        422,
        "invalid",
        fields={
            "client_reference",
            "needs",
            "contact.phone",
            "contact.email",
            "preferred_contact",
            "person_postcode",
            "baseline.life_satisfaction",
            "baseline.anxious",
        },
    )
    assert_error(
        client.post(
            "/api/v1/referrals",
            json={**body(world), "name": "Sam"},
            headers=world.headers("link_worker"),
        ),
        422,
        fields={"name"},
    )
    assert_error(
        client.post("/api/v1/referrals", data="x", headers=world.headers("link_worker")), 415
    )
    assert_error(
        client.post(
            "/api/v1/referrals",
            json=body(world, activity_id=999999),
            headers=world.headers("link_worker"),
        ),
        422,
        fields={"activity_id"},
    )
    assert count_referrals() == 0


def test_activity_that_takes_no_referrals_is_refused(
    client: FlaskClient, world: World, make: Any
) -> None:
    self_only = make.activity(world.org, referral_routes="self")
    db.session.commit()
    response = client.post(
        "/api/v1/referrals",
        json=body(world, activity_id=self_only.id),
        headers=world.headers("link_worker"),
    )
    assert_error(response, 422, fields={"activity_id"})
    assert count_referrals() == 0


def test_contact_visible_to_referrer_and_accepting_provider_only(
    client: FlaskClient, world: World
) -> None:
    referral = refer(world)

    def contact(who: str) -> Any:
        response = client.get(f"/api/v1/referrals/{referral.id}", headers=world.headers(who))
        assert response.status_code == 200, (who, response.get_json())
        return response.get_json()["contact"]

    assert contact("link_worker")["phone"] == "07700 900123"
    assert contact("provider") is None  # not accepted yet
    assert contact("admin") is None  # runs the service, not the care
    assert len(viewed_contact_events(referral.id)) == 1
    assert api_status(client, world, "provider", referral.id, "accepted").status_code == 200
    shown = contact("provider")
    assert shown == {
        "phone": "07700 900123",
        "email": "sam@example.com",
        "consent": True,
        "consent_recorded_at": shown["consent_recorded_at"],
        "preferred_contact": "phone",
        "preferred_times": "",
    }
    events = viewed_contact_events(referral.id)
    assert [e.user_id for e in events] == [world.link_worker.id, world.provider.id]
    assert events[1].changes == {"fields": ["contact_phone", "contact_email"]}
    for who in ("other_provider", "other_link_worker"):
        assert_error(
            client.get(f"/api/v1/referrals/{referral.id}", headers=world.headers(who)), 404
        )
    assert len(viewed_contact_events(referral.id)) == 2


def test_contact_details_never_reach_the_audit_trail(client: FlaskClient, world: World) -> None:
    referral = refer(world)
    db.session.expire_all()
    for event in db.session.scalars(select(AuditEvent)):
        text = repr(event.changes)
        assert "07700" not in text and "sam@example.com" not in text
        assert "get out of the house" not in text
    assert referral.id


def test_status_body_is_checked(client: FlaskClient, world: World) -> None:
    referral = refer(world)
    assert_error(api_status(client, world, "provider", referral.id, ""), 422, fields={"status"})
    assert_error(
        client.post(
            f"/api/v1/referrals/{referral.id}/status",
            json={"status": "accepted", "colour": "red"},
            headers=world.headers("provider"),
        ),
        422,
        fields={"colour"},
    )
    assert_error(
        client.post(
            f"/api/v1/referrals/{referral.id}/status",
            json={"status": 5},
            headers=world.headers("provider"),
        ),
        422,
        fields={"status"},
    )
    assert_error(api_status(client, world, "provider", 999999, "accepted"), 404)
    assert reload(Referral, referral.id).status == "sent"


def test_cookie_session_needs_csrf_for_status(client: FlaskClient, world: World) -> None:
    from tests.accounts.helpers import signed_in

    referral = refer(world)
    token = signed_in(client, world.provider.email)
    response = client.post(f"/api/v1/referrals/{referral.id}/status", json={"status": "accepted"})
    assert_error(response, 400, "csrf_failed")
    response = client.post(
        f"/api/v1/referrals/{referral.id}/status",
        json={"status": "accepted"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
