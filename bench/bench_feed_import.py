"""Benchmark the Open Referral feed pull: 10,000 services served by a local HTTP server,
pulled page by page with `pull_feed` and imported into a fresh database. Target: < 90 s.

Run: PYTHONPATH=. python bench/bench_feed_import.py [--services 10000] [--per-page 100]
     [--database-url URL] [--profile N]

The services are the demo generator's seeded listings across England, written as ORUK 3.0
pages (nested services with taxonomy-term attributes, schedules, locations, costs, contacts)
and served by a separate process (werkzeug, threaded, on 127.0.0.1) so that serving does
not compete with the importer for the interpreter lock. A second pull of the unchanged feed
is timed too (the refresh case). Without --database-url a new SQLite file is used; a
PostgreSQL URL's schema is dropped and rebuilt (give it a database of its own).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DAY = {"mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU"}
TAXONOMY = {
    "categories": "spdirectory activity categories",
    "needs": "spdirectory needs",
    "modes": "spdirectory delivery modes",
    "referral_routes": "spdirectory referral routes",
}


def split(cell: str) -> list[str]:
    return [c.strip() for c in cell.split(";") if c.strip()]


def row_to_service(row: dict[str, str]) -> dict[str, Any]:
    """A generated CSV-template row as an ORUK 3.0 service (as a publisher would give it)."""
    sid = row["external_id"]
    attributes = [
        {"id": f"{sid}-{key}-{code}", "taxonomy_term": {
            "id": f"{key}-{code}", "code": code, "name": code, "taxonomy": taxonomy}}
        for key, taxonomy in TAXONOMY.items()
        for code in split(row[key])
    ]  # fmt: skip
    if row["spare_places"] not in ("", "0"):
        availability = {
            "id": "has_space",
            "code": "has_space",
            "taxonomy": "spdirectory availability",
        }
        attributes.append(
            {"id": f"{sid}-avail", "value": row["spare_places"], "taxonomy_term": availability}
        )
    schedules = []
    for part in split(row["schedule"]):
        day, times = part.split(" ", 1)
        opens, closes = times.split("-")
        schedules.append({"id": f"{sid}-{part}", "freq": "WEEKLY", "byday": DAY[day.lower()],
                          "opens_at": opens, "closes_at": closes})  # fmt: skip
    service: dict[str, Any] = {
        "id": sid,
        "name": row["title"],
        "description": row["description"],
        "status": "active",
        "organization": {"id": f"org-{row['organisation']}", "name": row["organisation"]},
        "attributes": attributes,
        "schedules": schedules,
        "languages": [{"id": f"{sid}-{c}", "code": c} for c in split(row["languages"])],
        "contacts": [
            {
                "id": f"{sid}-c",
                "name": row["contact_name"],
                "email": row["email"],
                "phones": [{"id": f"{sid}-p", "number": row["phone"]}],
            }
        ],  # fmt: skip
        "url": row["website"],
    }
    if row["postcode"]:
        service["service_at_locations"] = [{"id": f"{sid}-sal", "location": {
            "id": f"{sid}-loc", "location_type": "physical", "addresses": [{
                "id": f"{sid}-a", "address_1": row["address"] or row["postcode"], "city": "",
                "state_province": "", "postal_code": row["postcode"], "country": "GB",
                "address_type": "physical"}]}}]  # fmt: skip
    if row["cost"]:
        amount = 0 if row["cost"] == "free" else float(row["cost"])
        service["cost_options"] = [{"id": f"{sid}-cost", "amount": amount}]
    for key, field in (("age_min", "minimum_age"), ("age_max", "maximum_age")):
        if row[key]:
            service[field] = int(row[key])
    return service


def write_pages(folder: Path, services: list[dict[str, Any]], per_page: int) -> int:
    pages = max(1, -(-len(services) // per_page))
    for number in range(1, pages + 1):
        chunk = services[(number - 1) * per_page : number * per_page]
        body = {
            "total_items": len(services), "total_pages": pages, "page_number": number,
            "size": len(chunk), "first_page": number == 1, "last_page": number == pages,
            "empty": not chunk, "contents": chunk,
        }  # fmt: skip
        (folder / f"page-{number}.json").write_text(json.dumps(body))
    return pages


def serve_pages(folder: str) -> None:
    """Child process: serve page-N.json for /services?page=N; print the port, then serve."""
    from werkzeug.serving import WSGIRequestHandler, make_server
    from werkzeug.wrappers import Request, Response

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    pages = {int(p.stem.split("-")[1]): p.read_bytes() for p in Path(folder).glob("page-*.json")}

    def app(environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        body = pages.get(request.args.get("page", 1, type=int))
        if body is None:
            response = Response(b'{"contents": []}', mimetype="application/json")
        else:
            response = Response(body, mimetype="application/json")
        return response(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    print(server.server_port, flush=True)
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--serve", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_pages(args.serve)
        return

    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from spdirectory import create_app
    from spdirectory.audit import acting_as
    from spdirectory.demo.generate import ENGLAND_PREFIXES, generate_rows
    from spdirectory.directory.models import Activity
    from spdirectory.extensions import db
    from spdirectory.openreferral.feed import FeedSettings, pull_feed

    with tempfile.TemporaryDirectory(prefix="bench-feed-") as tmp:
        tmp_path = Path(tmp)
        start = time.perf_counter()
        services = [row_to_service(r) for r in generate_rows(args.services, args.seed,
                                                              ENGLAND_PREFIXES)]  # fmt: skip
        pages = write_pages(tmp_path, services, args.per_page)
        print(f"generated {len(services):,} services in {pages} pages "
              f"in {time.perf_counter() - start:.1f} s")  # fmt: skip
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert server.stdout is not None
            url = f"http://127.0.0.1:{int(server.stdout.readline())}/"
            db_url = args.database_url or f"sqlite:///{tmp_path / 'bench.db'}"
            app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "bench"},
                             instance_path=tmp_path)  # fmt: skip
            with app.app_context():
                if db.engine.dialect.name == "postgresql":
                    with db.engine.begin() as conn:
                        conn.execute(text("DROP SCHEMA public CASCADE"))
                        conn.execute(text("CREATE SCHEMA public"))
                upgrade(directory=app.extensions["migrate"].directory)
                print(f"database: {db.engine.dialect.name}; feed: {url}services")
                settings = FeedSettings(per_page=args.per_page, timeout=30)
                profiler = cProfile.Profile() if args.profile else None
                timings = []
                for run in ("first pull", "re-pull (unchanged)"):
                    with acting_as(label="bench"):
                        t0, c0 = time.perf_counter(), time.process_time()
                        if profiler and run == "first pull":
                            profiler.enable()
                        report = pull_feed(url, settings=settings)
                        if profiler and run == "first pull":
                            profiler.disable()
                        timings.append((run, time.perf_counter() - t0,
                                        time.process_time() - c0, report))  # fmt: skip
                stored = db.session.scalar(select(func.count(Activity.id)))
                db.session.remove()
                db.engine.dispose()
        finally:
            server.terminate()
            server.wait(timeout=10)

    for run, elapsed, cpu, report in timings:
        print(f"{run}:")
        print(f"  seconds:      {elapsed:.1f} (CPU of the importer process {cpu:.1f}); "
              f"target < 90 s: {'met' if elapsed < 90 else 'NOT met'}")  # fmt: skip
        print(f"  services/s:   {len(services) / elapsed:,.0f}")
        print("  summary:      " + report.summary().replace("\n", "\n                "))
        for error in report.errors[:5]:
            print(f"  {report.label(error.row)}: {error.reason}")
    print(f"stored: {stored:,} activities")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
