"""Admin management of users and organisations, checked against the database afterwards.

Every refusal must show a clear form error (in the error summary, linked to its field) and
leave the database exactly as it was (see `snapshot`).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from spdirectory.accounts.models import User
from spdirectory.admin import views as admin_views
from spdirectory.directory.models import Organisation
from spdirectory.extensions import db
from tests.accounts.helpers import quick_user, sign_in, signed_in

NEW_PASSWORD = "a new long password"


def snapshot() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every user and organisation row as stored now (read afresh, not from this session)."""
    db.session.expire_all()
    users = db.session.execute(
        select(
            User.id,
            User.email,
            User.name,
            User.role,
            User.organisation_id,
            User.active,
            User.password_hash,
        ).order_by(User.id)
    ).all()
    orgs = db.session.execute(
        select(
            Organisation.id, Organisation.name, Organisation.org_type, Organisation.email
        ).order_by(Organisation.id)
    ).all()
    return [tuple(r) for r in users], [tuple(r) for r in orgs]


def stored(user_id: int) -> User:
    db.session.expire_all()
    found = db.session.get(User, user_id)
    assert found is not None
    return found


def user_form(person: User | None = None, **changes: Any) -> dict[str, Any]:
    """The user form as the browser posts it; `active` absent means the box is unticked."""
    data: dict[str, Any] = {
        "email": person.email if person else "",
        "name": person.name if person else "",
        "role": person.role if person else "link_worker",
        "organisation_id": str(person.organisation_id or 0) if person else "0",
        "password": "",
        "active": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def assert_refused(response: TestResponse, field: str, message: str) -> None:
    """A re-shown form whose error summary links `message` to `field`."""
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    assert "nhsuk-error-summary" in html
    assert f'<a href="#{field}">{message}</a>' in html, html[:3000]
    assert f'id="{field}-error"' in html
    assert "was saved" not in html


@pytest.fixture
def admin(app: Flask) -> User:
    person = quick_user("admin", email="admin@example.org")
    db.session.commit()
    return person


@pytest.fixture
def admin_client(app: Flask, admin: User) -> tuple[FlaskClient, str]:
    """A client signed in as `admin`, and a CSRF token for its POSTs."""
    client = app.test_client()
    return client, signed_in(client, admin.email)


# ---- the admin can manage users ------------------------------------------------------


def test_admin_creates_a_user(admin_client: tuple[FlaskClient, str], make: Any) -> None:
    client, token = admin_client
    org = make.organisation("Leeds Walkers")
    make.commit()
    response = client.post(
        "/admin/users/new",
        data=user_form(
            email="New.Provider@Example.org",
            name="Pat Provider",
            role="provider",
            organisation_id=str(org.id),
            password=NEW_PASSWORD,
            csrf_token=token,
        ),
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/users")

    db.session.expire_all()
    person = db.session.execute(
        select(User).where(User.email == "new.provider@example.org")
    ).scalar_one()
    assert (person.name, person.role, person.organisation_id, person.active) == (
        "Pat Provider",
        "provider",
        org.id,
        True,
    )
    assert person.check_password(NEW_PASSWORD)
    assert sign_in(client.application.test_client(), person.email, NEW_PASSWORD).status_code == 302


def test_admin_changes_a_users_role(admin_client: tuple[FlaskClient, str]) -> None:
    client, token = admin_client
    person = quick_user("link_worker", name="Lee Worker")
    db.session.commit()
    before = stored(person.id).password_hash

    response = client.post(
        f"/admin/users/{person.id}", data=user_form(person, role="reviewer", csrf_token=token)
    )
    assert response.status_code == 302
    after = stored(person.id)
    assert after.role == "reviewer"
    # Only the role changed: an empty password field keeps the password.
    assert (after.email, after.name, after.active, after.password_hash) == (
        person.email,
        "Lee Worker",
        True,
        before,
    )


def test_admin_deactivates_a_user(admin_client: tuple[FlaskClient, str]) -> None:
    client, token = admin_client
    person = quick_user("link_worker")
    db.session.commit()
    their_client = client.application.test_client()
    signed_in(their_client, person.email)

    response = client.post(
        f"/admin/users/{person.id}", data=user_form(person, active=None, csrf_token=token)
    )
    assert response.status_code == 302
    assert stored(person.id).active is False
    # Deactivation takes effect at once: their open session ends and they cannot sign in.
    assert their_client.get("/account").status_code == 302
    assert sign_in(client.application.test_client(), person.email).status_code == 200


def test_admin_can_demote_and_deactivate_another_admin(
    admin_client: tuple[FlaskClient, str],
) -> None:
    """The self and last-admin rules leave ordinary admin changes alone."""
    client, token = admin_client
    other = quick_user("admin")
    db.session.commit()
    response = client.post(
        f"/admin/users/{other.id}",
        data=user_form(other, role="panel", active=None, csrf_token=token),
    )
    assert response.status_code == 302
    after = stored(other.id)
    assert (after.role, after.active) == ("panel", False)


# ---- the admin can manage organisations ----------------------------------------------


def test_admin_creates_an_organisation(admin_client: tuple[FlaskClient, str]) -> None:
    client, token = admin_client
    response = client.post(
        "/admin/organisations/new",
        data={
            "name": "  Chapeltown Community Garden ",
            "org_type": "cio",
            "charity_number": "1234567",
            "description": "Growing food together.",
            "website": "garden.example.org",
            "email": "hello@garden.example.org",
            "phone": "0113 496 0001",
            "contact_name": "Sam Grower",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/organisations")

    db.session.expire_all()
    org = db.session.execute(
        select(Organisation).where(Organisation.name == "Chapeltown Community Garden")
    ).scalar_one()
    assert (org.org_type, org.charity_number, org.description) == (
        "cio",
        "1234567",
        "Growing food together.",
    )
    assert (org.website, org.email, org.phone, org.contact_name) == (
        "https://garden.example.org",
        "hello@garden.example.org",
        "0113 496 0001",
        "Sam Grower",
    )


def test_admin_edits_an_organisation(admin_client: tuple[FlaskClient, str], make: Any) -> None:
    client, token = admin_client
    org = make.organisation("Old Name", org_type="community_group", email="old@example.org")
    make.commit()
    response = client.post(
        f"/admin/organisations/{org.id}",
        data={
            "name": "New Name",
            "org_type": "charity",
            "charity_number": "7654321",
            "email": "new@example.org",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    after = db.session.get(Organisation, org.id)
    assert after is not None
    assert (after.name, after.org_type, after.charity_number, after.email) == (
        "New Name",
        "charity",
        "7654321",
        "new@example.org",
    )


# ---- refusals: a clear form error and nothing stored ---------------------------------


def test_duplicate_email_is_refused_for_a_new_user(admin_client: tuple[FlaskClient, str]) -> None:
    client, token = admin_client
    quick_user("link_worker", email="taken@example.org")
    db.session.commit()
    before = snapshot()
    response = client.post(
        "/admin/users/new",
        data=user_form(email="Taken@Example.org", password=NEW_PASSWORD, csrf_token=token),
    )
    assert_refused(response, "email", "Another account already uses this email address")
    assert snapshot() == before


def test_duplicate_email_is_refused_when_editing(admin_client: tuple[FlaskClient, str]) -> None:
    client, token = admin_client
    quick_user("link_worker", email="taken@example.org")
    person = quick_user("panel", email="mine@example.org")
    db.session.commit()
    before = snapshot()
    response = client.post(
        f"/admin/users/{person.id}",
        data=user_form(person, email="taken@example.org", role="reviewer", csrf_token=token),
    )
    assert_refused(response, "email", "Another account already uses this email address")
    assert snapshot() == before


def test_provider_without_organisation_is_refused(admin_client: tuple[FlaskClient, str]) -> None:
    client, token = admin_client
    before = snapshot()
    response = client.post(
        "/admin/users/new",
        data=user_form(
            email="orphan@example.org",
            role="provider",
            organisation_id="0",
            password=NEW_PASSWORD,
            csrf_token=token,
        ),
    )
    assert_refused(response, "organisation_id", "A provider must belong to an organisation")
    assert snapshot() == before


def test_making_a_user_a_provider_without_organisation_is_refused(
    admin_client: tuple[FlaskClient, str],
) -> None:
    client, token = admin_client
    person = quick_user("link_worker")
    db.session.commit()
    before = snapshot()
    response = client.post(
        f"/admin/users/{person.id}",
        data=user_form(person, role="provider", organisation_id="0", csrf_token=token),
    )
    assert_refused(response, "organisation_id", "A provider must belong to an organisation")
    assert snapshot() == before


# ---- an admin cannot deactivate or demote themselves ---------------------------------


@pytest.fixture
def second_admin(app: Flask, admin: User) -> User:
    """Another active admin, so the last-admin rule does not apply."""
    person = quick_user("admin", email="second-admin@example.org")
    db.session.commit()
    return person


def test_admin_cannot_deactivate_themselves(
    admin_client: tuple[FlaskClient, str], admin: User, second_admin: User
) -> None:
    client, token = admin_client
    before = snapshot()
    response = client.post(
        f"/admin/users/{admin.id}", data=user_form(admin, active=None, csrf_token=token)
    )
    assert_refused(response, "active", admin_views.SELF_DEACTIVATE)
    assert snapshot() == before


def test_admin_cannot_demote_themselves(
    admin_client: tuple[FlaskClient, str], admin: User, second_admin: User
) -> None:
    client, token = admin_client
    before = snapshot()
    response = client.post(
        f"/admin/users/{admin.id}", data=user_form(admin, role="link_worker", csrf_token=token)
    )
    assert_refused(response, "role", admin_views.SELF_DEMOTE)
    assert snapshot() == before


def test_admin_can_still_edit_their_own_details(
    admin_client: tuple[FlaskClient, str], admin: User
) -> None:
    client, token = admin_client
    response = client.post(
        f"/admin/users/{admin.id}", data=user_form(admin, name="Ada Admin", csrf_token=token)
    )
    assert response.status_code == 302
    after = stored(admin.id)
    assert (after.name, after.role, after.active) == ("Ada Admin", "admin", True)


# ---- the last active admin can never be deactivated or demoted -----------------------


@pytest.fixture
def former_admin(app: Flask, admin: User) -> User:
    """A deactivated admin: does not count as an active admin."""
    person = quick_user("admin", email="former-admin@example.org", active=False)
    db.session.commit()
    return person


def test_last_active_admin_cannot_be_demoted(
    admin_client: tuple[FlaskClient, str], admin: User, former_admin: User
) -> None:
    client, token = admin_client
    before = snapshot()
    response = client.post(
        f"/admin/users/{admin.id}", data=user_form(admin, role="panel", csrf_token=token)
    )
    assert_refused(response, "role", admin_views.LAST_ADMIN_DEMOTE)
    assert snapshot() == before


def test_last_active_admin_cannot_be_deactivated(
    admin_client: tuple[FlaskClient, str], admin: User, former_admin: User
) -> None:
    client, token = admin_client
    before = snapshot()
    response = client.post(
        f"/admin/users/{admin.id}", data=user_form(admin, active=None, csrf_token=token)
    )
    assert_refused(response, "active", admin_views.LAST_ADMIN_DEACTIVATE)
    assert snapshot() == before


def test_last_admin_rule_holds_whoever_asks(app: Flask, admin: User) -> None:
    """The rule is about the directory keeping an admin, not about who makes the change."""
    someone_else = quick_user("admin", active=False)
    both = admin_views.admin_change_refusal(admin, "reviewer", False, someone_else)
    assert both == {
        "role": admin_views.LAST_ADMIN_DEMOTE,
        "active": admin_views.LAST_ADMIN_DEACTIVATE,
    }
    # Once another active admin exists, only the account's own holder is refused.
    quick_user("admin")
    assert admin_views.admin_change_refusal(admin, "reviewer", False, someone_else) == {}
    assert set(admin_views.admin_change_refusal(admin, "reviewer", True, admin)) == {"role"}


def test_last_admin_is_kept_even_if_a_concurrent_change_slipped_past_the_check(
    admin_client: tuple[FlaskClient, str], admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two admins demoting each other at once can both pass the first check; the recheck
    after writing refuses the second, so the directory always keeps an active admin."""
    client, token = admin_client
    monkeypatch.setattr(admin_views, "admin_change_refusal", lambda *args: {})
    before = snapshot()
    response = client.post(
        f"/admin/users/{admin.id}", data=user_form(admin, role="panel", csrf_token=token)
    )
    assert_refused(response, "role", admin_views.LAST_ADMIN_DEMOTE)
    assert snapshot() == before


def test_refused_changes_leave_the_admin_signed_in_and_in_charge(
    admin_client: tuple[FlaskClient, str], admin: User
) -> None:
    client, token = admin_client
    client.post(
        f"/admin/users/{admin.id}",
        data=user_form(admin, role="panel", active=None, csrf_token=token),
    )
    assert client.get("/admin/users").status_code == 200
    assert sign_in(client.application.test_client(), admin.email).status_code == 302
