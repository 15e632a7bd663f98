"""reports: areas, pledges, CPI index, panel decisions (issue 6)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["user.id"], name=op.f(f"fk_{table}_{column}_user"), ondelete="SET NULL"
    )


def _area_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["area.id"], name=op.f(f"fk_{table}_{column}_area"), ondelete="CASCADE"
    )


def upgrade():
    op.create_table(
        "area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("parent_code", sa.String(length=40), nullable=True),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("need_weight", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("population >= 0", name=op.f("ck_area_population_not_negative")),
        sa.CheckConstraint("need_weight > 0", name=op.f("ck_area_need_weight_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area")),
        sa.UniqueConstraint("code", name=op.f("uq_area_code")),
    )
    op.create_index("ix_area_type_code", "area", ["type", "code"])

    op.create_table(
        "area_district",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(length=5), nullable=False),
        sa.Column("inherited", sa.Boolean(), nullable=False),
        _area_fk("area_district", "area_id"),
        sa.PrimaryKeyConstraint("area_id", "district", name=op.f("pk_area_district")),
    )
    op.create_index("ix_area_district_district", "area_district", ["district", "area_id"])

    op.create_table(
        "cpi_index",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_cpi_index")),
    )

    op.create_table(
        "fund_pledge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("pledger", sa.String(length=200), nullable=False),
        sa.Column("amount_pence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount_pence > 0", name=op.f("ck_fund_pledge_amount_positive")),
        _area_fk("fund_pledge", "area_id"),
        _user_fk("fund_pledge", "created_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_pledge")),
    )
    op.create_index("ix_fund_pledge_area_year", "fund_pledge", ["area_id", "year"])

    op.create_table(
        "panel_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("decision", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("period_from", sa.String(length=7), nullable=False),
        sa.Column("period_to", sa.String(length=7), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=254), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        _area_fk("panel_decision", "area_id"),
        _user_fk("panel_decision", "user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_decision")),
    )
    op.create_index(
        "ix_panel_decision_priority", "panel_decision", ["area_id", "category", "decided_at"]
    )

    op.create_table(
        "fund_allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fund_area_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("amount_pence", sa.Integer(), nullable=False),
        sa.Column("saved_by_id", sa.Integer(), nullable=True),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "amount_pence >= 0", name=op.f("ck_fund_allocation_amount_not_negative")
        ),
        _area_fk("fund_allocation", "fund_area_id"),
        _area_fk("fund_allocation", "area_id"),
        _user_fk("fund_allocation", "saved_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_allocation")),
        sa.UniqueConstraint(
            "fund_area_id",
            "year",
            "area_id",
            "category",
            name=op.f("uq_fund_allocation_fund_area_id_year_area_id_category"),
        ),
    )


def downgrade():
    op.drop_table("fund_allocation")
    op.drop_index("ix_panel_decision_priority", table_name="panel_decision")
    op.drop_table("panel_decision")
    op.drop_index("ix_fund_pledge_area_year", table_name="fund_pledge")
    op.drop_table("fund_pledge")
    op.drop_table("cpi_index")
    op.drop_index("ix_area_district_district", table_name="area_district")
    op.drop_table("area_district")
    op.drop_index("ix_area_type_code", table_name="area")
    op.drop_table("area")
