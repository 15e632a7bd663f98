"""Vocabulary codes ↔ bit masks (bit i is the i-th code; vocabularies only ever grow)."""

from __future__ import annotations

from collections.abc import Iterable

from .. import vocab

FACETS: dict[str, dict[str, str]] = {
    "category": vocab.CATEGORIES,
    "need": vocab.NEEDS,
    "mode": vocab.MODES,
    "day": vocab.DAYS,
    "route": vocab.REFERRAL_ROUTES,
}
_INDEX = {name: {code: i for i, code in enumerate(codes)} for name, codes in FACETS.items()}


def mask(facet: str, codes: Iterable[str]) -> int:
    index = _INDEX[facet]
    value = 0
    for code in codes:
        if code in index:
            value |= 1 << index[code]
    return value


def codes(facet: str, value: int) -> list[str]:
    return [code for code, i in _INDEX[facet].items() if value >> i & 1]


def bit(facet: str, code: str) -> int:
    return 1 << _INDEX[facet][code]
