"""referrals: referrals, their events, unmet needs, outcomes, notification outbox (issue 4)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    pass  # placeholder: filled in by the referrals work, keeps the revision chain fixed


def downgrade():
    pass
