"""parse_person: every field of a match request is validated, with a message per field."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spdirectory.matching import Person, ProfileError, parse_person
from spdirectory.matching.profile import MAX_LIMIT, Window

ONLINE = {"modes": ["online", "phone"]}  # no postcode needed


def errors(body: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ProfileError) as caught:
        parse_person(body)
    assert str(caught.value), "the exception text names the problems too"
    return caught.value.fields


def test_a_full_request_is_parsed() -> None:
    person = parse_person(
        {
            "postcode": " ls1 1az ",
            "max_distance_km": 5,
            "needs": ["loneliness", "low_mood", "loneliness"],
            "interests": "  singing  ",
            "age": 70,
            "availability": [{"day": "thu", "from": "17:00", "to": "21:00"}],
            "modes": ["in_person", "online"],
            "requires": {"wheelchair": True, "free": True, "languages": ["English", "pl"]},
            "limit": 5,
        }
    )
    assert person.postcode == "LS1 1AZ"
    assert person.latitude == pytest.approx(53.796296)
    assert person.longitude == pytest.approx(-1.564095)
    assert person.located
    assert person.max_distance_km == 5.0 and isinstance(person.max_distance_km, float)
    assert person.needs == ["loneliness", "low_mood"]  # duplicates dropped, order kept
    assert person.interests == "singing"
    assert person.age == 70
    assert person.availability == [Window(3, time(17, 0), time(21, 0))]
    assert person.modes == ["in_person", "online"]
    assert person.wheelchair and person.free_only
    assert person.languages == ["en", "pl"]
    assert person.limit == 5


def test_defaults_for_a_minimal_request() -> None:
    person = parse_person({"postcode": "LS6 4AB"})
    assert person.max_distance_km == 10.0
    assert person.needs == [] and person.interests == "" and person.age is None
    assert person.availability == []  # any time
    assert person.modes == ["in_person", "online", "phone"]
    assert not person.wheelchair and not person.free_only and person.languages == []
    assert person.limit == 10


def test_null_means_not_given() -> None:
    person = parse_person(
        {
            "postcode": "LS6 4AB",
            "max_distance_km": None,
            "needs": None,
            "interests": None,
            "age": None,
            "availability": None,
            "modes": None,
            "requires": None,
            "limit": None,
        }
    )
    assert person.max_distance_km == 10.0 and person.limit == 10 and person.needs == []


# ---- postcode and modes ---------------------------------------------------------------


@pytest.mark.parametrize("body", [{}, {"postcode": ""}, {"modes": ["in_person"]}])
def test_postcode_required_when_meeting_in_person(body: dict[str, Any]) -> None:
    message = errors(body)["postcode"]
    assert "give the person's postcode" in message
    assert "online and phone only" in message


@pytest.mark.parametrize("modes", [["online"], ["phone"], ["online", "phone"]])
def test_postcode_not_required_for_remote_only(modes: list[str]) -> None:
    person = parse_person({"modes": modes})
    assert person.modes == modes
    assert not person.located and person.postcode is None


def test_postcode_still_used_when_remote_only() -> None:
    person = parse_person({"modes": ["online"], "postcode": "LS6 4AB"})
    assert person.located and person.postcode == "LS6 4AB"


@pytest.mark.parametrize(
    ("postcode", "expected"),
    [
        ("not a postcode", "is not a valid UK postcode"),
        ("ZZ9 9ZZ", "We cannot find the postcode"),
        ("BT1 1AA", "not Northern Ireland"),
        (12345, "is not a valid UK postcode"),
    ],
)
def test_bad_postcodes(postcode: Any, expected: str) -> None:
    assert expected in errors({"postcode": postcode})["postcode"]


@pytest.mark.parametrize(
    "modes", [[], "online", ["online", "carrier pigeon"], [["online"]], [None], {"online": 1}]
)
def test_bad_modes(modes: Any) -> None:
    found = errors({"postcode": "LS1 1AZ", "modes": modes})
    assert found == {"modes": "must be a non-empty list of in_person, online, phone"}


def test_modes_deduplicated() -> None:
    assert parse_person({**ONLINE, "modes": ["phone", "phone"]}).modes == ["phone"]


# ---- distance ---------------------------------------------------------------------------


@pytest.mark.parametrize("distance", [0, -1, 200.01, 1000, "5", True, [5], float("inf")])
def test_bad_distance(distance: Any) -> None:
    assert errors({**ONLINE, "max_distance_km": distance}) == {
        "max_distance_km": "must be a number of kilometres between 0 and 200"
    }


@pytest.mark.parametrize("distance", [0.1, 1, 2.5, 200])
def test_good_distance(distance: float) -> None:
    assert parse_person({**ONLINE, "max_distance_km": distance}).max_distance_km == distance


# ---- needs and interests ----------------------------------------------------------------


def test_unknown_needs_are_named() -> None:
    message = errors({**ONLINE, "needs": ["loneliness", "bogus", "worry"]})["needs"]
    assert message == "unknown need code(s): 'bogus', 'worry'"


@pytest.mark.parametrize("needs", ["loneliness", {"loneliness": True}, 3])
def test_needs_must_be_a_list(needs: Any) -> None:
    assert errors({**ONLINE, "needs": needs}) == {
        "needs": "must be a list of need codes such as loneliness"
    }


@pytest.mark.parametrize("needs", [[["loneliness"]], [{"code": "loneliness"}], [1]])
def test_needs_of_the_wrong_type_are_a_422_not_a_crash(needs: Any) -> None:
    assert errors({**ONLINE, "needs": needs})["needs"].startswith("unknown need code(s): ")


@pytest.mark.parametrize("interests", [["singing"], 5, "x" * 501])
def test_bad_interests(interests: Any) -> None:
    assert errors({**ONLINE, "interests": interests}) == {
        "interests": "must be text of 500 characters or fewer"
    }


def test_interests_of_500_characters_are_fine() -> None:
    assert len(parse_person({**ONLINE, "interests": "y" * 500}).interests) == 500


# ---- age ----------------------------------------------------------------------------------


@pytest.mark.parametrize("age", [-1, 121, 70.5, 70.0, "70", True, False])
def test_bad_age(age: Any) -> None:
    assert errors({**ONLINE, "age": age}) == {"age": "must be a whole number of years"}


@pytest.mark.parametrize("age", [0, 18, 120])
def test_good_age(age: int) -> None:
    assert parse_person({**ONLINE, "age": age}).age == age


# ---- availability ---------------------------------------------------------------------


def test_availability_windows() -> None:
    person = parse_person(
        {
            **ONLINE,
            "availability": [
                {"day": "mon", "from": "9:00", "to": "12:30"},
                {"day": "sun"},  # the whole day
                {"day": "fri", "from": "18:00", "to": "24:00"},
            ],
        }
    )
    assert person.availability == [
        Window(0, time(9, 0), time(12, 30)),
        Window(6, time(0, 0), time(23, 59)),
        Window(4, time(18, 0), time(23, 59)),
    ]


@pytest.mark.parametrize(
    ("slot", "message"),
    [
        ({"day": "monday"}, 'needs "day" (mon … sun), "from" and "to"'),
        ({"from": "09:00", "to": "10:00"}, 'needs "day" (mon … sun), "from" and "to"'),
        ({"day": ["mon"]}, 'needs "day" (mon … sun), "from" and "to"'),
        ("mon 9-5", 'needs "day" (mon … sun), "from" and "to"'),
        ({"day": "mon", "from": "25:00", "to": "26:00"}, "must be a time such as 09:30"),
        ({"day": "mon", "from": "9am", "to": "17:00"}, "must be a time such as 09:30"),
        ({"day": "mon", "from": 9, "to": "17:00"}, "must be a time such as 09:30"),
        ({"day": "mon", "from": "17:00", "to": "09:00"}, '"to" must be after "from"'),
        ({"day": "mon", "from": "10:00", "to": "10:00"}, '"to" must be after "from"'),
    ],
)
def test_bad_availability_slot(slot: Any, message: str) -> None:
    found = errors({**ONLINE, "availability": [{"day": "tue"}, slot]})
    assert found == {"availability[1]": message}


def test_availability_must_be_a_list() -> None:
    assert errors({**ONLINE, "availability": {"day": "mon"}}) == {
        "availability": 'must be a list of {"day", "from", "to"}'
    }


# ---- requirements -------------------------------------------------------------------


@pytest.mark.parametrize("requires", [[], "wheelchair", 1])
def test_requires_must_be_an_object(requires: Any) -> None:
    assert errors({**ONLINE, "requires": requires}) == {"requires": "must be an object"}


@pytest.mark.parametrize("key", ["wheelchair", "free"])
@pytest.mark.parametrize("value", ["yes", 1, 0, "true"])
def test_requirement_flags_must_be_booleans(key: str, value: Any) -> None:
    assert errors({**ONLINE, "requires": {key: value}}) == {
        f"requires.{key}": "must be true or false"
    }


def test_languages_are_normalised_to_codes() -> None:
    person = parse_person(
        {**ONLINE, "requires": {"languages": ["Polish", "urd", "Welsh", "Bengali"]}}
    )
    assert person.languages == ["pl", "ur", "cy", "bn"]


@pytest.mark.parametrize("spelling", ["en", "EN", "eng", "English", "english"])
def test_every_spelling_of_english_is_english(spelling: str) -> None:
    # Listings with no languages count as English ("en"): a person asking for English,
    # however they spell it, must match them.
    person = parse_person({**ONLINE, "requires": {"languages": [spelling]}})
    assert person.languages == ["en"]


def test_unknown_language() -> None:
    assert errors({**ONLINE, "requires": {"languages": ["Klingonese"]}}) == {
        "requires.languages": "“Klingonese” is not a language we know (use a name or ISO code)"
    }


def test_languages_must_be_a_list() -> None:
    assert errors({**ONLINE, "requires": {"languages": "Polish"}}) == {
        "requires.languages": "must be a list of languages"
    }


# ---- limit ----------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1, 1000, "5", 5.0, True])
def test_bad_limit(limit: Any) -> None:
    assert errors({**ONLINE, "limit": limit}) == {"limit": "must be a whole number from 1 to 50"}


@pytest.mark.parametrize("limit", [1, 25, MAX_LIMIT])
def test_good_limit(limit: int) -> None:
    assert parse_person({**ONLINE, "limit": limit}).limit == limit


# ---- everything at once, and anything at all --------------------------------------------


def test_every_problem_is_reported_together() -> None:
    found = errors(
        {
            "max_distance_km": 0,
            "needs": ["bogus"],
            "interests": 1,
            "age": -3,
            "availability": [{"day": "xyz"}],
            "requires": {"wheelchair": "yes", "free": "no", "languages": ["Klingonese"]},
            "limit": 0,
        }
    )
    assert set(found) == {
        "postcode",
        "max_distance_km",
        "needs",
        "interests",
        "age",
        "availability[0]",
        "requires.wheelchair",
        "requires.free",
        "requires.languages",
        "limit",
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
field_values = {
    "postcode": st.sampled_from(["LS1 1AZ", "", "nonsense", "ZZ9 9ZZ"]) | json_values,
    "max_distance_km": st.floats(-10, 300) | json_values,
    "needs": st.lists(st.sampled_from(["loneliness", "bogus"])) | json_values,
    "interests": st.text(max_size=20) | json_values,
    "age": st.integers(-5, 130) | json_values,
    "availability": st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "day": st.sampled_from(["mon", "sun", "xyz"]) | json_values,
                "from": st.sampled_from(["09:00", "24:00", "9"]) | json_values,
                "to": st.sampled_from(["17:00", "08:00"]) | json_values,
            },
        )
        | json_values,
        max_size=3,
    )
    | json_values,
    "modes": st.lists(st.sampled_from(["in_person", "online", "phone", "fax"])) | json_values,
    "requires": st.fixed_dictionaries(
        {},
        optional={
            "wheelchair": json_values,
            "free": json_values,
            "languages": st.lists(st.sampled_from(["en", "Polish", "xx"])) | json_values,
        },
    )
    | json_values,
    "limit": st.integers(-2, 60) | json_values,
}


@given(st.fixed_dictionaries({}, optional=field_values))
def test_any_json_body_gives_a_person_or_field_errors(body: dict[str, Any]) -> None:
    """Whatever JSON arrives, the answer is a Person or a ProfileError naming known fields:
    never another exception (which the API would turn into a 500)."""
    try:
        person = parse_person(body)
    except ProfileError as exc:
        assert exc.fields
        assert {f.split(".")[0].split("[")[0] for f in exc.fields} <= set(field_values)
    else:
        assert isinstance(person, Person)
        assert 1 <= person.limit <= MAX_LIMIT
        assert 0 < person.max_distance_km <= 200
        assert person.modes and ("in_person" not in person.modes or person.located)
