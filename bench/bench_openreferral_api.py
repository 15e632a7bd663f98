"""Benchmark the Open Referral read API (`/openreferral/services`) at 100,000 services.

Run: PYTHONPATH=. python bench/bench_openreferral_api.py [--rows 100000] [--requests 300]
     [--database-url postgresql://…/a_database_of_its_own]

Uses the cached generated database of bench/bench_search.py (built once, then copied per
run; see there). Requests go through the Flask app in-process (WSGI, each in its own
application context as in production), so the figures are the server's own time: query,
serialisation and JSON, without network. Measured over a mix the ORUK validator and feed
readers send: first, middle, last and random pages (per_page 50), `full=true` pages, a
taxonomy filter, an organisation filter, `modified_after`, a text search and one service by
id. Target: p95 < 200 ms over the mix.
"""

from __future__ import annotations

import argparse
import contextvars
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask.globals import _cv_app
from sqlalchemy import func, select, text

from bench.bench_search import (
    ROOT,
    bench_app,
    cached_database,
    summary,
    verdict,
)
from spdirectory import create_app

TARGET_P95_MS = 200.0


def get(app: Flask, url: str) -> tuple[float, int]:
    client = app.test_client()

    def run() -> tuple[float, int]:
        _cv_app.set(None)  # each request in its own app context and database session
        start = time.perf_counter()
        response = client.get(url)
        response.get_data()
        return (time.perf_counter() - start) * 1000, response.status_code

    return contextvars.copy_context().run(run)


def urls(app: Flask, rng: random.Random, count: int) -> list[tuple[str, str]]:
    from spdirectory.directory.models import Activity, Organisation
    from spdirectory.extensions import db
    from spdirectory.openreferral.taxonomy import TAXONOMIES, term_id

    total = db.session.scalar(select(func.count(Activity.id)).where(Activity.status == "published"))
    pages = max(1, -(-total // 50))
    org_uuids = list(db.session.scalars(select(Organisation.uuid).limit(500)))
    service_uuids = list(
        db.session.scalars(select(Activity.uuid).where(Activity.status == "published").limit(2000))
    )
    categories = list(TAXONOMIES["categories"].terms)
    mix: list[tuple[str, str]] = [
        ("first page", "/openreferral/services"),
        ("middle page", f"/openreferral/services?page={pages // 2}"),
        ("last page", f"/openreferral/services?page={pages}"),
    ]
    kinds = ["random page", "full page", "taxonomy term", "organisation", "modified_after",
             "search", "by id", "random page"]  # fmt: skip
    for i in range(count - len(mix)):
        kind = kinds[i % len(kinds)]
        if kind == "random page":
            url = f"/openreferral/services?page={rng.randint(1, pages)}&per_page=50"
        elif kind == "full page":
            url = f"/openreferral/services?full=true&page={rng.randint(1, pages)}"
        elif kind == "taxonomy term":
            tid = term_id("categories", rng.choice(categories))
            url = f"/openreferral/services?taxonomy_term_id={tid}&page={rng.randint(1, 20)}"
        elif kind == "organisation":
            url = f"/openreferral/services?organization_id={rng.choice(org_uuids)}"
        elif kind == "modified_after":
            url = "/openreferral/services?modified_after=2020-01-01T00:00:00Z"
        elif kind == "search":
            word = rng.choice(["walk", "choir", "garden", "art", "cafe", "yoga", "men"])
            url = f"/openreferral/services?search={word}"
        else:
            url = f"/openreferral/services/{rng.choice(service_uuids)}"
        mix.append((kind, url))
    assert TAXONOMIES  # imported for the ids above
    return mix


COPIED = ("organisation", "activity", "activity_session")


@contextmanager
def postgresql_app(rows: int, seed: int, url: str) -> Iterator[tuple[Flask, str]]:
    """An app on PostgreSQL at `url` (its schema is replaced: give it a database of its own)
    holding the cached file's organisations, activities and sessions, the columns both
    schemas have, then the search index rebuilt. Only what this API reads is copied, so a
    cache built before later migrations still loads. Skipped if already loaded."""
    from sqlalchemy import create_engine, inspect, text

    from spdirectory.extensions import db
    from spdirectory.search import get_backend

    source = create_engine(f"sqlite:///{cached_database(rows, seed)}")
    with tempfile.TemporaryDirectory(prefix="bench-or-") as tmp:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"}, instance_path=tmp)
        with app.app_context():
            have = 0
            if inspect(db.engine).has_table("activity"):
                have = db.session.scalar(text("SELECT count(*) FROM activity")) or 0
            if have != rows:
                from flask_migrate import upgrade

                print(f"loading {rows:,} activities into {db.engine.url.database} (one-off)")
                db.session.remove()
                with db.engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
                upgrade(directory=app.extensions["migrate"].directory)
                src_columns = {
                    t: {c["name"] for c in inspect(source).get_columns(t)} for t in COPIED
                }
                with source.connect() as src, db.engine.begin() as dst:
                    for name in COPIED:
                        table = db.metadata.tables[name]
                        cols = [c for c in table.c if c.name in src_columns[name]]
                        result = src.execute(select(*cols)).mappings()
                        while chunk := result.fetchmany(5000):
                            dst.execute(table.insert(), [dict(r) for r in chunk])
                        dst.execute(
                            text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"),
                            {"t": name, "v": dst.scalar(select(func.max(table.c.id)))},
                        )
                print(f"  search index: {get_backend().rebuild():,} documents")
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    c.execute(text("VACUUM ANALYZE"))
            yield app, url
            db.session.remove()
            db.engine.dispose()


def ensure_filter_index() -> None:
    """The cached database may have been built before migration 0007 gained its indexes
    (Alembic will not re-run a revision): create the same indexes if they are missing."""
    import importlib.util

    from sqlalchemy import Index

    from spdirectory.directory.models import Activity
    from spdirectory.extensions import db

    path = ROOT / "migrations" / "versions" / "0007_openreferral.py"
    spec = importlib.util.spec_from_file_location("migration_0007", path)
    assert spec and spec.loader
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    table = Activity.__table__
    for name, columns in migration.INDEXES.items():
        Index(name, *(table.c[c] for c in columns)).create(db.engine, checkfirst=True)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE activity"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url", help="a PostgreSQL database of its own")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    opened = (
        postgresql_app(args.rows, args.seed, args.database_url)
        if args.database_url
        else bench_app(args.rows, args.seed)
    )
    with opened as (app, _where):
        from spdirectory.directory.models import Activity
        from spdirectory.extensions import db

        ensure_filter_index()
        published = db.session.scalar(
            select(func.count(Activity.id)).where(Activity.status == "published")
        )
        print(f"database: {db.engine.dialect.name}, {published:,} published services")
        mix = urls(app, rng, args.requests)
        for _kind, url in mix[:10]:  # warm up: caches, first-use imports
            get(app, url)
        by_kind: dict[str, list[float]] = {}
        every: list[float] = []
        bad = 0
        for kind, url in mix:
            ms, status = get(app, url)
            bad += status != 200
            by_kind.setdefault(kind, []).append(ms)
            every.append(ms)
        for kind, samples in by_kind.items():
            print(f"  {kind:<15} {summary(samples)}")
        print(f"/openreferral/services mix: {summary(every)}  ({bad} non-200)")
        p95 = sorted(every)[min(len(every) - 1, round(0.95 * (len(every) - 1)))]
        print(f"p95 {p95:.1f} ms  [target < {TARGET_P95_MS:.0f} ms: {verdict(p95, TARGET_P95_MS)}]")


if __name__ == "__main__":
    main()
