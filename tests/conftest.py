"""Test fixtures: a fresh app per test, on SQLite always and on PostgreSQL when
TEST_DATABASE_URL is set (every test using `app` runs once per database).

The schema is built once per database per session by running the real migrations; each
test then starts from empty tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, inspect, text

from spdirectory import create_app
from spdirectory.config import normalise_database_url
from tests.clients import IsolatedClient

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]


def _migrate(url: str, instance: Path) -> None:
    app = create_app(
        {"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "test"}, instance_path=instance
    )
    with app.app_context():
        from flask_migrate import upgrade

        from spdirectory.extensions import db

        if db.engine.dialect.name == "postgresql":
            # Start from nothing: an earlier run may have left any schema behind.
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=app.extensions["migrate"].directory)
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("db")
    urls = {"sqlite": f"sqlite:///{base / 'test.db'}"}
    if PG_URL:
        urls["postgresql"] = normalise_database_url(PG_URL)
    for url in urls.values():
        _migrate(url, base)
    return urls


def _empty_tables(url: str) -> None:
    engine = create_engine(url)
    try:
        # FTS5 keeps shadow tables (search_fts_*) that only the virtual table may touch.
        tables = [
            t
            for t in inspect(engine).get_table_names()
            if t != "alembic_version" and not t.startswith("search_fts_")
        ]
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                quoted = ", ".join(f'"{t}"' for t in tables)
                conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            else:
                conn.execute(text("PRAGMA foreign_keys=OFF"))
                for table in tables:
                    conn.execute(text(f'DELETE FROM "{table}"'))
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest, database_urls: dict[str, str]) -> str:
    if request.param not in database_urls:
        pytest.skip(
            "PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1/test)"
        )
    return request.param


@pytest.fixture
def app(db_backend: str, database_urls: dict[str, str], tmp_path: Path) -> Iterator[Flask]:
    url = database_urls[db_backend]
    _empty_tables(url)
    flask_app = create_app(
        {"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "test-secret"},
        instance_path=tmp_path,
    )
    flask_app.test_client_class = IsolatedClient
    with flask_app.app_context():
        yield flask_app
        from spdirectory.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make(app: Flask) -> Any:
    """Factories for test data (see tests/factories.py)."""
    from tests import factories

    return factories
