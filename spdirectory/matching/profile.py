"""What we know about the person being matched: parsed and validated from the API or form."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from .. import vocab
from ..directory.listing import normalise_language

DEFAULT_MAX_DISTANCE_KM = 10.0
MAX_LIMIT = 50


class ProfileError(ValueError):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class Window:
    day_index: int
    start: time
    end: time

    def overlaps(self, day_index: int, starts: time, ends: time) -> bool:
        return day_index == self.day_index and starts < self.end and ends > self.start

    def contains(self, day_index: int, starts: time, ends: time) -> bool:
        return day_index == self.day_index and starts >= self.start and ends <= self.end


@dataclass
class Person:
    latitude: float | None = None
    longitude: float | None = None
    postcode: str | None = None
    max_distance_km: float = DEFAULT_MAX_DISTANCE_KM
    needs: list[str] = field(default_factory=list)
    interests: str = ""
    age: int | None = None
    availability: list[Window] = field(default_factory=list)  # empty: any time
    modes: list[str] = field(default_factory=lambda: list(vocab.MODES))
    wheelchair: bool = False
    free_only: bool = False
    languages: list[str] = field(default_factory=list)  # empty: any (English assumed)
    limit: int = 10

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _time(value: Any, where: str, errors: dict[str, str]) -> time | None:
    if isinstance(value, str) and (m := _TIME.match(value.strip())):
        return time(int(m[1]), int(m[2]))
    if isinstance(value, str) and value.strip() in {"24:00", "23:59"}:
        return time(23, 59)
    errors[where] = "must be a time such as 09:30"
    return None


def _known(value: Any, vocabulary: dict[str, str]) -> bool:
    # Any JSON value may arrive here: only strings can be codes (lists are unhashable).
    return isinstance(value, str) and value in vocabulary


def parse_person(body: dict[str, Any]) -> Person:
    """Validate a match request body (CONTRACTS.md); raise ProfileError with every problem.
    A JSON null counts as leaving the field out."""
    from ..geo import PostcodeError, lookup

    errors: dict[str, str] = {}
    person = Person()
    body = {key: value for key, value in body.items() if value is not None}

    modes = body.get("modes")
    if modes is not None:
        if (
            not isinstance(modes, list)
            or not modes
            or not all(_known(m, vocab.MODES) for m in modes)
        ):
            errors["modes"] = f"must be a non-empty list of {', '.join(vocab.MODES)}"
        else:
            person.modes = list(dict.fromkeys(modes))

    postcode = body.get("postcode")
    if postcode:
        try:
            place = lookup(str(postcode))
            person.postcode, person.latitude, person.longitude = (
                place.postcode,
                place.latitude,
                place.longitude,
            )
        except PostcodeError as exc:
            errors["postcode"] = str(exc)
    elif "in_person" in person.modes:
        errors["postcode"] = (
            "give the person's postcode, so we only suggest places they can reach "
            '(or set "modes" to online and phone only)'
        )

    distance = body.get("max_distance_km")
    if distance is not None:
        if (
            isinstance(distance, bool)
            or not isinstance(distance, int | float)
            or not (0 < distance <= 200)
        ):
            errors["max_distance_km"] = "must be a number of kilometres between 0 and 200"
        else:
            person.max_distance_km = float(distance)

    needs = body.get("needs", [])
    if not isinstance(needs, list):
        errors["needs"] = "must be a list of need codes such as loneliness"
    elif not all(_known(n, vocab.NEEDS) for n in needs):
        bad = ", ".join(repr(n) for n in needs if not _known(n, vocab.NEEDS))
        errors["needs"] = f"unknown need code(s): {bad}"
    else:
        person.needs = list(dict.fromkeys(needs))

    interests = body.get("interests", "")
    if not isinstance(interests, str) or len(interests) > 500:
        errors["interests"] = "must be text of 500 characters or fewer"
    else:
        person.interests = interests.strip()

    age = body.get("age")
    if age is not None:
        if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 120:
            errors["age"] = "must be a whole number of years"
        else:
            person.age = age

    availability = body.get("availability", [])
    if not isinstance(availability, list):
        errors["availability"] = 'must be a list of {"day", "from", "to"}'
    else:
        for i, slot in enumerate(availability):
            where = f"availability[{i}]"
            if not isinstance(slot, dict) or not _known(slot.get("day"), vocab.DAYS):
                errors[where] = 'needs "day" (mon … sun), "from" and "to"'
                continue
            start = _time(slot.get("from", "00:00"), where, errors)
            end = _time(slot.get("to", "23:59"), where, errors)
            if start and end:
                if end <= start:
                    errors[where] = '"to" must be after "from"'
                else:
                    day_index = vocab.DAY_CODES.index(slot["day"])
                    person.availability.append(Window(day_index, start, end))

    requires = body.get("requires", {})
    if not isinstance(requires, dict):
        errors["requires"] = "must be an object"
    else:
        for key in ("wheelchair", "free"):
            if key in requires and not isinstance(requires[key], bool):
                errors[f"requires.{key}"] = "must be true or false"
        person.wheelchair = requires.get("wheelchair") is True
        person.free_only = requires.get("free") is True
        langs = requires.get("languages", [])
        if not isinstance(langs, list):
            errors["requires.languages"] = "must be a list of languages"
        else:
            try:
                person.languages = [normalise_language(str(lang)) for lang in langs]
            except ValueError as exc:
                errors["requires.languages"] = str(exc)

    limit = body.get("limit", 10)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        errors["limit"] = f"must be a whole number from 1 to {MAX_LIMIT}"
    else:
        person.limit = limit

    if errors:
        raise ProfileError(errors)
    return person
