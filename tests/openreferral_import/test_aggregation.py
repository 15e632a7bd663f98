"""Likely duplicates across sources: detection, the review queue, merge / keep apart, and
decisions that are remembered across re-imports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from spdirectory.directory.models import Activity
from spdirectory.extensions import db
from spdirectory.openreferral.aggregation import (
    DecisionError,
    DuplicateCandidate,
    decide,
    likely_duplicate,
    normalise_organisation,
)
from tests.accounts.helpers import csrf_token, quick_user, signed_in

from .helpers import service


def import_file(app: Flask, path: Path, records: list[dict[str, Any]]) -> Any:
    path.write_text(json.dumps(records))
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    return result


def pairs() -> list[DuplicateCandidate]:
    db.session.expire_all()
    return list(db.session.scalars(select(DuplicateCandidate).order_by(DuplicateCandidate.id)))


def listing(source: str, external_id: str) -> Activity:
    db.session.expire_all()
    return db.session.execute(
        select(Activity).where(Activity.source == source, Activity.external_id == external_id)
    ).scalar_one()


def test_rules() -> None:
    assert normalise_organisation("The Hilltop Walkers Ltd.") == "hilltop walkers"
    walk = ("Tuesday wellbeing walk", "Hilltop Walkers", "LS1 1AZ")
    assert likely_duplicate(walk, ("Tuesday Wellbeing Walk!", "hilltop walkers ltd", "LS1 1AZ"))
    assert likely_duplicate(walk, ("Tuesday wellbeing walks", "Leeds Council", "LS1 1AZ"))
    assert likely_duplicate(walk, ("Tuesday wellbeing walk", "Hilltop Walkers", "LS8 2HH")) is None
    assert likely_duplicate(walk, ("Knit and natter", "Hilltop Walkers", "LS1 1AZ")) is None
    assert likely_duplicate(walk, ("Thursday choir", "Other group", "LS1 1AZ")) is None


@pytest.fixture
def two_sources(app: Flask, tmp_path: Path) -> Flask:
    import_file(app, tmp_path / "council.json", [service("c1"), service("c2", name="Choir",
                categories=("music_singing",), org="Singers")])  # fmt: skip
    result = import_file(
        app,
        tmp_path / "nhs.json",
        [
            service("n1", name="Tuesday Wellbeing Walk", org="The Hilltop Walkers Ltd"),
            service("n2", name="Choir", org="Singers", postcode="LS8 2HH"),  # elsewhere
        ],
    )
    assert "1 likely duplicates queued for review" in result.output
    return app


def test_duplicates_across_sources_are_queued_once(two_sources: Flask, tmp_path: Path) -> None:
    [pair] = pairs()
    assert {pair.first.source, pair.second.source} == {"council.json", "nhs.json"}
    assert pair.status == "pending"
    assert pair.reason_list == ["Same organisation name", "Same postcode (LS1 1AZ)",
                                "Titles 100% alike"]  # fmt: skip
    # Re-importing either source does not queue the pair again.
    result = import_file(two_sources, tmp_path / "nhs.json", [
        service("n1", name="Tuesday Wellbeing Walk.", org="The Hilltop Walkers Ltd"),
        service("n2", name="Choir", org="Singers", postcode="LS8 2HH"),
    ])  # fmt: skip
    assert "0 likely duplicates" in result.output
    assert len(pairs()) == 1


def test_same_source_is_never_a_duplicate(app: Flask, tmp_path: Path) -> None:
    import_file(app, tmp_path / "a.json", [service("x1"), service("x2")])
    assert pairs() == []


def test_merge_archives_the_other_and_it_stays_archived(two_sources: Flask, tmp_path: Path) -> None:
    [pair] = pairs()
    keep = listing("council.json", "c1")
    admin = quick_user("admin")
    decide(pair.id, "merged", keep.id, admin.id)
    db.session.commit()
    assert listing("nhs.json", "n1").status == "archived"
    assert listing("council.json", "c1").status == "published"
    [pair] = pairs()
    assert (pair.status, pair.kept_id, pair.decided_by_id) == ("merged", keep.id, admin.id)
    # The NHS feed changes its copy: it is updated but stays archived, and is not re-queued.
    result = import_file(two_sources, tmp_path / "nhs.json", [
        service("n1", name="Tuesday Wellbeing Walk (new time)", org="The Hilltop Walkers Ltd",
                sessions=(("tue", "11:00", "12:00"),)),
        service("n2", name="Choir", org="Singers", postcode="LS8 2HH"),
    ])  # fmt: skip
    assert "1 updated" in result.output
    merged = listing("nhs.json", "n1")
    assert merged.status == "archived" and merged.schedule == "Tue 11:00-12:00"
    assert len(pairs()) == 1


def test_keep_apart_is_remembered_and_a_second_decision_refused(two_sources: Flask) -> None:
    [pair] = pairs()
    decide(pair.id, "kept_apart", None, None)
    db.session.commit()
    with pytest.raises(DecisionError, match="already been decided"):
        decide(pair.id, "merged", pair.first_id, None)
    db.session.rollback()
    assert listing("nhs.json", "n1").status == "published"
    with pytest.raises(DecisionError, match="which of the two"):
        other = listing("council.json", "c2")
        decide(pair.id, "merged", other.id, None)


def test_review_page_and_decisions_by_form(two_sources: Flask) -> None:
    client = two_sources.test_client()
    quick_user("admin", email="boss@example.org")
    db.session.commit()
    signed_in(client, "boss@example.org")
    page = client.get("/admin/duplicates/").get_data(as_text=True)
    [pair] = pairs()
    assert f"Pair {pair.id}" in page and "Same organisation name" in page
    assert "council.json" in page and "nhs.json" in page
    token = csrf_token(client, "/admin/duplicates/")
    # No choice: an error message, nothing decided.
    response = client.post(f"/admin/duplicates/{pair.id}", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Choose merge or keep apart" in client.get("/admin/duplicates/").get_data(as_text=True)
    assert pairs()[0].status == "pending"
    # Without CSRF: refused.
    response = client.post(f"/admin/duplicates/{pair.id}", data={"decision": "keep_first"})
    assert response.status_code == 400 and pairs()[0].status == "pending"
    response = client.post(
        f"/admin/duplicates/{pair.id}", data={"decision": "keep_second", "csrf_token": token}
    )
    assert response.status_code == 302
    [pair] = pairs()
    assert pair.status == "merged" and pair.kept_id == pair.second_id
    assert db.session.get(Activity, pair.first_id).status == "archived"
    assert "Nothing is waiting for review" in client.get("/admin/duplicates/").get_data(
        as_text=True
    )
    merged = client.get("/admin/duplicates/?status=merged").get_data(as_text=True)
    assert f"Pair {pair.id}" in merged
    # Deciding again: refused with a message, the decision stands.
    client.post(
        f"/admin/duplicates/{pair.id}", data={"decision": "kept_apart", "csrf_token": token}
    )
    assert "already been decided" in client.get("/admin/duplicates/").get_data(as_text=True)
    assert pairs()[0].status == "merged"
    assert client.post("/admin/duplicates/99999", data={"decision": "kept_apart",
                       "csrf_token": token}).status_code == 404  # fmt: skip


def test_two_admins_deciding_at_once_cannot_both_win(two_sources: Flask) -> None:
    import threading

    [pair] = pairs()
    db.session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide_in_thread(decision: str, keep: int | None) -> None:
        with two_sources.app_context():
            barrier.wait()
            try:
                decide(pair.id, decision, keep, None)
                db.session.commit()
                outcomes.append(decision)
            except DecisionError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=decide_in_thread, args=("merged", pair.second_id)),
        threading.Thread(target=decide_in_thread, args=("kept_apart", None)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) in (["merged", "refused"], ["kept_apart", "refused"])
    [after] = pairs()
    winner = next(o for o in outcomes if o != "refused")
    assert after.status == winner
    first = db.session.get(Activity, after.first_id)
    assert first.status == ("archived" if winner == "merged" else "published")
