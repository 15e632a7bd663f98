"""unmet needs recorded by link workers, and the monthly demand summary for reports (issues 4, 6)

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UNMET_REASONS = (
    "none_exists",
    "full",
    "too_far",
    "wrong_times",
    "cost",
    "access_needs",
    "language",
    "eligibility",
)


def upgrade():
    op.create_table(
        "unmet_need",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("needs", sa.Text(), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("postcode_district", sa.String(length=5), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user.id"],
            name=op.f("fk_unmet_need_recorded_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmet_need")),
    )
    op.create_index("ix_unmet_need_recorded_at", "unmet_need", ["recorded_at"])
    op.create_index(
        "ix_unmet_need_district_recorded_at", "unmet_need", ["postcode_district", "recorded_at"]
    )

    counters = [
        sa.Column(name, sa.Integer(), nullable=False, server_default="0")
        for name in (
            "referrals",
            "declined_full",
            "waitlisted",
            "unmet_needs",
            *(f"unmet_{code}" for code in UNMET_REASONS),
            "searches_unmet",
        )
    ]
    # Keyed (district, category, month): reports sum a period per district and category in
    # key order; on SQLite the table is the key's b-tree (WITHOUT ROWID).
    op.create_table(
        "demand_month",
        sa.Column("district", sa.String(length=5), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        *counters,
        sa.PrimaryKeyConstraint("district", "category", "month", name=op.f("pk_demand_month")),
        sqlite_with_rowid=False,
    )


def downgrade():
    op.drop_table("demand_month")
    op.drop_index("ix_unmet_need_district_recorded_at", table_name="unmet_need")
    op.drop_index("ix_unmet_need_recorded_at", table_name="unmet_need")
    op.drop_table("unmet_need")
