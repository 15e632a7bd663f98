"""notifications: email outbox and recorded unmet needs (issue 4)

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    pass  # placeholder: filled in by the notifications work, keeps the revision chain fixed


def downgrade():
    pass
