"""The validation code used on our responses (tests/openreferral/oruk.py) must be able to
fail: the official validator's V3.0-UK-Fail samples are rejected by it, and its Default
(valid) samples pass, so it rejects for the right reasons and not everything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.openreferral import oruk

pytestmark = pytest.mark.usefixtures("needs_standards")

TEMPLATES = {
    "api_details": "/",
    "service_list": "/services",
    "service_full": "/services/{id}",
    "service_at_location_list": "/service_at_locations",
    "service_at_location_full": "/service_at_locations/{id}",
    "organization": "/organizations/{id}",
    "organization_full": "/organizations/{id}",
    "organization_list": "/organizations",
    "taxonomy": "/taxonomies/{id}",
    "taxonomy_list": "/taxonomies",
    "taxonomy_term": "/taxonomy_terms/{id}",
    "taxonomy_term_list": "/taxonomy_terms",
}

# Fail samples that break the schema, and what each must be rejected for. The remaining
# Fail files are, as JSON, schema-valid copies of the examples (their faults are in
# behaviour a single document cannot show, such as an id not found on a later request).
FAILS = {
    "api_details": ["'profile' is a required property", "is not a 'uri'"],
    "service_list": ["'name' is a required property", "is not a 'email'", "is not a 'uri'"],
    "service_full": ["is not a 'email'", "is not a 'uri'"],
    "taxonomy_term": ["'description' is a required property", "is not a 'uri'"],
}


def _load(folder: str, name: str) -> object:
    return json.loads((oruk.SAMPLES / folder / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(FAILS))
def test_fail_samples_are_rejected(name: str) -> None:
    found = oruk.errors(TEMPLATES[name], _load("V3.0-UK-Fail", name))
    assert found, f"V3.0-UK-Fail/{name}.json was accepted"
    for expected in FAILS[name]:
        assert any(expected in e for e in found), (expected, found)
    with pytest.raises(AssertionError):
        oruk.assert_valid(TEMPLATES[name], _load("V3.0-UK-Fail", name))


def _default_samples() -> list[str]:
    folder = oruk.SAMPLES / "V3.0-UK-Default"
    return sorted(p.stem for p in folder.glob("*.json") if p.stem in TEMPLATES)


@pytest.mark.parametrize("name", _default_samples() if oruk.available() else ["(absent)"])
def test_default_samples_are_accepted(name: str) -> None:
    oruk.assert_valid(TEMPLATES[name], _load("V3.0-UK-Default", name))


def test_every_fail_sample_is_accounted_for() -> None:
    names = {p.stem for p in Path(oruk.SAMPLES / "V3.0-UK-Fail").glob("*.json")}
    assert set(FAILS) <= names
    for name in names - set(FAILS):
        # Not a schema failure: say so explicitly, so a new sample cannot slip through.
        assert not oruk.errors(TEMPLATES[name], _load("V3.0-UK-Fail", name)), name
