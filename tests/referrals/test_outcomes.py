"""ONS4 distance travelled: shown on provider and activity pages only from 10 people."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from spdirectory.extensions import db
from spdirectory.referrals import services

from .conftest import World, refer


def scored(world: World, people: int, *, activity: Any = None, later_stage: str = "end") -> None:
    for i in range(people):
        referral = refer(world, activity, client_reference=f"O{i}")
        services.record_outcome(
            referral,
            "baseline",
            {"life_satisfaction": 4, "worthwhile": 5, "happy": 4, "anxious": 7},
            world.link_worker,
        )
        services.record_outcome(
            referral,
            later_stage,
            {"life_satisfaction": 6, "worthwhile": 6, "happy": 7, "anxious": 4},
            world.link_worker,
        )
    db.session.commit()


def test_nine_people_are_suppressed(client: FlaskClient, world: World) -> None:
    scored(world, 9)
    # A tenth person with a baseline only does not count.
    only_baseline = refer(world, client_reference="B")
    services.record_outcome(
        only_baseline,
        "baseline",
        {"life_satisfaction": 1, "worthwhile": 1, "happy": 1, "anxious": 1},
        world.link_worker,
    )
    db.session.commit()
    assert services.distance_travelled(activity_id=world.activity.id) is None
    for url in (f"/activities/{world.activity.id}", f"/organisations/{world.org.id}"):
        assert "distance travelled" not in client.get(url).get_data(as_text=True)


def test_ten_people_are_shown_on_both_pages(client: FlaskClient, world: World) -> None:
    scored(world, 10)
    result = services.distance_travelled(organisation_id=world.org.id)
    assert result is not None and result.people == 10
    assert result.change == {
        "life_satisfaction": 2.0,
        "worthwhile": 1.0,
        "happy": 3.0,
        "anxious": -3.0,
    }
    for url in (f"/activities/{world.activity.id}", f"/organisations/{world.org.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "Wellbeing: distance travelled" in html and "+3.0" in html and "-3.0" in html
        assert "10 people" in html


def test_follow_up_is_preferred_to_end(world: World) -> None:
    scored(world, 10, later_stage="end")
    for referral in db.session.scalars(db.select(services.Referral)):
        services.record_outcome(
            referral,
            "follow_up",
            {"life_satisfaction": 9, "worthwhile": 9, "happy": 9, "anxious": 1},
            world.link_worker,
        )
    db.session.commit()
    result = services.distance_travelled(activity_id=world.activity.id)
    assert result is not None and result.people == 10
    assert result.later["life_satisfaction"] == 9.0


def test_other_activity_counts_separately(world: World, make: Any) -> None:
    other = make.activity(world.org, referral_routes="link_worker")
    db.session.commit()
    scored(world, 6)
    scored(world, 6, activity=other)
    assert services.distance_travelled(activity_id=world.activity.id) is None
    assert services.distance_travelled(organisation_id=world.org.id).people == 12


@pytest.mark.parametrize("bad", [-1, 11, "7", None, True])
def test_scores_must_be_0_to_10(bad: Any) -> None:
    scores, errors = services.ons4_scores(
        {"life_satisfaction": bad, "worthwhile": 5, "happy": 5, "anxious": 5}
    )
    if bad == "7":
        assert scores is not None and scores["life_satisfaction"] == 7  # form values are text
    else:
        assert scores is None and "life_satisfaction" in errors
