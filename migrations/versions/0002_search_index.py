"""search index: search_document, with FTS5 (SQLite) or tsvector + GIN (PostgreSQL)

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "search_document",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("category_mask", sa.BigInteger(), nullable=False),
        sa.Column("need_mask", sa.BigInteger(), nullable=False),
        sa.Column("mode_mask", sa.Integer(), nullable=False),
        sa.Column("day_mask", sa.Integer(), nullable=False),
        sa.Column("route_mask", sa.Integer(), nullable=False),
        sa.Column("languages", sa.Text(), nullable=False),
        sa.Column("kite_mark", sa.String(length=20), nullable=False),
        sa.Column("spare_places", sa.Integer(), nullable=False),
        sa.Column("waitlist_open", sa.Boolean(), nullable=False),
        sa.Column("cost_pence", sa.Integer(), nullable=True),
        sa.Column("age_min", sa.Integer(), nullable=True),
        sa.Column("age_max", sa.Integer(), nullable=True),
        sa.Column("wheelchair_accessible", sa.Boolean(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("postcode_district", sa.String(length=5), nullable=False),
        sa.Column("capacity_updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_search_document_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", name=op.f("pk_search_document")),
    )
    op.create_index("ix_search_document_organisation_id", "search_document", ["organisation_id"])
    op.create_index("ix_search_document_lat_lon", "search_document", ["latitude", "longitude"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_document ADD COLUMN tsv tsvector")
        op.execute("CREATE INDEX ix_search_document_tsv ON search_document USING gin (tsv)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "title, organisation, body, tags, tokenize = 'porter unicode61')"
        )
    # A database upgraded with activities already in it: run `spdirectory search reindex`.


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_index("ix_search_document_lat_lon", table_name="search_document")
    op.drop_index("ix_search_document_organisation_id", table_name="search_document")
    op.drop_table("search_document")
