"""search speed: distinct suggestion values kept by triggers; an index in the default
listing order

Revision ID: 0012
Revises: 0011

search_suggestion holds each distinct activity title and organisation name of the search
index with the number of index rows using it. Triggers on search_document keep it exact
whatever deletes or writes a row (write_documents, rebuild, an ON DELETE CASCADE), so
suggest() scans about 20,000 distinct values in (length, value) order and stops at the
first matches, instead of scanning and grouping 100,000 rows (docs/performance.md).

ix_search_document_listing_order is the order of a search with neither text nor a place
(spare places, then open waitlist, then full; most recently confirmed first), followed by
the columns such a search filters on and returns: it reads its first page from the index
alone instead of sorting every matching row. The
expression must stay the same as LISTING_RANK in spdirectory/search/database.py.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


LISTING_RANK = "(CASE WHEN spare_places > 0 THEN 0 WHEN waitlist_open THEN 1 ELSE 2 END)"


# The columns a search without text or place filters on and returns, after the order: the
# index alone answers it (a selective filter reads it through, never the table).
_FILTERED = (
    "category_mask",
    "need_mask",
    "mode_mask",
    "day_mask",
    "kite_mark",
    "spare_places",
    "waitlist_open",
    "cost_pence",
    "organisation_id",
    "latitude",
    "longitude",
)


def words(column: str) -> str:
    """The value lower-cased, with a space before it and in place of "-" and "(": a word
    starts after a space exactly where the old LIKE tests found one (start of the text,
    after a space, "-" or "("), so suggest() needs one LIKE per typed word, not four."""
    return f"(' ' || lower(replace(replace({column}, '-', ' '), '(', ' ')))"


def _fill(sql: str) -> str:
    return sql.replace("{WORDS_NEW_TITLE}", words("NEW.title")).replace(
        "{WORDS_NEW_ORG}", words("NEW.organisation")
    )


_SQLITE_TRIGGERS = [
    """CREATE TRIGGER search_suggestion_insert AFTER INSERT ON search_document BEGIN
        INSERT INTO search_suggestion (kind, value, value_length, words, uses)
            VALUES ('activity', NEW.title, length(NEW.title), {WORDS_NEW_TITLE}, 1)
            ON CONFLICT (kind, value) DO UPDATE SET uses = uses + 1;
        INSERT INTO search_suggestion (kind, value, value_length, words, uses)
            VALUES ('organisation', NEW.organisation, length(NEW.organisation), {WORDS_NEW_ORG}, 1)
            ON CONFLICT (kind, value) DO UPDATE SET uses = uses + 1;
    END""",
    """CREATE TRIGGER search_suggestion_delete AFTER DELETE ON search_document BEGIN
        UPDATE search_suggestion SET uses = uses - 1
            WHERE (kind = 'activity' AND value = OLD.title)
               OR (kind = 'organisation' AND value = OLD.organisation);
        DELETE FROM search_suggestion WHERE uses <= 0
            AND ((kind = 'activity' AND value = OLD.title)
                 OR (kind = 'organisation' AND value = OLD.organisation));
    END""",
    """CREATE TRIGGER search_suggestion_update AFTER UPDATE OF title, organisation
        ON search_document BEGIN
        UPDATE search_suggestion SET uses = uses - 1
            WHERE (kind = 'activity' AND value = OLD.title)
               OR (kind = 'organisation' AND value = OLD.organisation);
        DELETE FROM search_suggestion WHERE uses <= 0
            AND ((kind = 'activity' AND value = OLD.title)
                 OR (kind = 'organisation' AND value = OLD.organisation));
        INSERT INTO search_suggestion (kind, value, value_length, words, uses)
            VALUES ('activity', NEW.title, length(NEW.title), {WORDS_NEW_TITLE}, 1)
            ON CONFLICT (kind, value) DO UPDATE SET uses = uses + 1;
        INSERT INTO search_suggestion (kind, value, value_length, words, uses)
            VALUES ('organisation', NEW.organisation, length(NEW.organisation), {WORDS_NEW_ORG}, 1)
            ON CONFLICT (kind, value) DO UPDATE SET uses = uses + 1;
    END""",
]

_PG_FUNCTION = """
CREATE FUNCTION search_suggestion_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE search_suggestion SET uses = uses - 1
            WHERE (kind = 'activity' AND value = OLD.title)
               OR (kind = 'organisation' AND value = OLD.organisation);
        DELETE FROM search_suggestion WHERE uses <= 0
            AND ((kind = 'activity' AND value = OLD.title)
                 OR (kind = 'organisation' AND value = OLD.organisation));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO search_suggestion AS s (kind, value, value_length, words, uses)
            VALUES ('activity', NEW.title, length(NEW.title), {WORDS_NEW_TITLE}, 1),
                   ('organisation', NEW.organisation, length(NEW.organisation), {WORDS_NEW_ORG}, 1)
            ON CONFLICT (kind, value) DO UPDATE SET uses = s.uses + 1;
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade():
    op.create_table(
        "search_suggestion",
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("value_length", sa.Integer(), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "value", name=op.f("pk_search_suggestion")),
    )
    op.create_index(
        "ix_search_suggestion_order",
        "search_suggestion",
        # `words` too: the scan reads the index alone.
        ["kind", "value_length", "value", "words"],
    )
    for kind, source in (("activity", "title"), ("organisation", "organisation")):
        op.execute(
            "INSERT INTO search_suggestion (kind, value, value_length, words, uses) "
            f"SELECT '{kind}', {source}, length({source}), {words(source)}, count(*) "
            f"FROM search_document GROUP BY {source}"
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_fill(_PG_FUNCTION))
        op.execute(
            "CREATE TRIGGER search_suggestion_sync "
            "AFTER INSERT OR DELETE OR UPDATE OF title, organisation ON search_document "
            "FOR EACH ROW EXECUTE FUNCTION search_suggestion_sync()"
        )
    else:
        for trigger in _SQLITE_TRIGGERS:
            op.execute(_fill(trigger))
    op.execute(
        "CREATE INDEX ix_search_document_listing_order ON search_document "
        f"({LISTING_RANK}, capacity_updated_at DESC, activity_id, {', '.join(_FILTERED)})"
    )


def downgrade():
    op.execute("DROP INDEX ix_search_document_listing_order")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER search_suggestion_sync ON search_document")
        op.execute("DROP FUNCTION search_suggestion_sync()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER search_suggestion_{name}")
    op.drop_index("ix_search_suggestion_order", table_name="search_suggestion")
    op.drop_table("search_suggestion")
