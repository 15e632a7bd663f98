"""Browser tests: Debian chromium driven by Playwright against a live server.

The whole folder is skipped (with the reason) when chromium or the playwright package is
missing. Browser tests use their own database and live server, built once per session per
database (SQLite always; PostgreSQL too when TEST_DATABASE_URL is set, in a database of its
own); they never use the database-parametrised `app` fixture from tests/conftest.py.

Fixtures:
    live_server  LiveServer(url, app, seed): the app on 127.0.0.1:<free port>, seeded once.
    new_page     a factory: new_page() opens a page in a fresh browser context (no cookies);
                 new_page(signed_in_as=email) one already signed in as that seeded user;
                 shared=True reuses a session-long context (see new_page).
    page         an anonymous page, for tests that need only one.
    page_problems  what the browser reported (see PageProblems).

Every page is watched: a Content-Security-Policy violation, an uncaught JavaScript error or a
console error fails the test. Failed requests to external hosts (map tiles) are ignored: no
host name resolves in this browser (see CHROMIUM_ARGS), so they fail at once.

Helpers: sign_in(page, email, password) and axe_violations(page, impacts).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Nothing may leave the machine: every host name fails to resolve (the live server is
    # addressed by IP), so map tiles fail at once instead of waiting on a network, here or in CI.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
AXE_PATH = "/static/vendor/axe-core/axe.min.js"
# Fail fast: every page here is local and small.
TIMEOUT_MS = 10_000
HERE = Path(__file__).resolve().parent


def _unavailable_reason() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "browser tests need the playwright Python package (pip install playwright)"
    if not os.access(CHROMIUM_PATH, os.X_OK):
        return (
            f"browser tests need chromium at {CHROMIUM_PATH} "
            "(apt-get install chromium, or set CHROMIUM_PATH)"
        )
    return None


SKIP_REASON = _unavailable_reason()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees every collected item, so only touch the ones in this folder.
    for item in items:
        if HERE not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if SKIP_REASON:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


# ------------------------------------------------------------------------- live server


@dataclass(frozen=True)
class Seed:
    """What the seeded database holds, for tests to refer to by name rather than by id."""

    provider_email: str
    link_worker_email: str
    admin_email: str
    password: str
    organisation_id: int
    organisation_name: str
    activity_id: int  # a full listing, for page checks
    activity_title: str
    capacity_activity_id: int  # only the capacity test changes this one
    capacity_activity_title: str
    stale_activity_id: int  # only the "still accurate" test confirms this one
    stale_activity_title: str


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: Flask
    seed: Seed


def _seed_database() -> Seed:
    from tests import factories as make

    org = make.organisation(
        "Riverside Community Trust",
        email="hello@riverside.example.org",
        website="https://riverside.example.org",
    )
    other = make.organisation("Hilltop Walkers")
    provider = make.user("provider", email="provider@example.org", organisation=org)
    link_worker = make.user("link_worker", email="linkworker@example.org")
    admin = make.user("admin", email="admin@example.org")
    full = make.activity(
        org,
        title="Canal-side wellbeing walk",
        description="A gentle walk along the canal.\n\nTea and a chat afterwards.",
        categories="walking;green_nature",
        needs="loneliness;physical_inactivity;low_mood",
        address="Canal Basin, Leeds",
        postcode="LS1 1AZ",
        schedule="Tue 10:00-11:00; Sat 14:00-15:30",
        cost="free",
        age_min="18",
        wheelchair_accessible="yes",
        languages="en;ur",
        referral_routes="self;link_worker",
        capacity="20",
        spare_places="4",
        waitlist="yes",
        contact_name="Sam Smith",
        email="walks@riverside.example.org",
        phone="0113 496 0000",
        website="https://riverside.example.org/walks",
        kite_mark="awarded",
    )
    capacity = make.activity(org, title="Thursday allotment group", capacity="12")
    stale = make.activity(
        org, title="Community choir", capacity="30", capacity_updated_at=make.days_ago(45)
    )
    make.activity(org, title="Digital skills drop-in", status="draft", modes="online")
    make.activity(other, title="Hilltop Saturday walk", spare_places="0", waitlist="yes")
    make.activity(other, title="Men's shed", spare_places="0", categories="learning_skills")
    make.commit()
    return Seed(
        provider_email=provider.email,
        link_worker_email=link_worker.email,
        admin_email=admin.email,
        password=make.PASSWORD,
        organisation_id=org.id,
        organisation_name=org.name,
        activity_id=full.id,
        activity_title=full.title,
        capacity_activity_id=capacity.id,
        capacity_activity_title=capacity.title,
        stale_activity_id=stale.id,
        stale_activity_title=stale.title,
    )


def _quiet_handler() -> type:
    from werkzeug.serving import WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        # One line per request would bury the test output; errors are still logged.
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            return None

    return QuietHandler


def _browser_database(backend: str, tmp: Path) -> str:
    """A database of the browser tests' own: a SQLite file, or a PostgreSQL database beside
    TEST_DATABASE_URL's (`<name>_browser`, recreated), which the other tests never empty."""
    if backend == "sqlite":
        return f"sqlite:///{tmp}/browser.db"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from spdirectory.config import normalise_database_url

    url = make_url(normalise_database_url(os.environ["TEST_DATABASE_URL"]))
    name = f"{url.database}_browser"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from spdirectory import create_app
    from spdirectory.extensions import db

    if request.param == "postgresql" and not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("browser tests on PostgreSQL need TEST_DATABASE_URL")
    tmp = tmp_path_factory.mktemp(f"browser-{request.param}")
    app = create_app(
        {"DATABASE_URL": _browser_database(request.param, tmp), "SECRET_KEY": "browser-test"},
        instance_path=tmp,
    )
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        seed = _seed_database()
        db.session.remove()

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_quiet_handler())
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, seed=seed)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


# ------------------------------------------------------------------------------ browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if SKIP_REASON:  # belt and braces: the collection hook already skips these tests
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@dataclass
class PageProblems:
    """Console errors, CSP violations and uncaught exceptions seen on a test's pages."""

    base_url: str
    problems: list[str] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        self.pages.append(page)
        page.on("console", self.on_console)
        page.on("pageerror", self.on_page_error)

    def settle(self) -> list[str]:
        """Let the browser's pending events arrive, then return the problems seen.

        The sync Playwright API only delivers events while a Playwright call is running, so a
        short wait on each open page collects anything logged after the test's last action.
        """
        for page in self.pages:
            if not page.is_closed():
                page.wait_for_timeout(50)
        return self.problems

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        text = message.text
        source = message.location.get("url", "") if message.location else ""
        # Requests to other hosts (map tiles) cannot succeed: no host name resolves.
        # A CSP refusal is logged differently ("Refused to …"), so it is never ignored.
        if text.startswith("Failed to load resource") and not self._same_origin(source):
            return
        self.problems.append(f"console error: {text} ({source or 'no source'})")

    def on_page_error(self, error: Any) -> None:
        self.problems.append(f"uncaught JavaScript error: {error}")

    def _same_origin(self, url: str) -> bool:
        return urlsplit(url).netloc == urlsplit(self.base_url).netloc


PROBLEMS_KEY = pytest.StashKey[PageProblems]()


@pytest.fixture
def page_problems(live_server: LiveServer, request: pytest.FixtureRequest) -> PageProblems:
    problems = PageProblems(base_url=live_server.url)
    # Checked by pytest_runtest_call below, so that problems fail the test itself.
    request.node.stash[PROBLEMS_KEY] = problems
    return problems


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    __tracebackhide__ = True
    problems = item.stash.get(PROBLEMS_KEY, None)
    try:
        result = yield
    except BaseException:
        # The test failed anyway; still show what the browser said, it may explain why.
        if problems is not None and problems.problems:
            item.add_report_section("call", "browser", "\n".join(problems.problems))
        raise
    if problems is not None and problems.settle():
        listed = "\n  ".join(problems.problems)
        raise AssertionError(f"the browser reported problems:\n  {listed}")
    return result


@pytest.fixture(scope="session")
def _shared_contexts(
    browser: Browser, live_server: LiveServer
) -> Iterator[dict[str, BrowserContext]]:
    """Browser contexts kept for the session, one per identity ("" is anonymous), for each
    live server (they hold its address and cookies)."""
    contexts: dict[str, BrowserContext] = {}
    yield contexts
    for context in contexts.values():
        context.close()


@pytest.fixture
def new_page(
    browser: Browser,
    live_server: LiveServer,
    page_problems: PageProblems,
    _shared_contexts: dict[str, BrowserContext],
) -> Iterator[Callable[..., Page]]:
    """Open watched pages; whatever a test opens is closed after it.

    new_page() opens an anonymous page in a fresh context (no cookies).
    new_page(signed_in_as=email) opens one already signed in as that seeded user: the user
    signs in once per session through the real form, and later contexts reuse the cookies.
    new_page(..., shared=True) opens the page in a context kept for the whole session for that
    identity, which keeps the browser's cache warm (about half a second a page). Only for
    tests that neither sign in nor out, and that leave no flash messages behind.
    """
    own_contexts: list[BrowserContext] = []
    own_pages: list[Page] = []

    def make_context(storage_state: Any = None) -> BrowserContext:
        context = browser.new_context(
            base_url=live_server.url, locale="en-GB", storage_state=storage_state
        )
        context.set_default_timeout(TIMEOUT_MS)
        return context

    def shared_context(signed_in_as: str | None) -> BrowserContext:
        key = signed_in_as or ""
        if key not in _shared_contexts:
            context = make_context()
            if signed_in_as is not None:
                login_page = context.new_page()
                sign_in(login_page, signed_in_as, live_server.seed.password)
                login_page.close()
            _shared_contexts[key] = context
        return _shared_contexts[key]

    def open_page(signed_in_as: str | None = None, *, shared: bool = False) -> Page:
        if shared:
            opened = shared_context(signed_in_as).new_page()
            own_pages.append(opened)
        else:
            state = shared_context(signed_in_as).storage_state() if signed_in_as else None
            context = make_context(state)
            own_contexts.append(context)
            opened = context.new_page()
        page_problems.watch(opened)
        return opened

    yield open_page
    for opened in own_pages:
        opened.close()
    for context in own_contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """An anonymous page; sign in with sign_in(page, …) or use new_page(signed_in_as=…)."""
    return new_page()


# ------------------------------------------------------------------------------ helpers


def sign_in(page: Page, email: str, password: str, *, expect_success: bool = True) -> None:
    """Sign in through the real form, as a person would."""
    from playwright.sync_api import expect

    page.goto("/sign-in")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state()
    if expect_success:
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def axe_violations(
    page: Page, impacts: tuple[str, ...] = ("minor", "moderate", "serious", "critical")
) -> list[dict[str, Any]]:
    """Run axe-core on the current page; return the violations with these impacts.

    axe is loaded from our own static files, so the page's Content-Security-Policy stays
    enforced (script-src 'self') and the check also proves the page works under it.
    """
    origin = f"{urlsplit(page.url).scheme}://{urlsplit(page.url).netloc}"
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=origin + AXE_PATH)
    violations: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [v for v in violations if v.get("impact") in impacts]


def assert_accessible(page: Page) -> None:
    """axe-core finds nothing on the page, at any impact."""
    violations = axe_violations(page)
    assert not violations, f"{page.url}\n{describe_violations(violations)}"


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """One readable block per violated rule: id, impact, help, and the offending nodes."""
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"<{violation.get('helpUrl', '')}>"
        )
        for node in violation.get("nodes", []):
            target = " ".join(str(t) for t in node.get("target", []))
            lines.append(f"    at {target}: {node.get('html', '')[:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)
