"""kitemark: kite-mark questionnaire, applications, answers, evidence, reviews (issue 5)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "kitemark_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("hint", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("evidence", sa.String(length=10), nullable=False),
        sa.Column("caps_validity", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("kind IN ('text', 'date')", name=op.f("ck_kitemark_question_kind_known")),
        sa.CheckConstraint(
            "evidence IN ('required', 'optional', 'none')",
            name=op.f("ck_kitemark_question_evidence_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kitemark_question")),
        sa.UniqueConstraint("code", name=op.f("uq_kitemark_question_code")),
    )
    op.create_table(
        "kitemark_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("open_marker", sa.Integer(), nullable=True),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "open_marker IS NULL OR open_marker = 1",
            name=op.f("ck_kitemark_application_open_marker_one"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"],
            name=op.f("fk_kitemark_application_organisation_id_organisation"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"],
            name=op.f("fk_kitemark_application_created_by_id_user"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user.id"],
            name=op.f("fk_kitemark_application_decided_by_id_user"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kitemark_application")),
        sa.UniqueConstraint(
            "organisation_id", "open_marker",
            name=op.f("uq_kitemark_application_organisation_id_open_marker"),
        ),
    )
    with op.batch_alter_table("kitemark_application", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kitemark_application_organisation_id"), ["organisation_id"]
        )
        batch_op.create_index(
            "ix_kitemark_application_status_submitted", ["status", "submitted_at"]
        )

    op.create_table(
        "kitemark_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("date_value", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["kitemark_application.id"],
            name=op.f("fk_kitemark_answer_application_id_kitemark_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"], ["kitemark_question.id"],
            name=op.f("fk_kitemark_answer_question_id_kitemark_question"), ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kitemark_answer")),
        sa.UniqueConstraint(
            "application_id", "question_id",
            name=op.f("uq_kitemark_answer_application_id_question_id"),
        ),
    )
    with op.batch_alter_table("kitemark_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kitemark_answer_application_id"), ["application_id"])

    op.create_table(
        "kitemark_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=100), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["kitemark_application.id"],
            name=op.f("fk_kitemark_evidence_application_id_kitemark_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"], ["kitemark_question.id"],
            name=op.f("fk_kitemark_evidence_question_id_kitemark_question"), ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["user.id"],
            name=op.f("fk_kitemark_evidence_uploaded_by_id_user"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kitemark_evidence")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_kitemark_evidence_stored_name")),
    )
    with op.batch_alter_table("kitemark_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kitemark_evidence_application_id"), ["application_id"]
        )

    op.create_table(
        "kitemark_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["kitemark_application.id"],
            name=op.f("fk_kitemark_comment_application_id_kitemark_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"], ["kitemark_question.id"],
            name=op.f("fk_kitemark_comment_question_id_kitemark_question"), ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user.id"],
            name=op.f("fk_kitemark_comment_author_id_user"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kitemark_comment")),
    )
    with op.batch_alter_table("kitemark_comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kitemark_comment_application_id"), ["application_id"])

    op.create_table(
        "kitemark_award",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("awarded_at", sa.DateTime(), nullable=True),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("status_before_pending", sa.String(length=20), nullable=True),
        sa.Column("suspended_reason", sa.Text(), nullable=False),
        sa.Column("reminded_for", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('none', 'pending', 'awarded', 'expired', 'suspended')",
            name=op.f("ck_kitemark_award_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"],
            name=op.f("fk_kitemark_award_organisation_id_organisation"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"], ["kitemark_application.id"],
            name=op.f("fk_kitemark_award_application_id_kitemark_application"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_kitemark_award")),
    )
    with op.batch_alter_table("kitemark_award", schema=None) as batch_op:
        batch_op.create_index("ix_kitemark_award_status_valid_until", ["status", "valid_until"])

    op.create_table(
        "kitemark_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"],
            name=op.f("fk_kitemark_event_organisation_id_organisation"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"], ["kitemark_application.id"],
            name=op.f("fk_kitemark_event_application_id_kitemark_application"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user.id"],
            name=op.f("fk_kitemark_event_actor_id_user"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kitemark_event")),
    )
    with op.batch_alter_table("kitemark_event", schema=None) as batch_op:
        batch_op.create_index("ix_kitemark_event_org_at", ["organisation_id", "at"])
        batch_op.create_index(batch_op.f("ix_kitemark_event_application_id"), ["application_id"])


def downgrade():
    op.drop_table("kitemark_event")
    op.drop_table("kitemark_award")
    op.drop_table("kitemark_comment")
    op.drop_table("kitemark_evidence")
    op.drop_table("kitemark_answer")
    op.drop_table("kitemark_application")
    op.drop_table("kitemark_question")
