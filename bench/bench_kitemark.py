"""Benchmark the kite mark's bulk work: awarding an organisation with many listings (every
listing and its search index row rewritten in the same transaction), and the daily cron
(`kitemark expire` / `kitemark remind`) over many awards. No target: figures for docs.

Run: PYTHONPATH=. python bench/bench_kitemark.py [--listings 500] [--organisations 2000]
     [--database-url URL]

Without --database-url a new SQLite file is used; a PostgreSQL URL's schema is dropped and
rebuilt (give it a database of its own, never the test or production one).
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any


def build(args: argparse.Namespace, instance: Path) -> Any:
    from flask_migrate import upgrade
    from sqlalchemy import text

    from spdirectory import create_app
    from spdirectory.extensions import db

    url = args.database_url or f"sqlite:///{instance / 'bench.db'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"}, instance_path=instance)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=app.extensions["migrate"].directory)
    return app


def activity(org: Any, title: str) -> Any:
    from spdirectory.directory.models import Activity

    return Activity(
        organisation=org,
        title=title,
        categories=["walking"],
        needs=["loneliness"],
        modes=["in_person"],
        postcode="LS1 1AZ",
        postcode_district="LS1",
        spare_places=2,
        status="published",
    )


def timed(label: str, fn: Any) -> Any:
    started = time.perf_counter()
    result = fn()
    print(f"{label:<58} {time.perf_counter() - started:8.3f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listings", type=int, default=500)
    parser.add_argument("--organisations", type=int, default=2000)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        app = build(args, Path(tmp))
        with app.app_context():
            from spdirectory.accounts.models import User
            from spdirectory.directory.models import Organisation
            from spdirectory.extensions import db
            from spdirectory.kitemark import services
            from spdirectory.kitemark.models import KitemarkAward
            from spdirectory.kitemark.questionnaire import active_questions

            print(f"database: {db.engine.dialect.name}")
            big = Organisation(name="Big charity", email="big@example.org")
            db.session.add_all(activity(big, f"Listing {i}") for i in range(args.listings))
            provider = User(email="p@example.org", role="provider", organisation=big)
            reviewer = User(email="r@example.org", role="reviewer")
            db.session.add_all([provider, reviewer])
            db.session.commit()

            application = services.start_application(provider)
            answers = {
                q.code: ("2099-01-01" if q.kind == "date" else "Answer") for q in active_questions()
            }
            pdf = b"%PDF-1.4\n" + b"0" * 200_000 + b"\n%%EOF\n"
            uploads = [
                services.Upload(q.code, io.BytesIO(pdf), "policy.pdf")
                for q in active_questions()
                if q.evidence == "required"
            ]

            def save() -> None:
                services.save_answers(provider, application.id, answers, uploads)
                db.session.commit()

            timed("save answers + 2 evidence files of 200 KB", save)

            def submit() -> None:
                services.submit(provider, application.id)
                db.session.commit()

            timed(f"submit (pending onto {args.listings} listings + index)", submit)

            def award() -> None:
                services.decide(reviewer, application.id, "approve")
                db.session.commit()

            timed(f"award (awarded onto {args.listings} listings + index)", award)

            # Many small organisations with awards running out around the same days.
            today = date(2027, 1, 1)
            orgs = [
                Organisation(name=f"Group {i}", email=f"group{i}@example.org")
                for i in range(args.organisations)
            ]
            db.session.add_all(orgs)
            db.session.add_all(activity(org, f"{org.name} walk") for org in orgs)
            db.session.add_all(activity(org, f"{org.name} choir") for org in orgs)
            db.session.flush()
            for i, org in enumerate(orgs):
                until = today + timedelta(days=(i % 60) - 30)  # half lapsed, half due soon
                db.session.add(
                    KitemarkAward(organisation_id=org.id, status="awarded", valid_until=until)
                )
                services.sync_listings(org.id, "awarded", until)
            db.session.commit()

            def expire() -> int:
                changed = services.expire(on=today)
                db.session.commit()
                return len(changed)

            expired = timed(f"expire over {args.organisations} awards", expire)
            print(f"  expired {expired} organisations ({2 * expired} listings)")

            def remind() -> int:
                reminded = services.remind(on=today)
                db.session.commit()
                return len(reminded)

            reminded = timed("remind (30 days ahead)", remind)
            print(f"  reminded {reminded} organisations")
            timed("expire again (nothing to do)", expire)
            timed("remind again (nothing to do)", remind)
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
