"""The referral pages: refer from the activity page and from match results, act on a
referral, see the contact details (audited), inbox and caseload with their filters."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from spdirectory.audit import AuditEvent
from spdirectory.db_types import utcnow
from spdirectory.directory.models import Activity
from spdirectory.extensions import db
from spdirectory.referrals import services
from spdirectory.referrals.models import Referral
from tests.accounts.helpers import signed_in

from .conftest import World, refer, reload


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def test_activity_page_has_refer_link_for_link_workers_only(
    client: FlaskClient, world: World, make: Any
) -> None:
    url = f"/activities/{world.activity.id}"
    refer_url = f"/referrals/new/{world.activity.id}"
    assert refer_url not in page(client, url)  # anonymous
    signed_in(client, world.link_worker.email)
    assert refer_url in page(client, url)
    self_only = make.activity(world.org, referral_routes="self")
    db.session.commit()
    assert f"/referrals/new/{self_only.id}" not in page(client, f"/activities/{self_only.id}")


def test_provider_sees_no_refer_link(client: FlaskClient, world: World) -> None:
    signed_in(client, world.provider.email)
    assert f"/referrals/new/{world.activity.id}" not in page(
        client, f"/activities/{world.activity.id}"
    )


def test_match_results_offer_refer_with_the_needs(client: FlaskClient, world: World) -> None:
    token = signed_in(client, world.link_worker.email)
    response = client.post(
        "/match",
        data={
            "csrf_token": token,
            "postcode": "LS1 1AZ",
            "max_distance_km": "5",
            "needs": "loneliness",
            "modes": "in_person",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"/referrals/new/{world.activity.id}?need=loneliness" in html.replace("&amp;", "&")
    form = page(client, f"/referrals/new/{world.activity.id}?need=loneliness")
    assert re.search(r'value="loneliness"\s+checked', form)


def test_refer_through_the_form(client: FlaskClient, world: World) -> None:
    token = signed_in(client, world.link_worker.email)
    html = page(client, f"/referrals/new/{world.activity.id}")
    assert "Client reference" in html
    response = client.post(
        f"/referrals/new/{world.activity.id}",
        data={
            "csrf_token": token,
            "client_reference": "PCN-7",
            "summary": "Likes being outdoors",
            "needs": ["loneliness", "physical_inactivity"],
            "preferred_contact": "phone",
            "contact_phone": "07700 900123",
            "contact_consent": "y",
            "person_postcode": "LS1 1AZ",
            "life_satisfaction": "5",
            "worthwhile": "6",
            "happy": "5",
            "anxious": "6",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    referral = db.session.scalar(select(Referral))
    assert response.headers["Location"].endswith(f"/referrals/{referral.id}")
    assert (referral.client_reference, referral.person_district) == ("PCN-7", "LS1")
    assert referral.needs == ["loneliness", "physical_inactivity"]
    assert [o.stage for o in referral.outcomes] == ["baseline"]
    detail = page(client, f"/referrals/{referral.id}")
    assert "PCN-7" in detail and "Sent" in detail
    assert "07700" not in detail  # contact details only behind their own audited page


def test_form_errors_keep_what_was_typed(client: FlaskClient, world: World) -> None:
    token = signed_in(client, world.link_worker.email)
    response = client.post(
        f"/referrals/new/{world.activity.id}",
        data={
            "csrf_token": token,
            "client_reference": "PCN-8",
            "summary": "Keep me",
            "contact_phone": "07700 900123",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "consent" in html and "Keep me" in html and "There is a problem" in html
    assert db.session.scalar(select(func.count(Referral.id))) == 0


def test_provider_accepts_then_sees_contact_audited(client: FlaskClient, world: World) -> None:
    referral = refer(world)
    token = signed_in(client, world.provider.email)
    assert page(client, f"/referrals/{referral.id}/contact", 403)
    detail = page(client, f"/referrals/{referral.id}")
    assert "Accept" in detail and "Withdraw" not in detail
    response = client.post(
        f"/referrals/{referral.id}/status", data={"csrf_token": token, "status": "accepted"}
    )
    assert response.status_code == 302
    assert reload(Referral, referral.id).status == "accepted"
    html = page(client, f"/referrals/{referral.id}/contact")
    assert "07700 900123" in html and "sam@example.com" in html
    assert page(client, f"/referrals/{referral.id}/contact")
    db.session.expire_all()
    views = db.session.scalar(
        select(func.count()).where(
            AuditEvent.action == "viewed_contact", AuditEvent.user_id == world.provider.id
        )
    )
    assert views == 2
    assert client.get(f"/referrals/{referral.id}/contact").headers["Cache-Control"] == "no-store"


def test_full_activity_page_offers_the_waitlist(client: FlaskClient, world: World) -> None:
    world.activity.spare_places = 0
    db.session.commit()
    referral = refer(world)
    token = signed_in(client, world.provider.email)
    response = client.post(
        f"/referrals/{referral.id}/status", data={"csrf_token": token, "status": "accepted"}
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "No spare place" in html and 'value="waitlisted"' in html
    response = client.post(
        f"/referrals/{referral.id}/status", data={"csrf_token": token, "status": "waitlisted"}
    )
    assert response.status_code == 302
    assert "Number 1 on the waiting list" in page(client, f"/referrals/{referral.id}")


def test_illegal_transition_page_is_409(client: FlaskClient, world: World) -> None:
    referral = refer(world)
    token = signed_in(client, world.provider.email)
    response = client.post(
        f"/referrals/{referral.id}/status", data={"csrf_token": token, "status": "completed"}
    )
    assert response.status_code == 409
    assert "cannot become completed" in response.get_data(as_text=True)
    assert reload(Referral, referral.id).status == "sent"


def test_decline_without_reason_is_refused_on_the_page(client: FlaskClient, world: World) -> None:
    referral = refer(world)
    token = signed_in(client, world.provider.email)
    response = client.post(
        f"/referrals/{referral.id}/status",
        data={"csrf_token": token, "status": "declined", "reason": ""},
    )
    assert response.status_code == 422
    assert "Choose a reason" in response.get_data(as_text=True)
    response = client.post(
        f"/referrals/{referral.id}/status",
        data={"csrf_token": token, "status": "declined", "reason": "full"},
    )
    assert response.status_code == 302
    assert reload(Referral, referral.id).decline_reason == "full"


def test_promote_from_the_inbox(client: FlaskClient, world: World) -> None:
    world.activity.spare_places = 0
    db.session.commit()
    first, second = refer(world, client_reference="A"), refer(world, client_reference="B")
    for r in (first, second):
        services.change_status(r.id, "waitlisted", world.provider)
    activity = db.session.get(Activity, world.activity.id)
    activity.spare_places = 1
    db.session.commit()
    token = signed_in(client, world.provider.email)
    html = page(client, "/referrals/inbox?tab=waitlist")
    assert "Offer a place to the next person" in html
    response = client.post(
        f"/referrals/activities/{world.activity.id}/promote", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert reload(Referral, first.id).status == "accepted"
    assert reload(Referral, second.id).status == "waitlisted"


def test_inbox_tabs_and_filters(client: FlaskClient, world: World, make: Any) -> None:
    other_activity = make.activity(world.org, title="Choir", referral_routes="link_worker")
    db.session.commit()
    new = refer(world, client_reference="NEW")
    overdue = refer(world, client_reference="LATE")
    overdue.created_at = utcnow() - timedelta(days=10)
    overdue.respond_by = utcnow() - timedelta(days=5)
    accepted = refer(world, other_activity, client_reference="IN")
    db.session.commit()
    services.change_status(accepted.id, "accepted", world.provider)
    refer(world, client_reference="ELSEWHERE", by=world.other_link_worker)
    db.session.commit()
    signed_in(client, world.provider.email)

    def refs(url: str) -> set[str]:
        html = page(client, url)
        return set(re.findall(r'id="referral-\d+">\s*<td[^>]*><a [^>]*>([^<]+)</a>', html))

    assert refs("/referrals/inbox") == {"NEW", "ELSEWHERE"}
    assert refs("/referrals/inbox?tab=overdue") == {"LATE"}
    assert refs("/referrals/inbox?tab=accepted") == {"IN"}
    assert refs(f"/referrals/inbox?tab=accepted&activity={world.activity.id}") == set()
    assert refs("/referrals/inbox?tab=new&reference=NEW") == {"NEW"}
    html = page(client, "/referrals/inbox")
    assert "New (2)" in html and "Overdue (1)" in html and "Accepted (1)" in html
    assert new.id


def test_other_provider_inbox_is_empty(client: FlaskClient, world: World) -> None:
    refer(world, client_reference="MINE")
    signed_in(client, world.other_provider.email)
    assert "MINE" not in page(client, "/referrals/inbox")


def test_caseload_tabs(client: FlaskClient, world: World) -> None:
    mine = refer(world, client_reference="MINE")
    stale = refer(world, client_reference="STALE")
    services.change_status(stale.id, "accepted", world.provider)
    db.session.commit()
    stale = reload(Referral, stale.id)
    stale.updated_at = utcnow() - timedelta(days=30)
    db.session.commit()
    refer(world, client_reference="THEIRS", by=world.other_link_worker)
    signed_in(client, world.link_worker.email)
    html = page(client, "/referrals/caseload")
    assert "MINE" in html and "STALE" in html and "THEIRS" not in html
    follow = page(client, "/referrals/caseload?tab=follow_up")
    assert "STALE" in follow and "MINE" not in follow
    assert "Follow-up due (1)" in html
    assert "MINE" not in page(client, "/referrals/caseload?tab=closed")
    assert mine.id


def test_record_outcome_on_the_page(client: FlaskClient, world: World) -> None:
    referral = refer(world)
    token = signed_in(client, world.link_worker.email)
    bad = client.post(
        f"/referrals/{referral.id}/outcomes",
        data={"csrf_token": token, "stage": "end", "life_satisfaction": "12"},
    )
    assert bad.status_code == 422
    response = client.post(
        f"/referrals/{referral.id}/outcomes",
        data={
            "csrf_token": token,
            "stage": "end",
            "life_satisfaction": "8",
            "worthwhile": "8",
            "happy": "7",
            "anxious": "2",
        },
    )
    assert response.status_code == 302
    assert [(o.stage, o.happy) for o in reload(Referral, referral.id).outcomes] == [("end", 7)]
