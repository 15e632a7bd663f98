"""ONS4 distance travelled: shown on provider and activity pages only from 10 people."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from spdirectory.db_types import utcnow
from spdirectory.extensions import db
from spdirectory.referrals import services

from .conftest import World, refer

BEFORE = {"life_satisfaction": 4, "worthwhile": 5, "happy": 4, "anxious": 7}


def scored(
    world: World,
    people: int,
    *,
    activity: Any = None,
    later_stage: str = "end",
    prefix: str = "O",
) -> None:
    for i in range(people):
        referral = refer(world, activity, client_reference=f"{prefix}{i}")
        services.record_outcome(
            referral,
            "baseline",
            BEFORE,
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
    scored(world, 6, activity=other, prefix="P")
    assert services.distance_travelled(activity_id=world.activity.id) is None
    assert services.distance_travelled(organisation_id=world.org.id).people == 12


def scored_again(world: World, reference: str, later: dict[str, int], activity: Any = None) -> None:
    """A further referral, with both scores, of a person who already has one."""
    referral = refer(world, activity, client_reference=reference)
    services.record_outcome(referral, "baseline", BEFORE, world.link_worker)
    services.record_outcome(referral, "end", later, world.link_worker)
    db.session.commit()


def test_one_person_referred_twice_counts_once(client: FlaskClient, world: World) -> None:
    # Nine people, ten referrals: still below ten people, so still suppressed. The second
    # reference differs only in case, as link workers type them.
    scored(world, 9)
    scored_again(world, "o3", {"life_satisfaction": 6, "worthwhile": 6, "happy": 7, "anxious": 4})
    assert services.distance_travelled(activity_id=world.activity.id) is None
    assert services.distance_travelled(organisation_id=world.org.id) is None
    for url in (f"/activities/{world.activity.id}", f"/organisations/{world.org.id}"):
        assert "distance travelled" not in client.get(url).get_data(as_text=True)


def test_a_person_referred_twice_weighs_once_in_the_means(world: World) -> None:
    # Ten people improve life satisfaction 4 -> 6; one of them, referred again, 4 -> 10.
    # Per person: nine at +2 and one at the mean of their referrals (+4), so +2.2; per
    # referral it would have been (10 * 2 + 6) / 11 = +2.4.
    scored(world, 10)
    scored_again(world, "O0", {"life_satisfaction": 10, "worthwhile": 6, "happy": 7, "anxious": 4})
    result = services.distance_travelled(activity_id=world.activity.id)
    assert result is not None and result.people == 10
    assert result.change["life_satisfaction"] == 2.2
    assert result.later["life_satisfaction"] == 6.2
    assert result.baseline["life_satisfaction"] == 4.0


def test_a_person_is_counted_once_across_an_organisations_activities(
    world: World, make: Any
) -> None:
    other = make.activity(world.org, referral_routes="link_worker")
    db.session.commit()
    scored(world, 10)
    scored(world, 10, activity=other)  # the same ten references, at the second activity
    assert services.distance_travelled(activity_id=world.activity.id).people == 10
    assert services.distance_travelled(activity_id=other.id).people == 10
    assert services.distance_travelled(organisation_id=world.org.id).people == 10


def test_anonymised_referrals_count_as_one_person_each(world: World) -> None:
    # Purge clears the reference, so referrals can no longer be linked: each is a person.
    scored(world, 10)
    db.session.execute(
        db.update(services.Referral).values(client_reference="", anonymised_at=utcnow())
    )
    db.session.commit()
    result = services.distance_travelled(activity_id=world.activity.id)
    assert result is not None and result.people == 10


@pytest.mark.parametrize("bad", [-1, 11, "7", None, True])
def test_scores_must_be_0_to_10(bad: Any) -> None:
    scores, errors = services.ons4_scores(
        {"life_satisfaction": bad, "worthwhile": 5, "happy": 5, "anxious": 5}
    )
    if bad == "7":
        assert scores is not None and scores["life_satisfaction"] == 7  # form values are text
    else:
        assert scores is None and "life_satisfaction" in errors
