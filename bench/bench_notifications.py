"""Benchmark notifications: outbox delivery to a local SMTP server and the overdue sweep.

Run: PYTHONPATH=. python bench/bench_notifications.py [--emails 2000] [--referrals 2000]
     [--database-url postgresql://…/a_database_of_its_own]

Without --database-url a new SQLite file in a temporary folder is used. A PostgreSQL URL must
name a database of its own: its schema is dropped and rebuilt with the real migrations.
Prints emails/second for one sender and for two senders at once (each email must arrive
exactly once), and the time of `remind_overdue()` over N overdue referrals and of a second,
idle run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from spdirectory import create_app  # noqa: E402
from spdirectory.config import normalise_database_url  # noqa: E402


def build(url: str, instance: Path):  # type: ignore[no-untyped-def]
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"}, instance_path=instance)
    with app.app_context():
        from flask_migrate import upgrade

        from spdirectory.extensions import db

        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=app.extensions["migrate"].directory)
    return app


def queue_many(n: int) -> None:
    from spdirectory.db_types import utcnow
    from spdirectory.extensions import db
    from spdirectory.notifications.models import OutboxEmail

    now = utcnow() - timedelta(seconds=1)
    db.session.execute(
        insert(OutboxEmail),
        [
            {
                "to": f"user{i}@example.org",
                "subject": f"Bench {i}",
                "body": "A referral you made is now accepted.\n\nhttps://example.org/r/1\n",
                "kind": "bench",
                "status": "queued",
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
            }
            for i in range(n)
        ],
    )
    db.session.commit()


def send_all(app, senders: int) -> float:  # type: ignore[no-untyped-def]
    from spdirectory.extensions import db
    from spdirectory.notifications.delivery import send_due

    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                while send_due(limit=100).sent:
                    pass
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    start = time.perf_counter()
    threads = [threading.Thread(target=run) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - start


def overdue_referrals(n: int) -> None:
    from spdirectory.db_types import utcnow
    from spdirectory.extensions import db
    from spdirectory.referrals.models import Referral
    from tests import factories as make

    org = make.organisation("Bench organisation")
    make.user("provider", email="bench-provider@example.org", organisation=org)
    worker = make.user("link_worker", email="bench-worker@example.org")
    activity = make.activity(org, title="Bench walk", referral_routes="link_worker")
    make.commit()
    sent = utcnow() - timedelta(days=20)
    db.session.execute(
        insert(Referral),
        [
            {
                "activity_id": activity.id,
                "organisation_id": org.id,
                "referrer_id": worker.id,
                "client_reference": f"B-{i}",
                "summary": "",
                "needs": [],
                "contact_consent": False,
                "preferred_contact": "",
                "preferred_times": "",
                "status": "sent",
                "created_at": sent,
                "updated_at": sent,
                "respond_by": sent + timedelta(days=5),
            }
            for i in range(n)
        ],
    )
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--referrals", type=int, default=2000)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    from tests.notifications.conftest import Mailbox, free_port

    with tempfile.TemporaryDirectory(prefix="bench-notifications-") as tmp:
        tmp_path = Path(tmp)
        url = normalise_database_url(args.database_url or f"sqlite:///{tmp_path / 'bench.db'}")
        app = build(url, tmp_path)
        mailbox = Mailbox()
        port = free_port()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port)
        controller.start()
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="bench@example.org")
        try:
            with app.app_context():
                from spdirectory.extensions import db

                print(f"database: {db.engine.dialect.name}")
                for senders in (1, 2):
                    mailbox.messages.clear()
                    queue_many(args.emails)
                    seconds = send_all(app, senders)
                    subjects = [m["Subject"] for m in mailbox.messages]
                    duplicates = len(subjects) - len(set(subjects))
                    print(
                        f"send, {senders} sender(s): {len(subjects):,} emails in {seconds:.2f} s "
                        f"= {len(subjects) / seconds:,.0f} emails/s; duplicates: {duplicates}"
                    )

                from spdirectory.notifications.referrals import remind_overdue

                overdue_referrals(args.referrals)
                start = time.perf_counter()
                reminded = remind_overdue()
                first = time.perf_counter() - start
                start = time.perf_counter()
                again = remind_overdue()
                second = time.perf_counter() - start
                print(
                    f"remind_overdue: {reminded:,} referrals reminded in {first:.2f} s "
                    f"({first / max(reminded, 1) * 1000:.2f} ms each); second run: "
                    f"{again} reminded in {second * 1000:.1f} ms"
                )
                db.session.remove()
                db.engine.dispose()
        finally:
            controller.stop()


if __name__ == "__main__":
    main()
