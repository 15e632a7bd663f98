"""Reading many rows as plain tuples, straight from the DB-API cursor."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection


def plain_rows(
    connection: Connection, stmt: Any, params: dict[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """All rows of `stmt` as tuples of raw driver values (no result processing: datetimes
    stay as the driver returns them). For 100,000s of rows on SQLite this is several times
    cheaper than SQLAlchemy's rows; other databases go through SQLAlchemy."""
    # Expanding IN lists rendered now, as one parameter per value.
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    raw = connection.connection.dbapi_connection
    # Bound values must go as SQLAlchemy sends them (UTC datetimes as naive text, say):
    # its processors are not public API, so without them SQLAlchemy reads the rows.
    processors = getattr(compiled, "_bind_processors", None)
    if connection.dialect.paramstyle != "qmark" or raw is None or processors is None:
        return [tuple(row) for row in connection.execute(stmt, params or {})]
    values = compiled.construct_params(params or {})
    names = compiled.positiontup or ()
    positional = [
        processors[name](values[name]) if name in processors else values[name] for name in names
    ]
    return raw.execute(compiled.string, positional).fetchall()
