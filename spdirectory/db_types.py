"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Text
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no zone, and mixing the two breaks sums."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class CodeList(TypeDecorator[list[str]]):
    """A list of vocabulary codes kept as ' code1 code2 ' text.

    The padding lets one portable `LIKE '% code %'` filter work on every database; the
    search index keeps its own structures for speed, so this column only has to be simple.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: list[str] | None, dialect: Any) -> str:
        if not value:
            return ""
        return " " + " ".join(dict.fromkeys(value)) + " "

    def process_result_value(self, value: str | None, dialect: Any) -> list[str]:
        return value.split() if value else []

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        # Comparisons with LIKE patterns are plain text, not lists.
        return Text()


def has_code(column: Any, code: str) -> Any:
    """SQL condition: the CodeList column contains code."""
    return column.like(f"% {code} %")
