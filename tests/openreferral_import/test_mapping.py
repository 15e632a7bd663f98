"""The taxonomy mapping: resolution order, override files, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from spdirectory.openreferral.mapping import MappingError, Target, load_mapping


def test_default_mapping_resolves_our_taxonomies_labels_and_known_names() -> None:
    mapping = load_mapping()
    ours = {"id": "x", "code": "green_nature", "name": "Green and nature",
            "taxonomy": "spdirectory activity categories"}  # fmt: skip
    assert mapping.resolve(ours) == (Target("category", "green_nature"),)
    by_label = {"id": "y", "name": "Low mood", "taxonomy": "someone else's"}
    assert mapping.resolve(by_label) == (Target("need", "low_mood"),)
    named = {"id": "z", "name": "Debt Advice", "taxonomy": "esd"}
    assert mapping.resolve(named) == (
        Target("category", "advice_money"),
        Target("need", "money_debt"),
    )
    assert (
        mapping.resolve({"id": "k", "code": "awarded", "taxonomy": "spdirectory kite mark"}) == ()
    )
    assert mapping.resolve({"id": "q", "name": "Underwater basket weaving"}) is None
    # A term of our category taxonomy whose code we do not have is unknown, not guessed.
    assert mapping.resolve({"code": "bingo", "taxonomy": "spdirectory activity categories"}) is None


def test_override_file_extends_or_replaces_the_default(tmp_path: Path) -> None:
    extra = tmp_path / "m.json"
    extra.write_text(
        '{"taxonomies": {"ESD Services": "category"},'
        ' "terms": {"t-1": ["need:bereavement"]}, "ignore": ["debt advice"],'
        ' "default_categories": ["social_group"]}'
    )
    mapping = load_mapping(extra)
    assert mapping.resolve({"id": "t-1", "name": "anything"}) == (Target("need", "bereavement"),)
    assert mapping.resolve({"code": "walking", "taxonomy": "esd services"}) == (
        Target("category", "walking"),
    )
    assert mapping.resolve({"name": "Debt advice"}) == ()
    assert mapping.resolve({"name": "Befriending services"})  # the default is still there
    assert mapping.default_categories == ["social_group"]
    extra.write_text('{"extends_default": false, "terms": {"t-1": "need:bereavement"}}')
    replaced = load_mapping(extra)
    assert replaced.resolve({"name": "Befriending services"}) is None
    assert replaced.resolve({"id": "t-1"}) == (Target("need", "bereavement"),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"terms": {"x": ["category:bingo"]}}', "“bingo” is not one of our category codes"),
        ('{"terms": {"x": ["colour:red"]}}', "should be kind:code"),
        ('{"terms": {"x": ["field:title"]}}', "field “title” cannot be set by a term"),
        ('{"taxonomies": {"x": "colour"}}', "taxonomy “x” has unknown kind “colour”"),
        ('{"default_categories": ["bingo"]}', "default_categories has unknown codes"),
        ("[1, 2]", "must hold an object"),
        ("{nope", "cannot be read"),
    ],
)
def test_bad_mapping_files_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(MappingError, match=message):
        load_mapping(path)


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="does not exist"):
        load_mapping(tmp_path / "nowhere.toml")
