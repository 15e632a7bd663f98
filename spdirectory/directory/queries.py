"""Listing filters that need no search engine: used by the browse page and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, or_, select

from .. import vocab
from ..db_types import has_code
from .models import Activity, ActivitySession


@dataclass
class ListingFilters:
    categories: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    mode: str | None = None
    day: str | None = None
    kite_mark: str | None = None
    available: bool = False
    free: bool = False
    organisation_id: int | None = None
    text: str = ""

    @classmethod
    def from_args(cls, args: Any) -> tuple[ListingFilters, dict[str, str]]:
        """Read filters from request args; unknown codes are reported, not ignored."""
        errors: dict[str, str] = {}

        def codes(name: str, vocabulary: dict[str, str]) -> list[str]:
            values = [v for v in args.getlist(name) if v]
            bad = [v for v in values if v not in vocabulary]
            if bad:
                errors[name] = f"unknown {name} code(s): {', '.join(bad)}"
            return [v for v in values if v in vocabulary]

        def one(name: str, vocabulary: dict[str, str]) -> str | None:
            value = args.get(name) or None
            if value and value not in vocabulary:
                errors[name] = f"unknown {name} code: {value}"
                return None
            return value

        def flag(name: str) -> bool:
            value = (args.get(name) or "").lower()
            if value and value not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
                errors[name] = f"{name} must be true or false"
            return value in {"1", "true", "yes", "on"}

        filters = cls(
            categories=codes("category", vocab.CATEGORIES),
            needs=codes("need", vocab.NEEDS),
            mode=one("mode", vocab.MODES),
            day=one("day", vocab.DAYS),
            kite_mark=one("kite_mark", vocab.KITE_MARK),
            available=flag("available"),
            free=flag("free"),
            text=(args.get("q") or "").strip()[:200],
        )
        return filters, errors

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        # Within a facet, any of the chosen codes matches; across facets, all must.
        if self.categories:
            stmt = stmt.where(or_(*(has_code(Activity.categories, c) for c in self.categories)))
        if self.needs:
            stmt = stmt.where(or_(*(has_code(Activity.needs, n) for n in self.needs)))
        if self.mode:
            stmt = stmt.where(has_code(Activity.modes, self.mode))
        if self.day:
            day_index = vocab.DAY_CODES.index(self.day)
            stmt = stmt.where(
                select(ActivitySession.id)
                .where(
                    ActivitySession.activity_id == Activity.id,
                    ActivitySession.day_index == day_index,
                )
                .exists()
            )
        if self.kite_mark:
            stmt = stmt.where(Activity.kite_mark == self.kite_mark)
        if self.available:
            stmt = stmt.where(or_(Activity.spare_places > 0, Activity.waitlist_open.is_(True)))
        if self.free:
            stmt = stmt.where(Activity.cost_pence == 0)
        if self.organisation_id:
            stmt = stmt.where(Activity.organisation_id == self.organisation_id)
        if self.text:
            pattern = f"%{self.text.lower()}%"
            stmt = stmt.where(
                or_(
                    Activity.title.ilike(pattern),
                    Activity.description.ilike(pattern),
                )
            )
        return stmt


def published() -> Select[Any]:
    return select(Activity).where(Activity.status == "published")
