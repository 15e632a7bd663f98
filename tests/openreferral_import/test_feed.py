"""`spdirectory import-feed URL` against a real local HTTP server: paging, minimal lists,
timeouts, malformed pages, refresh and archiving."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.wrappers import Response

from spdirectory.directory.models import Activity
from spdirectory.extensions import db
from spdirectory.openreferral.feed import FeedError, default_label, services_url

from .helpers import FeedServer, json_response, serve, service, sleeping


@pytest.fixture
def quick(app: Flask) -> Flask:
    app.config.update(OPENREFERRAL_FEED_TIMEOUT=0.5, OPENREFERRAL_FEED_RETRIES=1,
                      OPENREFERRAL_FEED_BACKOFF=0)  # fmt: skip
    return app


def pull(app: Flask, url: str, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["import-feed", url, *args])


def stored() -> dict[str, Activity]:
    db.session.expire_all()
    return {a.external_id: a for a in db.session.scalars(select(Activity))}


def services(n: int) -> list[dict[str, Any]]:
    return [service(f"s{i}", name=f"Walk number {i}") for i in range(1, n + 1)]


def test_walks_every_page(quick: Flask) -> None:
    feed = FeedServer(services(5), per_page=2)
    with serve(feed) as base:
        result = pull(quick, base + "/")
    assert result.exit_code == 0, result.output
    assert "5 created" in result.output
    pages = [r for r in feed.requests if r.startswith("/services?")]
    assert [p.split("page=")[1].split("&")[0] for p in pages] == ["1", "2", "3"]
    assert sorted(stored()) == ["s1", "s2", "s3", "s4", "s5"]
    assert {a.source for a in stored().values()} == {base}


def test_minimal_lists_fetch_each_full_service(quick: Flask) -> None:
    feed = FeedServer(services(3), per_page=10)
    feed.minimal = True
    with serve(feed) as base:
        result = pull(quick, base + "/services")
    assert result.exit_code == 0, result.output
    assert sorted(r.split("?")[0] for r in feed.requests if "/services/" in r) == [
        "/services/s1", "/services/s2", "/services/s3"
    ]  # fmt: skip
    assert stored()["s2"].schedule == "Tue 10:00-11:00"


def test_a_detail_that_cannot_be_fetched_is_one_bad_record(quick: Flask) -> None:
    feed = FeedServer(services(3), per_page=10)
    feed.minimal = True
    feed.detail_hooks["s2"] = lambda: Response("<html>oops</html>", status=200)
    with serve(feed) as base:
        result = pull(quick, base)
    assert result.exit_code == 1
    assert "page 1, record 2: service details (http" in result.output
    assert "not JSON" in result.output
    assert sorted(stored()) == ["s1", "s3"]


def test_timeout_names_the_page_and_archives_nothing(quick: Flask) -> None:
    feed = FeedServer(services(4), per_page=2)
    with serve(feed) as base:
        assert pull(quick, base).exit_code == 0
        feed.hooks[2] = sleeping(1.5)  # longer than the 0.5 s timeout
        result = pull(quick, base)
    assert result.exit_code == 1
    assert "page 2 (" in result.output and "no answer within 0.5 s (tried 2 times)" in result.output
    assert "nothing archived: the source was not read to the end" in result.output
    # Page 2's listings are not in what was read, yet they are not archived.
    assert {k: a.status for k, a in stored().items()} == dict.fromkeys(
        ["s1", "s2", "s3", "s4"], "published"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (lambda: Response("{not json", mimetype="application/json"), "not JSON"),
        (lambda: json_response([1, 2]), "expected a page object, got a JSON list"),
        (lambda: json_response({"items": []}), "the page has no “contents” list"),
        (lambda: json_response({"contents": [], "total_pages": "2"}), "“total_pages” must be"),
        (lambda: json_response({"error": "gone"}, 404), "HTTP 404"),
    ],
    ids=["bad-json", "list", "no-contents", "bad-total", "404"],
)
def test_malformed_page_is_a_clear_error(quick: Flask, body: Any, message: str) -> None:
    feed = FeedServer(services(4), per_page=2)
    feed.hooks[2] = body
    with serve(feed) as base:
        result = pull(quick, base)
    assert result.exit_code == 1
    assert "Error: the feed could not be read to the end: page 2" in result.output
    assert message in result.output
    assert sorted(stored()) == ["s1", "s2"]  # page 1 was good and is kept


def test_server_errors_are_retried_with_backoff(quick: Flask) -> None:
    feed = FeedServer(services(2), per_page=5)
    calls = {"n": 0}

    def flaky() -> Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return json_response({"error": "busy"}, 503)
        feed.hooks.pop(1)
        return feed.respond_page_one()  # type: ignore[attr-defined]

    feed.respond_page_one = lambda: json_response(  # type: ignore[attr-defined]
        {"contents": feed.services, "total_pages": 1}
    )
    feed.hooks[1] = flaky
    with serve(feed) as base:
        result = pull(quick, base)
    assert result.exit_code == 0, result.output
    assert calls["n"] == 2 and len(stored()) == 2


def test_refresh_updates_archives_gone_and_republishes_returning(quick: Flask) -> None:
    feed = FeedServer(services(3), per_page=2)
    with serve(feed) as base:
        assert pull(quick, base).exit_code == 0
        feed.services = [service("s1", name="Walk number one, renamed"), services(3)[2]]
        result = pull(quick, base)
        assert result.exit_code == 0, result.output
        assert "0 created, 1 updated, 1 unchanged" in result.output
        assert "1 archived (no longer in the source)" in result.output
        now = stored()
        assert now["s1"].title == "Walk number one, renamed"
        assert now["s2"].status == "archived" and now["s3"].status == "published"
        feed.services = services(3)
        result = pull(quick, base)
        assert "1 published again (back in the source)" in result.output
        assert stored()["s2"].status == "published"
        result = pull(quick, base, "--no-archive")
    assert "archived" not in result.output


def test_urls() -> None:
    assert services_url("https://x.org/api/") == "https://x.org/api/services"
    assert services_url("https://x.org/api/services?page=3") == "https://x.org/api/services"
    assert default_label("https://X.org/api/services/") == "https://x.org/api"
    with pytest.raises(FeedError, match="not an http"):
        services_url("ftp://x.org")


def test_bad_url_is_a_clear_cli_error(quick: Flask) -> None:
    result = pull(quick, "not-a-url")
    assert result.exit_code == 1 and "is not an http(s) URL" in result.output


SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "standards"


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="the shared standards folder is not beside us")
def test_the_official_validator_sample_feed(quick: Flask, tmp_path: Path) -> None:
    """The ORUK validator's V3.0-UK-Default responses: a minimal list page whose service is
    fetched in full; its US-style address is reported, and its unknown term listed."""
    folder = SAMPLES / "oruk-validator-samples" / "V3.0-UK-Default"
    listing = json.loads((folder / "service_list.json").read_text())
    full = json.loads((folder / "service_full.json").read_text())
    feed = FeedServer([full])
    feed.respond = lambda request: (  # type: ignore[method-assign]
        json_response(listing) if request.path.endswith("/services") else json_response(full)
    )
    with serve(feed) as base:
        result = pull(quick, base)
    assert result.exit_code == 1
    assert any(r.startswith(f"/services/{full['id']}") for r in feed.requests)
    assert "page 1, record 1 (id ac148810-d857-441c-9679-408f346de14b)" in result.output
    assert "“ABC 1234” is not a valid UK postcode" in result.output
    assert (
        "unknown taxonomy terms" in result.output and "“name” (taxonomy taxonomy)" in result.output
    )
    # With the term mapped and a UK postcode, the same service imports.
    mapping = tmp_path / "m.json"
    mapping.write_text('{"terms": {"taxonomy:name": ["category:mental_wellbeing"]}}')
    quick.config["OPENREFERRAL_TAXONOMY_MAPPING"] = str(mapping)
    address = full["service_at_locations"][0]["location"]["addresses"][0]
    address["postal_code"] = "LS1 1AZ"
    with serve(feed) as base:
        result = pull(quick, base)
    assert result.exit_code == 0, result.output
    [activity] = stored().values()
    assert activity.title == "Community Counselling"
    assert activity.categories == ["mental_wellbeing"]
    assert (activity.age_min, activity.age_max) == (12, 100)
    assert activity.cost_pence == 3500
    assert activity.schedule == ""  # its only schedule ended (valid_to) in 2005
