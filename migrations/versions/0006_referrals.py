"""referrals: referrals, their status events and ONS4 outcomes (issue 4)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("referrer_id", sa.Integer(), nullable=True),
        sa.Column("client_reference", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("needs", sa.Text(), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("contact_consent", sa.Boolean(), nullable=False),
        sa.Column("consent_recorded_at", sa.DateTime(), nullable=True),
        sa.Column("preferred_contact", sa.String(length=20), nullable=False),
        sa.Column("preferred_times", sa.String(length=200), nullable=False),
        sa.Column("person_district", sa.String(length=5), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decline_reason", sa.String(length=30), nullable=True),
        sa.Column("waitlist_position", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("responded_at", sa.DateTime(), nullable=True),
        sa.Column("respond_by", sa.DateTime(), nullable=False),
        sa.Column("overdue_notified_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("anonymised_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "waitlist_position IS NULL OR waitlist_position >= 1",
            name=op.f("ck_referral_waitlist_position_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_referral_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_referral_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["referrer_id"],
            ["user.id"],
            name=op.f("fk_referral_referrer_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referral_activity_status", ["activity_id", "status", "waitlist_position"]
        )
        batch_op.create_index("ix_referral_created_at", ["created_at"])
        batch_op.create_index("ix_referral_org_created", ["organisation_id", "created_at"])
        batch_op.create_index(
            "ix_referral_org_status_created", ["organisation_id", "status", "created_at"]
        )
        batch_op.create_index("ix_referral_referrer_created", ["referrer_id", "created_at"])
        batch_op.create_index(
            "ix_referral_referrer_status", ["referrer_id", "status", "created_at"]
        )
        batch_op.create_index("ix_referral_status_respond_by", ["status", "respond_by"])
        batch_op.create_index("ix_referral_client_reference", ["client_reference"])

    op.create_table(
        "referral_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user.id"],
            name=op.f("fk_referral_event_actor_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_referral_event_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_event")),
    )
    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.create_index("ix_referral_event_referral_at", ["referral_id", "at"])
        batch_op.create_index("ix_referral_event_to_status_at", ["to_status", "at"])

    op.create_table(
        "referral_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("life_satisfaction", sa.Integer(), nullable=False),
        sa.Column("worthwhile", sa.Integer(), nullable=False),
        sa.Column("happy", sa.Integer(), nullable=False),
        sa.Column("anxious", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "stage IN ('baseline', 'end', 'follow_up')",
            name=op.f("ck_referral_outcome_stage_known"),
        ),
        sa.CheckConstraint(
            "anxious BETWEEN 0 AND 10", name=op.f("ck_referral_outcome_anxious_0_to_10")
        ),
        sa.CheckConstraint(
            "happy BETWEEN 0 AND 10", name=op.f("ck_referral_outcome_happy_0_to_10")
        ),
        sa.CheckConstraint(
            "life_satisfaction BETWEEN 0 AND 10",
            name=op.f("ck_referral_outcome_life_satisfaction_0_to_10"),
        ),
        sa.CheckConstraint(
            "worthwhile BETWEEN 0 AND 10", name=op.f("ck_referral_outcome_worthwhile_0_to_10")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user.id"],
            name=op.f("fk_referral_outcome_recorded_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_referral_outcome_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_outcome")),
        sa.UniqueConstraint(
            "referral_id", "stage", name=op.f("uq_referral_outcome_referral_id_stage")
        ),
    )
    with op.batch_alter_table("referral_outcome", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_outcome_referral_id"), ["referral_id"])


def downgrade():
    op.drop_table("referral_outcome")
    op.drop_table("referral_event")
    op.drop_table("referral")
