"""The database search index: one row per published activity, denormalised for filtering.

List-valued fields are bit masks (bit i = the i-th code of the vocabulary, so vocabularies
are append-only), which makes filters and every facet count one pass of integer arithmetic
on SQLite and PostgreSQL alike. Full text lives beside it: an FTS5 table on SQLite, a
tsvector column on PostgreSQL (both created by the migration, not the ORM).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from ..db_types import UTCDateTime
from ..extensions import db

search_document = Table(
    "search_document",
    db.metadata,
    Column("activity_id", Integer, ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", Integer, nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("organisation", String(200), nullable=False),
    Column("category_mask", BigInteger, nullable=False, default=0),
    Column("need_mask", BigInteger, nullable=False, default=0),
    Column("mode_mask", Integer, nullable=False, default=0),
    Column("day_mask", Integer, nullable=False, default=0),
    Column("route_mask", Integer, nullable=False, default=0),
    Column("languages", Text, nullable=False, default=""),
    Column("kite_mark", String(20), nullable=False),
    Column("spare_places", Integer, nullable=False),
    Column("waitlist_open", Boolean, nullable=False),
    Column("cost_pence", Integer),
    Column("age_min", Integer),
    Column("age_max", Integer),
    Column("wheelchair_accessible", Boolean),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("postcode_district", String(5), nullable=False, default=""),
    Column("capacity_updated_at", UTCDateTime, nullable=False),
    Index("ix_search_document_lat_lon", "latitude", "longitude"),
)

# Each distinct title ("activity") and organisation name of search_document with the number
# of rows using it, kept exact by triggers on search_document (migration 0012): suggest()
# reads it in (value_length, value) order and stops at the first matches.
search_suggestion = Table(
    "search_suggestion",
    db.metadata,
    Column("kind", String(12), primary_key=True),
    Column("value", String(200), primary_key=True),
    Column("value_length", Integer, nullable=False),
    # " " + lower(value) with "-" and "(" as spaces: every word start follows a space.
    Column("words", Text, nullable=False),
    Column("uses", Integer, nullable=False),
    Index("ix_search_suggestion_order", "kind", "value_length", "value", "words"),
)
