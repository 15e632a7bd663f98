"""openreferral: a covering index for the Open Referral read API's filters (issue 7)

Published ids need no columns: services and organisations use their `uuid`, nested
entities a uuid5 of it (spdirectory/openreferral/taxonomy.stable_id). What the API needs is
speed at 100,000 listings: counting and paging `/openreferral/services` with taxonomy,
age, organisation and modified_after filters reads this narrow index instead of every wide
activity row (about 2x faster on SQLite, see bench/bench_openreferral_api.py), and deep
pages read their ids from (status, id).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Not led by `status`: plain paging keeps using the narrow status index; the API names
# this one (SQLite INDEXED BY) only for queries whose filters read these columns.
COLUMNS = [
    "categories",
    "needs",
    "modes",
    "referral_routes",
    "kite_mark",
    "spare_places",
    "waitlist_open",
    "updated_at",
    "age_min",
    "age_max",
    "status",
    "organisation_id",
    "id",
]


INDEXES = {
    "ix_activity_openreferral_filters": COLUMNS,
    # Paging published services in id order, read from the index alone on PostgreSQL
    # (SQLite's status index already ends with the rowid).
    "ix_activity_status_id": ["status", "id"],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, "activity", columns, unique=False)


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name="activity")
