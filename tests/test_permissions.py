"""The authorization matrix: every route × every role.

ROUTES below classifies every rule of the app's url_map (and every method of it): who may
use it, and what everyone else gets. `test_every_route_is_classified` fails when a route is
added without a decision here, so a new page or API endpoint cannot silently skip its check.

Expectations for a role that is not allowed:
- anonymous, HTML page: 302 to /sign-in?next=<the page>;
- anonymous, API: 401 JSON;
- signed in with the wrong role or organisation: 403 — or 404 where the route hides that
  the thing exists (a draft listing, someone else's API token); each such case says why.
Every refused request must leave the database as it was (see `fingerprint`), so each POST
below carries data that *would* do harm if the check were missing, plus a valid CSRF token
so that the check under test is the permission and not CSRF.
"""

from __future__ import annotations

import importlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from spdirectory.accounts.models import ApiToken, User
from spdirectory.audit import AuditEvent
from spdirectory.directory.models import Activity, CapacityChange, Organisation
from spdirectory.extensions import db
from tests.accounts.helpers import (
    IsolatedClient,
    bearer,
    csrf_token,
    issue_token,
    quick_user,
    signed_in,
)
from tests.api.helpers import assert_error

ROLES = (
    "anonymous",
    "admin",
    "link_worker",
    "provider_own",  # a provider of the organisation that runs the listing
    "provider_other",  # a provider of another organisation
    "panel",
    "reviewer",
)
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
ADMIN = frozenset({"admin"})
OWNER = frozenset({"admin", "provider_own"})
PROVIDERS = frozenset({"provider_own", "provider_other"})
EDITORS = PROVIDERS | ADMIN
LINK_WORKERS = frozenset({"link_worker", "admin"})

SIGN_IN = "sign in"  # expectation: redirect to the sign-in page


def listing_form(title: str) -> dict[str, Any]:
    """A valid listing, as the edit and new forms post it."""
    return {
        "title": title,
        "categories": "walking",
        "modes": "in_person",
        "postcode": "LS1 1AZ",
        "schedule": "Tue 10:00-11:00",
        "cost": "free",
        "capacity": "10",
        "spare_places": "0",
        "status": "published",
        "wheelchair_accessible": "",
        # Fields only an admin's form has; a provider's form ignores them.
        "kite_mark": "awarded",
        "organisation_id": "{organisation_id}",
    }


def import_file() -> tuple[io.BytesIO, str]:
    csv = (
        "external_id,organisation,title,categories,postcode,capacity,spare_places,cost\n"
        "X1,Imported Org,Imported walk,walking,LS1 1AZ,10,2,free\n"
    )
    return io.BytesIO(csv.encode()), "listings.csv"


@dataclass(frozen=True)
class Route:
    rule: str  # exactly as in app.url_map
    method: str
    allowed: frozenset[str]
    denied: int = 403  # for signed-in roles not allowed
    anonymous: int | str | None = None  # None: SIGN_IN for pages, 401 for the API
    target: str = "published"  # which listing fills <activity_id>
    form: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    ok: tuple[int, ...] = (200, 302)  # what an allowed role may get
    why: str = ""  # the reason for any 404 or unusual choice

    @property
    def api(self) -> bool:
        return self.rule.startswith("/api/")

    @property
    def id(self) -> str:
        suffix = "" if self.target == "published" else f" [{self.target}]"
        return f"{self.method} {self.rule}{suffix}"

    def expectation(self, role: str) -> int | str:
        if role in self.allowed:
            return "allowed"
        if role == "anonymous":
            if self.anonymous is not None:
                return self.anonymous
            return 401 if self.api else SIGN_IN
        return self.denied


A = "/manage/activities/<int:activity_id>"
HIDDEN_DRAFT = "drafts are hidden from everyone but their organisation and admins: 404"

ROUTES: list[Route] = [
    # ---- public pages --------------------------------------------------------------
    Route("/", "GET", EVERYONE),
    Route("/activities", "GET", EVERYONE),
    Route("/activities/<int:activity_id>", "GET", EVERYONE),
    Route(
        "/activities/<int:activity_id>",
        "GET",
        OWNER,
        denied=404,
        anonymous=404,
        target="draft",
        why=HIDDEN_DRAFT,
    ),
    Route("/organisations/<int:organisation_id>", "GET", EVERYONE),
    Route("/kite-mark", "GET", EVERYONE),
    Route("/static/<path:filename>", "GET", EVERYONE),
    # ---- accounts ------------------------------------------------------------------
    Route("/sign-in", "GET", EVERYONE, why="signed-in users are sent to their home page"),
    Route(
        "/sign-in",
        "POST",
        EVERYONE,
        form={"email": "nobody@example.org", "password": "wrong"},
    ),
    Route("/sign-out", "POST", EVERYONE, why="signing out when signed out is harmless"),
    Route("/account", "GET", SIGNED_IN),
    Route("/account/tokens", "POST", SIGNED_IN),
    Route(
        "/account/tokens/<int:token_id>/revoke",
        "POST",
        frozenset({"provider_own"}),  # the token belongs to provider_own
        denied=404,
        why="only the token's owner may revoke it; others learn nothing of it: 404",
    ),
    # ---- provider self-maintenance -----------------------------------------------------
    Route("/manage/", "GET", EDITORS, why="each provider sees its own listings"),
    Route("/manage/activities/new", "GET", EDITORS),
    Route("/manage/activities/new", "POST", EDITORS, form=listing_form("New listing")),
    Route(f"{A}/edit", "GET", OWNER),
    Route(f"{A}/edit", "POST", OWNER, form=listing_form("Hijacked")),
    Route(f"{A}/capacity", "POST", OWNER, form={"spare_places": "0", "waitlist": "y"}),
    Route(f"{A}/confirm", "POST", OWNER),
    Route(f"{A}/status", "POST", OWNER, form={"status": "archived"}),
    Route(f"{A}/history", "GET", OWNER),
    Route(
        "/manage/organisation",
        "GET",
        PROVIDERS,
        why="a provider's own organisation; admins use /admin/organisations",
    ),
    Route(
        "/manage/organisation",
        "POST",
        PROVIDERS,
        form={"name": "Renamed", "org_type": "charity"},
    ),
    # ---- link workers: matching a person and their shortlist --------------------------
    Route("/match", "GET", LINK_WORKERS),
    Route("/match", "POST", LINK_WORKERS, form={"postcode": "LS1 1AZ", "needs": "loneliness"}),
    Route("/shortlist", "GET", LINK_WORKERS),
    Route("/shortlist/add", "POST", LINK_WORKERS, form={"activity_id": "{activity_id}"}),
    Route("/shortlist/remove", "POST", LINK_WORKERS, form={"activity_id": "{activity_id}"}),
    Route("/shortlist/clear", "POST", LINK_WORKERS),
    # ---- administration: admins only -------------------------------------------------
    Route("/admin/", "GET", ADMIN),
    Route("/admin/users", "GET", ADMIN),
    Route("/admin/users/new", "GET", ADMIN),
    Route(
        "/admin/users/new",
        "POST",
        ADMIN,
        form={
            "email": "intruder@example.org",
            "role": "admin",
            "organisation_id": "0",
            "password": "a long enough password",
            "active": "y",
        },
    ),
    Route("/admin/users/<int:user_id>", "GET", ADMIN),
    Route(
        "/admin/users/<int:user_id>",
        "POST",
        ADMIN,
        # Would make provider_own an administrator.
        form={"email": "{user_email}", "role": "admin", "organisation_id": "0", "active": "y"},
    ),
    Route("/admin/organisations", "GET", ADMIN),
    Route("/admin/organisations/new", "GET", ADMIN),
    Route("/admin/organisations/new", "POST", ADMIN, form={"name": "Intruders", "org_type": "cio"}),
    Route("/admin/organisations/<int:organisation_id>", "GET", ADMIN),
    Route(
        "/admin/organisations/<int:organisation_id>",
        "POST",
        ADMIN,
        form={"name": "Renamed by admin", "org_type": "charity"},
    ),
    Route("/admin/import", "GET", ADMIN),
    Route("/admin/import", "POST", ADMIN, form={"file": import_file}),
    Route("/admin/import/template.csv", "GET", ADMIN),
    # ---- JSON API ----------------------------------------------------------------------
    Route("/api/v1/activities", "GET", EVERYONE),
    Route("/api/v1/activities/<int:activity_id>", "GET", EVERYONE),
    Route(
        "/api/v1/activities/<int:activity_id>",
        "GET",
        OWNER,
        denied=404,
        anonymous=404,
        target="draft",
        why=HIDDEN_DRAFT,
    ),
    Route(
        "/api/v1/activities/<int:activity_id>/capacity",
        "PATCH",
        OWNER,
        json={"spare_places": 0, "waitlist": True},
        why="listing ids are public, so a refusal is a plain 403",
    ),
    Route(
        "/api/v1/match",
        "POST",
        EVERYONE,
        json={"postcode": "LS1 1AZ", "needs": ["loneliness"]},
        ok=(200, 422),
        why="public: ranks published listings only, as the public search does",
    ),
    Route("/api/v1/suggest", "GET", EVERYONE),
]

ROUTE_IDS = [r.id for r in ROUTES]


# ---- the world every case runs in --------------------------------------------------


@dataclass
class World:
    users: dict[str, User]
    tokens: dict[str, str]
    values: dict[str, Any]  # fills the rules' <parameters> and the forms' {placeholders}
    listings: dict[str, int]


@pytest.fixture
def world(app: Flask, make: Any) -> World:
    app.test_client_class = IsolatedClient
    own = make.organisation("Owning Org")
    other = make.organisation("Other Org")
    users = {
        "admin": quick_user("admin"),
        "link_worker": quick_user("link_worker"),
        "provider_own": quick_user("provider", organisation=own),
        "provider_other": quick_user("provider", organisation=other),
        "panel": quick_user("panel"),
        "reviewer": quick_user("reviewer"),
    }
    published = make.activity(own, title="Published walk", capacity="10", spare_places="4")
    draft = make.activity(own, title="Draft walk", status="draft")
    make.activity(other, title="Other org's walk")
    tokens = {role: issue_token(person)[1] for role, person in users.items()}
    revocable, _ = issue_token(users["provider_own"])
    make.commit()
    return World(
        users=users,
        tokens=tokens,
        values={
            "organisation_id": own.id,
            "user_id": users["provider_own"].id,
            "user_email": users["provider_own"].email,
            "token_id": revocable.id,
            "filename": "css/app.css",
        },
        listings={"published": published.id, "draft": draft.id},
    )


def url_for_route(route: Route, world: World) -> str:
    values = {**world.values, "activity_id": world.listings[route.target]}
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), route.rule)


def fingerprint() -> tuple[Any, ...]:
    """Everything a refused request must not change."""
    db.session.expire_all()

    def count(model: Any) -> int:
        return db.session.scalar(select(func.count()).select_from(model)) or 0

    activities = db.session.execute(
        select(
            Activity.id,
            Activity.organisation_id,
            Activity.title,
            Activity.status,
            Activity.spare_places,
            Activity.waitlist_open,
            Activity.capacity,
            Activity.kite_mark,
            Activity.capacity_updated_at,
        ).order_by(Activity.id)
    ).all()
    people = db.session.execute(
        select(User.id, User.email, User.role, User.active, User.organisation_id).order_by(User.id)
    ).all()
    return (
        tuple(activities),
        tuple(people),
        tuple(db.session.scalars(select(Organisation.name).order_by(Organisation.id))),
        tuple(db.session.scalars(select(ApiToken.revoked).order_by(ApiToken.id))),
        count(ApiToken),
        count(CapacityChange),
        count(AuditEvent),
    )


# ---- making one request as one role ------------------------------------------------


def client_as(app: Flask, world: World, role: str, via: str) -> tuple[FlaskClient, str | None]:
    """A client acting as `role` (`via` the session cookie or a bearer token), and the
    CSRF token of its session."""
    client = app.test_client()
    if role == "anonymous":
        return client, csrf_token(client, "/sign-in")
    if via == "token":
        return client, None
    return client, signed_in(client, world.users[role].email)


def send(
    client: FlaskClient, route: Route, world: World, role: str, via: str, csrf: str | None
) -> Any:
    url = url_for_route(route, world)
    headers: dict[str, str] = {}
    if via == "token" and role != "anonymous":
        headers.update(bearer(world.tokens[role]))
    kwargs: dict[str, Any] = {"method": route.method, "headers": headers}
    if route.api:
        if route.method != "GET":
            kwargs["json"] = route.json
            if csrf:
                headers["X-CSRFToken"] = csrf
    elif route.method == "POST":
        values = {**world.values, "activity_id": world.listings[route.target]}
        data = {
            key: value() if callable(value) else value.format(**values)
            for key, value in route.form.items()
        }
        kwargs["data"] = {**data, "csrf_token": csrf or ""}
    return client.open(url, **kwargs)


def check(route: Route, world: World, role: str, response: Any, before: Any) -> str | None:
    """None when the response is what the table expects; otherwise what went wrong."""
    expected = route.expectation(role)
    status = response.status_code
    got = f"{status} {response.location or ''}".strip()
    if expected == "allowed":
        if status not in route.ok:
            return f"allowed, expected one of {route.ok}, got {got}"
        if status == 302 and urlsplit(response.location).path == "/sign-in":
            return f"allowed, but sent to sign in ({got})"
        return None
    refused = fingerprint() == before
    if expected == SIGN_IN:
        target = urlsplit(response.location or "")
        if status != 302 or target.path != "/sign-in":
            return f"expected a redirect to /sign-in, got {got}"
        if parse_qs(target.query).get("next") != [url_for_route(route, world)]:
            return f"sign-in redirect without next=<this page>: {response.location}"
    elif status != expected:
        return f"expected {expected}, got {got}"
    elif route.api:
        try:
            assert_error(response, status)
        except AssertionError as exc:
            return f"not the JSON error shape: {exc}"
    if not refused:
        return f"refused with {status}, but the database changed"
    return None


def run_matrix(app: Flask, world: World, route: Route, via: str) -> list[str]:
    problems = []
    # Refused roles first, so each tries its harm on the untouched world.
    for role in sorted(ROLES, key=lambda r: r in route.allowed):
        client, csrf = client_as(app, world, role, via)
        before = fingerprint()
        response = send(client, route, world, role, via, csrf)
        problem = check(route, world, role, response, before)
        response.close()  # static files are streamed from an open file
        if problem:
            problems.append(f"{role:15} {problem}")
    return problems


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_matrix(app: Flask, world: World, route: Route) -> None:
    # The API is tried with both kinds of credentials; pages only have the session cookie.
    ways = ("session", "token") if route.api else ("session",)
    problems = [f"[{via}] {p}" for via in ways for p in run_matrix(app, world, route, via)]
    assert not problems, f"{route.id}:\n" + "\n".join(problems)


# ---- the table itself ----------------------------------------------------------------


def routes_of(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def covered_elsewhere() -> set[tuple[str, str]]:
    """Routes whose permission matrix lives with their own area's tests: every
    tests/<area>/permission_matrix.py declares COVERED = {(rule, method), ...} and tests
    each of them for every role."""
    covered: set[tuple[str, str]] = set()
    for path in sorted(Path(__file__).parent.glob("*/permission_matrix.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.permission_matrix")
        covered |= set(module.COVERED)
    return covered


def test_every_route_is_classified(app: Flask) -> None:
    table = {(r.rule, r.method) for r in ROUTES} | covered_elsewhere()
    unclassified = routes_of(app) - table
    assert not unclassified, (
        "Add these routes to ROUTES in tests/test_permissions.py (or to COVERED in your "
        "area's tests/<area>/permission_matrix.py, which tests them), with who may use them: "
        + ", ".join(f"{m} {r}" for r, m in sorted(unclassified))
    )
    gone = table - routes_of(app)
    assert not gone, f"ROUTES lists routes the app no longer has: {sorted(gone)}"


def test_admin_area_is_admins_only() -> None:
    admin_routes = [r for r in ROUTES if r.rule.startswith("/admin")]
    assert admin_routes
    assert all(r.allowed == ADMIN and r.denied == 403 for r in admin_routes)


def test_anonymous_is_sent_to_sign_in_for_everything_not_public() -> None:
    for route in ROUTES:
        if "anonymous" in route.allowed:
            continue
        if route.anonymous is not None:
            assert route.why, f"{route.id}: say why anonymous users get {route.anonymous}"
        elif not route.api:
            assert route.expectation("anonymous") == SIGN_IN


def test_hidden_routes_say_why() -> None:
    for route in ROUTES:
        if route.denied != 403:
            assert route.why, f"{route.id}: say why refusals are {route.denied}"


# ---- the cases that matter most, spelled out -----------------------------------------


def _activity(activity_id: int) -> Activity:
    db.session.expire_all()
    found = db.session.get(Activity, activity_id)
    assert found is not None
    return found


@pytest.mark.parametrize("role", ["provider_other", "link_worker", "panel", "reviewer"])
def test_only_the_owning_organisation_can_change_a_listing(
    app: Flask, world: World, role: str
) -> None:
    activity_id = world.listings["published"]
    before = fingerprint()
    client = app.test_client()
    csrf = signed_in(client, world.users[role].email)
    base = f"/manage/activities/{activity_id}"
    form = {k: v.format(**world.values) for k, v in listing_form("Hijacked").items()}
    attempts = [
        client.get(f"{base}/edit"),
        client.post(f"{base}/edit", data={**form, "csrf_token": csrf}),
        client.post(f"{base}/capacity", data={"spare_places": "0", "csrf_token": csrf}),
        client.post(f"{base}/confirm", data={"csrf_token": csrf}),
        client.post(f"{base}/status", data={"status": "archived", "csrf_token": csrf}),
        client.get(f"{base}/history"),
        client.patch(
            f"/api/v1/activities/{activity_id}/capacity",
            json={"spare_places": 0},
            headers={"X-CSRFToken": csrf},
        ),
        app.test_client().patch(
            f"/api/v1/activities/{activity_id}/capacity",
            json={"spare_places": 0},
            headers=bearer(world.tokens[role]),
        ),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    assert "Published walk" not in attempts[5].get_data(as_text=True)  # no history shown
    assert fingerprint() == before
    listing = _activity(activity_id)
    assert (listing.title, listing.status, listing.spare_places) == (
        "Published walk",
        "published",
        4,
    )


def test_the_owning_provider_can_change_its_listing(app: Flask, world: World) -> None:
    activity_id = world.listings["published"]
    client = app.test_client()
    csrf = signed_in(client, world.users["provider_own"].email)
    base = f"/manage/activities/{activity_id}"
    response = client.post(f"{base}/capacity", data={"spare_places": "1", "csrf_token": csrf})
    assert response.status_code == 302
    assert _activity(activity_id).spare_places == 1
    form = {k: v.format(**world.values) for k, v in listing_form("Renamed walk").items()}
    assert client.post(f"{base}/edit", data={**form, "csrf_token": csrf}).status_code == 302
    assert _activity(activity_id).title == "Renamed walk"
    response = client.post(f"{base}/status", data={"status": "archived", "csrf_token": csrf})
    assert response.status_code == 302
    assert _activity(activity_id).status == "archived"


def test_a_provider_cannot_award_itself_a_kite_mark_or_move_a_listing(
    app: Flask, world: World, make: Any
) -> None:
    """The admin-only fields of the listing form are ignored when a provider posts them."""
    other_org = world.users["provider_other"].organisation_id
    client = app.test_client()
    csrf = signed_in(client, world.users["provider_own"].email)
    form = {
        **{k: v.format(**world.values) for k, v in listing_form("Still mine").items()},
        "kite_mark": "awarded",
        "organisation_id": str(other_org),
        "csrf_token": csrf,
    }
    activity_id = world.listings["published"]
    assert client.post(f"/manage/activities/{activity_id}/edit", data=form).status_code == 302
    edited = _activity(activity_id)
    assert edited.title == "Still mine"
    assert edited.kite_mark == "none"
    assert edited.organisation_id == world.values["organisation_id"]

    form["title"] = "Brand new"
    assert client.post("/manage/activities/new", data=form).status_code == 302
    db.session.expire_all()
    created = db.session.scalars(select(Activity).where(Activity.title == "Brand new")).one()
    assert created.kite_mark == "none"
    assert created.organisation_id == world.values["organisation_id"]


def test_providers_list_only_their_own_listings(app: Flask, world: World) -> None:
    pages = {}
    for role in ("provider_own", "provider_other", "admin"):
        client = app.test_client()
        signed_in(client, world.users[role].email)
        response = client.get("/manage/")
        assert response.status_code == 200
        pages[role] = response.get_data(as_text=True)
    assert "Published walk" in pages["provider_own"]
    assert "Other org&#39;s walk" not in pages["provider_own"]
    assert "Published walk" not in pages["provider_other"]
    assert "Draft walk" not in pages["provider_other"]
    assert "Published walk" in pages["admin"]


def test_a_token_cannot_be_revoked_by_someone_else(app: Flask, world: World) -> None:
    token_id = world.values["token_id"]
    for role in ("admin", "provider_other"):
        client = app.test_client()
        csrf = signed_in(client, world.users[role].email)
        response = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf})
        assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, token_id).revoked is False
