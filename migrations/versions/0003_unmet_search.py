"""unmet_search: anonymous log of searches and matches that found nothing available

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "unmet_search",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("query_text", sa.String(length=500), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("postcode_district", sa.String(length=5), nullable=False),
        sa.Column("results", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmet_search")),
    )
    op.create_index("ix_unmet_search_at_district", "unmet_search", ["at", "postcode_district"])


def downgrade():
    op.drop_index("ix_unmet_search_at_district", table_name="unmet_search")
    op.drop_table("unmet_search")
