"""openreferral: feed sources, stable UUIDs, duplicate review queue (issue 7)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    pass  # placeholder: filled in by the openreferral work, keeps the revision chain fixed


def downgrade():
    pass
