"""Aggregation of several directories: where each listing came from, refreshing a source, and
the queue of likely duplicates across sources that an administrator merges or keeps apart.

A listing's source is `Activity.source` (a label: the feed URL or the file's name) plus a
`SourceListing` row linking it to its `ListingSource`. Likely duplicates are pairs of
published listings from *different* sources at the same postcode whose titles are alike
and whose organisations have the same normalised name (or whose titles are nearly the same).
Every pair is stored once (`first_id < second_id`), so a decision, once made, is remembered
and the pair is never queued again.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from difflib import SequenceMatcher

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import UTCDateTime, utcnow
from ..directory.models import Activity, Organisation
from ..extensions import db

# Titles at least this alike (difflib ratio of normalised titles) with the same organisation.
TITLE_SIMILAR = 0.8
# Titles this alike are queued even when the organisations are named differently.
TITLE_NEARLY_SAME = 0.92
_CHUNK = 500


class ListingSource(db.Model):
    """A directory we import from: an Open Referral feed (URL) or a file (its name)."""

    __tablename__ = "listing_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="feed")  # feed | file
    url: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_pulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_summary: Mapped[str] = mapped_column(Text, default="")


class SourceListing(db.Model):
    """Links an imported activity to its source, with what the importer needs to refresh it."""

    __tablename__ = "source_listing"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("listing_source.id", ondelete="CASCADE"), index=True
    )
    # Hash of the record as last imported: an unchanged record is not rewritten on a re-pull.
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    # Why the importer archived it ("gone": left the feed; "status": the feed said inactive),
    # so that it is published again when it comes back; "" when the importer did not.
    archived_by: Mapped[str] = mapped_column(String(20), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    activity: Mapped[Activity] = relationship()
    source: Mapped[ListingSource] = relationship()


class DuplicateCandidate(db.Model):
    __tablename__ = "duplicate_candidate"
    __table_args__ = (
        UniqueConstraint("first_id", "second_id"),
        CheckConstraint("first_id < second_id", name="pair_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"))
    second_id: Mapped[int] = mapped_column(
        ForeignKey("activity.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[float] = mapped_column(Float, default=0.0)
    reasons: Mapped[str] = mapped_column(Text, default="")  # one reason per line
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    kept_id: Mapped[int | None] = mapped_column(
        ForeignKey("activity.id", ondelete="SET NULL"), nullable=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    first: Mapped[Activity] = relationship(foreign_keys=[first_id])
    second: Mapped[Activity] = relationship(foreign_keys=[second_id])

    @property
    def reason_list(self) -> list[str]:
        return [r for r in self.reasons.splitlines() if r]


STATUSES = {"pending": "Waiting for review", "merged": "Merged", "kept_apart": "Kept apart"}

_ORG_NOISE = re.compile(
    r"\b(the|ltd|limited|cic|cio|plc|llp|inc|charity|charitable|incorporated|organisation|"
    r"organization|trust)\b"
)


def normalise_organisation(name: str) -> str:
    """'The Hilltop Walkers Ltd.' and 'Hilltop walkers' → 'hilltop walkers'."""
    text = name.lower().replace("&", " and ")
    text = re.sub(r"[^\w\s]", " ", text)
    text = _ORG_NOISE.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


def normalise_title(title: str) -> str:
    text = re.sub(r"[^\w\s]", " ", title.lower().replace("&", " and "))
    return re.sub(r"\s+", " ", text).strip()


def title_ratio(a: str, b: str) -> float:
    matcher = SequenceMatcher(None, normalise_title(a), normalise_title(b))
    # quick_ratio is an upper bound and much cheaper: most pairs at a postcode differ a lot.
    if matcher.quick_ratio() < TITLE_SIMILAR:
        return matcher.quick_ratio()
    return matcher.ratio()


def likely_duplicate(
    a: tuple[str, str, str], b: tuple[str, str, str]
) -> tuple[float, list[str]] | None:
    """(title, organisation, postcode) of two listings → (score, reasons) or None."""
    if not a[2] or a[2] != b[2]:
        return None
    ratio = title_ratio(a[0], b[0])
    same_org = bool(normalise_organisation(a[1])) and (
        normalise_organisation(a[1]) == normalise_organisation(b[1])
    )
    if not ((same_org and ratio >= TITLE_SIMILAR) or ratio >= TITLE_NEARLY_SAME):
        return None
    reasons = [f"Same postcode ({a[2]})", f"Titles {round(ratio * 100)}% alike"]
    if same_org:
        reasons.insert(0, "Same organisation name")
    return (round(ratio + (0.5 if same_org else 0.0), 3), reasons)


def queue_duplicates(activity_ids: Iterable[int]) -> int:
    """Queue likely duplicates of these activities among other sources' published listings.
    Pairs already in the queue (whatever their status) are left alone. Returns how many pairs
    were added; the caller commits."""
    ids = sorted(set(activity_ids))
    if not ids:
        return 0
    row = tuple[int, str, str, str, str]  # id, source, title, organisation name, postcode
    mine: list[row] = []
    for start in range(0, len(ids), _CHUNK):
        mine.extend(
            db.session.execute(
                select(
                    Activity.id,
                    Activity.source,
                    Activity.title,
                    Organisation.name,
                    Activity.postcode,
                )  # fmt: skip
                .join(Organisation, Organisation.id == Activity.organisation_id)
                .where(
                    Activity.id.in_(ids[start : start + _CHUNK]),
                    Activity.status == "published",
                    Activity.postcode != "",
                )
            )
        )
    postcodes = sorted({m[4] for m in mine})
    by_postcode: dict[str, list[row]] = defaultdict(list)
    for start in range(0, len(postcodes), _CHUNK):
        for other in db.session.execute(
            select(
                Activity.id,
                Activity.source,
                Activity.title,
                Organisation.name,
                Activity.postcode,
            )  # fmt: skip
            .join(Organisation, Organisation.id == Activity.organisation_id)
            .where(
                Activity.postcode.in_(postcodes[start : start + _CHUNK]),
                Activity.status == "published",
            )
        ):
            by_postcode[other[4]].append(other)
    found: dict[tuple[int, int], tuple[float, list[str]]] = {}
    for a in mine:
        for b in by_postcode.get(a[4], ()):
            if b[0] == a[0] or b[1] == a[1]:
                continue  # the same listing, or the same source (not a cross-source duplicate)
            pair = (min(a[0], b[0]), max(a[0], b[0]))
            if pair in found:
                continue
            verdict = likely_duplicate((a[2], a[3], a[4]), (b[2], b[3], b[4]))
            if verdict:
                found[pair] = verdict
    if not found:
        return 0
    known: set[tuple[int, int]] = set()
    pairs = sorted(found)
    firsts = sorted({p[0] for p in pairs})
    for start in range(0, len(firsts), _CHUNK):
        known.update(
            db.session.execute(
                select(DuplicateCandidate.first_id, DuplicateCandidate.second_id).where(
                    DuplicateCandidate.first_id.in_(firsts[start : start + _CHUNK])
                )
            )
        )
    added = 0
    for pair in pairs:
        if pair in known:
            continue
        score, reasons = found[pair]
        db.session.add(
            DuplicateCandidate(
                first_id=pair[0], second_id=pair[1], score=score, reasons="\n".join(reasons)
            )
        )
        added += 1
    return added


def merged_away_ids(activity_ids: Iterable[int]) -> set[int]:
    """Those of these activities that an administrator merged into another listing."""
    ids = sorted(set(activity_ids))
    away: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for first, second, kept in db.session.execute(
            select(
                DuplicateCandidate.first_id,
                DuplicateCandidate.second_id,
                DuplicateCandidate.kept_id,
            ).where(  # fmt: skip
                DuplicateCandidate.status == "merged",
                or_(
                    DuplicateCandidate.first_id.in_(chunk), DuplicateCandidate.second_id.in_(chunk)
                ),
            )
        ):
            away.update(x for x in (first, second) if x != kept and x in chunk)
    return away


class DecisionError(ValueError):
    """The decision cannot be made (already decided, or the listing to keep is not in the pair)."""


def decide(candidate_id: int, decision: str, keep_id: int | None, user_id: int | None) -> str:
    """Record an administrator's decision on a queued pair; the caller commits.

    `merged` keeps `keep_id` and archives the other listing; `kept_apart` leaves both.
    The status changes only if it is still pending (a conditional UPDATE), so two
    administrators deciding the same pair at once cannot both succeed.
    """
    candidate = db.session.get(DuplicateCandidate, candidate_id)
    if candidate is None:
        raise LookupError(candidate_id)
    if decision not in {"merged", "kept_apart"}:
        raise DecisionError("choose merge or keep apart")
    if decision == "merged" and keep_id not in (candidate.first_id, candidate.second_id):
        raise DecisionError("choose which of the two listings to keep")
    changed = db.session.execute(
        update(DuplicateCandidate)
        .where(DuplicateCandidate.id == candidate_id, DuplicateCandidate.status == "pending")
        .values(
            status=decision,
            kept_id=keep_id if decision == "merged" else None,
            decided_by_id=user_id,
            decided_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise DecisionError("this pair has already been decided")
    if decision == "merged":
        away_id = candidate.second_id if keep_id == candidate.first_id else candidate.first_id
        away = db.session.execute(
            select(Activity).where(Activity.id == away_id).with_for_update()
        ).scalar_one()
        away.status = "archived"
    db.session.expire(candidate)
    return decision
