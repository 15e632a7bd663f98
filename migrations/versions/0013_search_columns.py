"""search columns: a revision on every SQLite index row, a log of removed rows and the
index's current revision, so each process can keep the index's filter columns in memory
and bring them up to date with only what changed (spdirectory/search/columns.py)

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# The one-row table is recreated with a new random token whenever it is missing, so a
# process can tell "the same index, N changes later" from "a different index".
_ENSURE = (
    "INSERT OR IGNORE INTO search_revision (id, n, token) "
    "VALUES (1, 0, lower(hex(randomblob(8))));"
    "UPDATE search_revision SET n = n + 1 WHERE id = 1;"
)

_COLUMNS = (
    "activity_id, organisation_id, title, organisation, category_mask, need_mask, mode_mask, "
    "day_mask, route_mask, languages, kite_mark, spare_places, waitlist_open, cost_pence, "
    "age_min, age_max, wheelchair_accessible, latitude, longitude, postcode_district, "
    "capacity_updated_at"
)

_TRIGGERS = [
    f"""CREATE TRIGGER search_revision_insert AFTER INSERT ON search_document BEGIN
        {_ENSURE}
        UPDATE search_document SET revision = (SELECT n FROM search_revision WHERE id = 1)
            WHERE activity_id = NEW.activity_id;
    END""",
    # Every column but `revision`, so the triggers' own UPDATEs do not fire it (a column
    # added to search_document later must be added here).
    f"""CREATE TRIGGER search_revision_update AFTER UPDATE OF {_COLUMNS} ON search_document
    BEGIN
        {_ENSURE}
        UPDATE search_document SET revision = (SELECT n FROM search_revision WHERE id = 1)
            WHERE activity_id = NEW.activity_id;
    END""",
    f"""CREATE TRIGGER search_revision_delete AFTER DELETE ON search_document BEGIN
        {_ENSURE}
        INSERT INTO search_removal (activity_id, revision)
            VALUES (OLD.activity_id, (SELECT n FROM search_revision WHERE id = 1));
    END""",
]


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL answers every search in SQL (docs/performance.md)
    op.execute("ALTER TABLE search_document ADD COLUMN revision INTEGER NOT NULL DEFAULT 0")
    op.execute("CREATE INDEX ix_search_document_revision ON search_document (revision)")
    op.execute(
        "CREATE TABLE search_revision (id INTEGER PRIMARY KEY CHECK (id = 1), "
        "n INTEGER NOT NULL, token TEXT NOT NULL)"
    )
    op.execute(
        "INSERT INTO search_revision (id, n, token) VALUES (1, 0, lower(hex(randomblob(8))))"
    )
    op.execute(
        "CREATE TABLE search_removal (activity_id INTEGER NOT NULL, revision INTEGER NOT NULL)"
    )
    op.execute("CREATE INDEX ix_search_removal_revision ON search_removal (revision)")
    for trigger in _TRIGGERS:
        op.execute(trigger)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER search_revision_{name}")
    op.execute("DROP TABLE search_removal")
    op.execute("DROP TABLE search_revision")
    op.execute("DROP INDEX ix_search_document_revision")
    op.execute("ALTER TABLE search_document DROP COLUMN revision")
