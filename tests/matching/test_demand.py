"""The demand log keeps what was asked for, never who asked: personal details typed into a
search are removed before it is stored."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from spdirectory.extensions import db
from spdirectory.search.demand import UnmetSearch, anonymise_text, record


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("walking group", "walking group"),
        ("men's shed", "men's shed"),
        ("over 50s yoga", "over 50s yoga"),
        ("choir for jo@example.org", "choir for"),
        ("befriending, ring 07700 900123", "befriending, ring"),
        ("choir +44 113 496 0000", "choir"),
        ("gardening near LS6 4AB", "gardening near"),
        ("gardening near ls64ab", "gardening near"),
        ("sewing for Mrs Ada Smith", "sewing for"),
        ("Dr. Patel's patient wants art", "patient wants art"),
        ("NHS number 943 476 5919", "NHS number"),
    ],
)
def test_personal_details_are_removed(typed: str, kept: str) -> None:
    assert anonymise_text(typed) == kept


def test_record_stores_anonymised_text(app: Any) -> None:
    record(
        "search",
        text="debt advice for Mr Jones 07700 900123",
        filters={"need": ["money_debt"]},
        district="LS6",
        results=0,
        outcome="nothing",
    )
    [row] = db.session.scalars(select(UnmetSearch))
    assert row.query_text == "debt advice for"
    assert row.kind == "search" and row.postcode_district == "LS6"
