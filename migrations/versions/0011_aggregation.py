"""aggregation: listing sources (feeds and files), per-listing source links, duplicate review
queue (issue 7, items 3-5)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "listing_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_pulled_at", sa.DateTime(), nullable=True),
        sa.Column("last_summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_source")),
        sa.UniqueConstraint("label", name=op.f("uq_listing_source_label")),
    )
    op.create_table(
        "source_listing",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("archived_by", sa.String(length=20), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_source_listing_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["listing_source.id"],
            name=op.f("fk_source_listing_source_id_listing_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", name=op.f("pk_source_listing")),
    )
    op.create_index(
        op.f("ix_source_listing_source_id"), "source_listing", ["source_id"], unique=False
    )
    op.create_table(
        "duplicate_candidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("second_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("kept_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "first_id < second_id", name=op.f("ck_duplicate_candidate_pair_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["first_id"],
            ["activity.id"],
            name=op.f("fk_duplicate_candidate_first_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["second_id"],
            ["activity.id"],
            name=op.f("fk_duplicate_candidate_second_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["kept_id"],
            ["activity.id"],
            name=op.f("fk_duplicate_candidate_kept_id_activity"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user.id"],
            name=op.f("fk_duplicate_candidate_decided_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_candidate")),
        sa.UniqueConstraint(
            "first_id", "second_id", name=op.f("uq_duplicate_candidate_first_id_second_id")
        ),
    )
    op.create_index(
        op.f("ix_duplicate_candidate_status"), "duplicate_candidate", ["status"], unique=False
    )
    op.create_index(
        op.f("ix_duplicate_candidate_second_id"),
        "duplicate_candidate",
        ["second_id"],
        unique=False,
    )


def downgrade():
    op.drop_index(op.f("ix_duplicate_candidate_second_id"), table_name="duplicate_candidate")
    op.drop_index(op.f("ix_duplicate_candidate_status"), table_name="duplicate_candidate")
    op.drop_table("duplicate_candidate")
    op.drop_index(op.f("ix_source_listing_source_id"), table_name="source_listing")
    op.drop_table("source_listing")
    op.drop_table("listing_source")
