"""Small WTForms helpers shared by the areas' forms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms.fields.choices import SelectChoice


def select_choices(pairs: Iterable[tuple[Any, str]] | dict[str, str]) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs or a vocabulary dict."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value, label) for value, label in items]
