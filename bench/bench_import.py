"""Benchmark the CSV import: a seeded 10,000-row file across England into a fresh database.

Run: PYTHONPATH=. python bench/bench_import.py [--rows 10000] [--database-url URL]

Without --database-url a new SQLite file in a temporary instance folder is used. A
PostgreSQL URL must name an empty database (or one whose tables may be dropped): the
schema is rebuilt with the real migrations before the import.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text

from spdirectory import create_app
from spdirectory.demo.generate import ENGLAND_PREFIXES, generate_rows, write_csv


def max_rss_mb() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="print the top N functions by time"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        tmp_path = Path(tmp)
        csv_path = tmp_path / "activities.csv"
        start = time.perf_counter()
        rows = generate_rows(args.rows, args.seed, ENGLAND_PREFIXES)
        written = write_csv(csv_path, rows)
        print(
            f"generated {written:,} rows across {len(ENGLAND_PREFIXES)} postcode areas "
            f"in {time.perf_counter() - start:.1f} s ({csv_path.stat().st_size / 1e6:.1f} MB)"
        )

        url = args.database_url or f"sqlite:///{tmp_path / 'bench.db'}"
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"}, instance_path=tmp_path)
        with app.app_context():
            from flask_migrate import upgrade

            from spdirectory.audit import acting_as
            from spdirectory.directory.importer import import_csv
            from spdirectory.directory.models import Activity, Organisation
            from spdirectory.extensions import db

            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
            upgrade(directory=app.extensions["migrate"].directory)
            print(f"database: {db.engine.dialect.name} ({db.engine.url.render_as_string()})")

            profiler = cProfile.Profile() if args.profile else None
            with csv_path.open(encoding="utf-8", newline="") as fh, acting_as(label="bench"):
                start, cpu_start = time.perf_counter(), time.process_time()
                if profiler:
                    profiler.enable()
                report = import_csv(fh, source="bench", honour_kite_mark=True)
                if profiler:
                    profiler.disable()
                elapsed = time.perf_counter() - start
                cpu = time.process_time() - cpu_start

            stored = db.session.scalar(select(func.count(Activity.id)))
            organisations = db.session.scalar(select(func.count(Organisation.id)))
            db.session.remove()
            db.engine.dispose()

    print(f"rows:           {written:,}")
    # CPU time as well: on a busy machine wall-clock time varies from run to run.
    print(f"seconds:        {elapsed:.1f} (CPU {cpu:.1f})")
    print(f"rows/second:    {written / elapsed:,.0f}")
    print(f"rejected:       {report.rejected}")
    print(f"stored:         {stored:,} activities, {organisations:,} organisations")
    print(f"peak memory:    {max_rss_mb():.0f} MB (max RSS of the whole process)")
    if report.errors:
        for error in report.errors[:5]:
            print(f"  row {error.row}: {error.reason}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
