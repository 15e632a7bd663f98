"""`notifications send`: real SMTP delivery, outbox-only mode, retries with backoff, giving up,
admin retry, and two senders at once never sending one email twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from spdirectory.extensions import db
from spdirectory.notifications import delivery
from spdirectory.notifications.delivery import claim, retry_delay, retry_failed, send_due
from spdirectory.notifications.services import queue_email

from .conftest import SmtpServer, free_port, outbox

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def queue(n: int = 1, to: str = "worker@example.org", at: datetime = T0) -> list[int]:
    ids = []
    for i in range(n):
        email = queue_email(to, f"Subject {i}", f"Body {i}\nline two", kind="test", ref=f"t:{i}")
        email.created_at = email.next_attempt_at = at
        db.session.flush()
        ids.append(email.id)
    db.session.commit()
    return ids


def test_delivers_through_a_real_smtp_server(app: Flask, smtp_server: SmtpServer) -> None:
    smtp_server.configure(app)
    queue(2)
    report = send_due(now=T0)
    assert (report.sent, report.retrying, report.failed) == (2, 0, 0)
    got = smtp_server.mailbox.messages
    assert [m["Subject"] for m in got] == ["Subject 0", "Subject 1"]
    assert got[0]["From"] == "directory@example.org"
    assert got[0]["To"] == "worker@example.org"
    assert got[0]["Auto-Submitted"] == "auto-generated"
    assert "Body 0\r\nline two" in got[0].get_payload(decode=True).decode()
    assert smtp_server.mailbox.envelopes[0] == ("directory@example.org", ["worker@example.org"])
    rows = outbox()
    assert {r.status for r in rows} == {"sent"}
    assert all(r.sent_at == T0 and r.attempts == 1 and r.claimed_by is None for r in rows)
    # Sent rows stay as the record, and are not sent again.
    assert send_due(now=T0 + timedelta(hours=1)).sent == 0
    assert len(smtp_server.mailbox.messages) == 2


def test_without_a_mail_server_emails_stay_in_the_outbox(app: Flask) -> None:
    assert not app.config["MAIL_SERVER"]
    queue(3)
    report = send_due(now=T0)
    assert report.outbox_only == 3 and report.sent == 0
    assert "kept in the outbox" in report.summary()
    assert [(r.status, r.attempts) for r in outbox()] == [("queued", 0)] * 3


def test_not_due_yet_is_left_alone(app: Flask, smtp_server: SmtpServer) -> None:
    smtp_server.configure(app)
    queue(1, at=T0 + timedelta(minutes=5))
    assert send_due(now=T0).sent == 0
    assert send_due(now=T0 + timedelta(minutes=5)).sent == 1


def test_backoff_doubles_and_is_capped(app: Flask) -> None:
    app.config.update(MAIL_RETRY_BASE_SECONDS=60, MAIL_RETRY_MAX_SECONDS=600)
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 5, 9)] == [
        60,
        120,
        240,
        480,
        600,
        600,
    ]


def test_a_refusing_server_means_retries_then_failed(app: Flask, smtp_server: SmtpServer) -> None:
    smtp_server.configure(app, MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_BASE_SECONDS=60)
    smtp_server.mailbox.reply = "451 4.3.0 Mailbox busy, try later"
    (email_id,) = queue(1)

    first = send_due(now=T0)
    assert (first.sent, first.retrying, first.failed) == (0, 1, 0)
    (row,) = outbox()
    assert row.status == "queued" and row.attempts == 1
    assert row.next_attempt_at == T0 + timedelta(seconds=60)
    assert "451" in (row.last_error or "") and "Mailbox busy" in (row.last_error or "")

    # Not due again before the backoff has passed.
    assert send_due(now=T0 + timedelta(seconds=59)).retrying == 0
    second = send_due(now=T0 + timedelta(seconds=60))
    assert second.retrying == 1
    (row,) = outbox()
    assert row.attempts == 2 and row.next_attempt_at == T0 + timedelta(seconds=60 + 120)

    third = send_due(now=T0 + timedelta(seconds=180))
    assert (third.retrying, third.failed) == (0, 1)
    (row,) = outbox()
    assert row.status == "failed" and row.attempts == 3
    # Given up: later runs leave it alone.
    assert send_due(now=T0 + timedelta(days=1)).failed == 0

    # An admin queues it again; the server has recovered.
    smtp_server.mailbox.reply = None
    assert retry_failed(email_id, now=T0 + timedelta(days=1))
    db.session.commit()
    assert retry_failed(email_id) is False  # only a failed email can be retried
    assert send_due(now=T0 + timedelta(days=1)).sent == 1
    (row,) = outbox()
    assert row.status == "sent" and row.last_error is None
    assert len(smtp_server.mailbox.messages) == 1


def test_no_server_listening_is_a_retry_not_a_crash(app: Flask) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT_SECONDS=2)
    queue(2)
    report = send_due(now=T0)
    assert (report.sent, report.retrying) == (0, 2)
    assert all("ConnectionRefusedError" in (r.last_error or "") for r in outbox())
    assert len(report.errors) == 2


def test_a_message_that_cannot_be_built_fails_at_once(app: Flask, smtp_server: SmtpServer) -> None:
    smtp_server.configure(app)
    (bad_id,) = queue(1)
    queue(1, to="fine@example.org")
    # Stored without queue_email's check (an older row, a direct insert).
    outbox(id=bad_id)[0].to = "a@example.org\nBcc: x@example.org"
    db.session.commit()
    report = send_due(now=T0)
    assert (report.sent, report.failed) == (1, 1)
    bad, good = outbox()
    assert bad.status == "failed" and "cannot build the message" in (bad.last_error or "")
    assert good.status == "sent"
    assert [e[1] for e in smtp_server.mailbox.envelopes] == [["fine@example.org"]]


def test_an_unreachable_server_is_tried_once_per_run(app: Flask) -> None:
    app.config.update(MAIL_SERVER="mail.invalid")
    calls: list[str] = []

    def connector(settings: Any) -> Any:
        calls.append(settings.server)
        raise TimeoutError("timed out")

    queue(3)
    report = send_due(now=T0, connector=connector)
    assert calls == ["mail.invalid"]  # not one timeout per email
    assert report.retrying == 3
    assert {r.last_error for r in outbox()} == {"TimeoutError: timed out"}


def test_bad_mail_port_is_a_clear_error(app: Flask) -> None:
    app.config.update(MAIL_SERVER="localhost", MAIL_PORT="smtp")
    queue(1)
    with pytest.raises(delivery.MailConfigError, match="MAIL_PORT"):
        send_due(now=T0)
    assert [r.status for r in outbox()] == ["queued"]


def test_a_claim_is_exclusive_until_its_lease_lapses(app: Flask) -> None:
    queue(3)
    token_a, rows_a = claim(T0, limit=2)
    token_b, rows_b = claim(T0, limit=10)
    assert len(rows_a) == 2 and len(rows_b) == 1
    assert not {r.id for r in rows_a} & {r.id for r in rows_b}
    assert claim(T0, limit=10)[1] == []
    # A sender that died: its claims lapse and another sender may take them.
    later = T0 + delivery.LEASE + timedelta(seconds=1)
    assert len(claim(later, limit=10)[1]) == 3


def test_two_senders_at_once_send_each_email_exactly_once(
    app: Flask, smtp_server: SmtpServer
) -> None:
    smtp_server.configure(app)
    ids = queue(24)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def sender() -> None:
        try:
            with app.app_context():
                start.wait(timeout=10)
                while send_due(now=T0, limit=3).sent:
                    pass
                db.session.remove()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    subjects = sorted(m["Subject"] for m in smtp_server.mailbox.messages)
    assert subjects == sorted(f"Subject {i}" for i in range(24))
    assert [r.status for r in outbox()] == ["sent"] * len(ids)


def test_cli_send_reports_and_exits_non_zero_on_failures(app: Flask, smtp_server: Any) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0
    assert "No MAIL_SERVER configured: 0 queued email(s) kept in the outbox" in result.output
    queue(1)
    result = runner.invoke(args=["notifications", "send", "--now", "2026-12-02T09:00"])
    assert result.exit_code == 0, result.output
    assert "No MAIL_SERVER configured: 1 queued email(s) kept in the outbox" in result.output

    smtp_server.configure(app)
    smtp_server.mailbox.reply = "554 5.7.1 Rejected"
    result = runner.invoke(args=["notifications", "send", "--now", "2026-12-02T09:00"])
    assert result.exit_code == 1
    assert "Sent 0, will retry 1" in result.output

    smtp_server.mailbox.reply = None
    result = runner.invoke(args=["notifications", "send", "--now", "2026-12-03T09:00"])
    assert result.exit_code == 0 and "Sent 1," in result.output


def test_cli_refuses_bad_now_and_bad_settings(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notifications", "send", "--now", "yesterday"])
    assert result.exit_code == 2 and "ISO 8601" in result.output
    app.config.update(MAIL_SERVER="localhost", MAIL_FROM="nobody")
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 1 and "MAIL_FROM must be an email address" in result.output


def test_smtp_login_and_a_wrong_password(app: Flask) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    from .conftest import Mailbox

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        def text(value: Any) -> str:
            return value.decode() if isinstance(value, bytes) else str(value)

        ok = isinstance(data, LoginPassword) and (text(data.login), text(data.password)) == (
            "directory",
            "s3cret",
        )
        # handled=False: the server answers 535 itself on a refusal.
        return AuthResult(success=ok, handled=False)

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,  # a test server on loopback; real servers use MAIL_USE_TLS
    )
    controller.start()
    try:
        app.config.update(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=port,
            MAIL_USERNAME="directory",
            MAIL_PASSWORD="wrong",
            MAIL_TIMEOUT_SECONDS=5,
        )
        queue(1)
        report = send_due(now=T0)
        assert report.retrying == 1
        assert "535" in (outbox()[0].last_error or "")
        app.config["MAIL_PASSWORD"] = "s3cret"
        assert send_due(now=T0 + timedelta(minutes=5)).sent == 1
        assert [m["Subject"] for m in mailbox.messages] == ["Subject 0"]
    finally:
        controller.stop()
