"""Delivering the outbox over SMTP (the `notifications send` cron command).

Rows are claimed before sending: one UPDATE marks up to `limit` due rows with this sender's
token and a lease (on PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED, so two
senders running at once take different rows and never wait on each other). Each result is
written back only while the claim is still ours, and committed row by row, so a crash
resends at most the message in flight. A lapsed lease (a sender that died) frees its rows.

Failures are retried with exponential backoff; after MAIL_MAX_ATTEMPTS a row is `failed`
and stays visible at /admin/outbox, where an admin can queue it again.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select, update

from ..db_types import utcnow
from ..extensions import db
from .models import OutboxEmail

# How long a claim lasts: longer than a batch can take to send (timeouts included).
LEASE = timedelta(minutes=15)
ERROR_MAX = 1000

_TRUE = {"1", "true", "yes", "on"}


class MailConfigError(ValueError):
    """A mail setting that cannot be used (reported by the CLI, never a crash)."""


@dataclass(frozen=True)
class MailSettings:
    server: str | None
    port: int
    use_tls: bool
    use_ssl: bool
    username: str | None
    password: str | None
    sender: str
    timeout: float

    @property
    def configured(self) -> bool:
        return bool(self.server)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return bool(value)


def mail_settings(config: dict[str, Any] | None = None) -> MailSettings:
    """The MAIL_* settings, parsed (environment values arrive as strings)."""
    cfg = config if config is not None else current_app.config
    server = (cfg.get("MAIL_SERVER") or "").strip() or None
    use_ssl = _flag(cfg.get("MAIL_USE_SSL"))
    raw_port = cfg.get("MAIL_PORT") or (465 if use_ssl else 25)
    try:
        port = int(raw_port)
        if not 0 < port < 65536:
            raise ValueError
    except (TypeError, ValueError):
        raise MailConfigError(f"MAIL_PORT must be a port number, not {raw_port!r}") from None
    sender = (cfg.get("MAIL_FROM") or "").strip()
    if "@" not in sender:
        raise MailConfigError(f"MAIL_FROM must be an email address, not {sender!r}")
    return MailSettings(
        server=server,
        port=port,
        use_tls=_flag(cfg.get("MAIL_USE_TLS")),
        use_ssl=use_ssl,
        username=(cfg.get("MAIL_USERNAME") or "").strip() or None,
        password=cfg.get("MAIL_PASSWORD") or None,
        sender=sender,
        timeout=float(cfg.get("MAIL_TIMEOUT_SECONDS") or 20),
    )


def retry_delay(attempts: int, config: dict[str, Any] | None = None) -> timedelta:
    """Wait before attempt attempts+1: base, 2×base, 4×base … capped."""
    cfg = config if config is not None else current_app.config
    base = int(cfg.get("MAIL_RETRY_BASE_SECONDS", 60))
    cap = int(cfg.get("MAIL_RETRY_MAX_SECONDS", 6 * 3600))
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    # Due rows left alone because no mail server is configured (the outbox is the record).
    outbox_only: int = 0
    errors: list[str] = field(default_factory=list)
    mail_configured: bool = True

    def summary(self) -> str:
        if not self.mail_configured:
            return (
                f"No MAIL_SERVER configured: {self.outbox_only} queued email(s) kept in the "
                "outbox (see /admin/outbox)."
            )
        return f"Sent {self.sent}, will retry {self.retrying}, failed for good {self.failed}."


def due_count(now: datetime) -> int:
    return int(
        db.session.scalar(
            select(func.count(OutboxEmail.id)).where(
                OutboxEmail.status == "queued", OutboxEmail.next_attempt_at <= now
            )
        )
        or 0
    )


def claim(now: datetime, limit: int) -> tuple[str, list[OutboxEmail]]:
    """Mark up to `limit` due rows as ours (committed) and return them, oldest first."""
    token = uuid.uuid4().hex
    free = or_(OutboxEmail.claimed_until.is_(None), OutboxEmail.claimed_until < now)
    due = (
        select(OutboxEmail.id)
        .where(OutboxEmail.status == "queued", OutboxEmail.next_attempt_at <= now, free)
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(limit)
    )
    target: Any
    if db.session.get_bind().dialect.name == "postgresql":
        # Lock the chosen rows first, skipping those another sender holds (it never waits).
        # Not one UPDATE … IN (SELECT … LIMIT … FOR UPDATE): PostgreSQL may re-run such a
        # subquery per row and claim more than the limit.
        target = list(db.session.scalars(due.with_for_update(skip_locked=True)))
    else:
        # SQLite: one statement, run under its single write lock (a separate SELECT first
        # could fail to upgrade to a write in WAL mode when another sender committed).
        target = due.scalar_subquery()
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id.in_(target), OutboxEmail.status == "queued", free)
        .values(claimed_by=token, claimed_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    rows = list(
        db.session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.claimed_by == token)
            .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
            .execution_options(populate_existing=True)
        )
    )
    return token, rows


def build_message(row: OutboxEmail, settings: MailSettings, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = row.to
    message["Subject"] = row.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(
        idstring=f"outbox{row.id}", domain=settings.sender.rpartition("@")[2] or None
    )
    # Tells auto-responders not to answer a machine (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.body)
    return message


def connect(settings: MailSettings) -> smtplib.SMTP:
    assert settings.server
    smtp: smtplib.SMTP
    if settings.use_ssl:
        smtp = smtplib.SMTP_SSL(
            settings.server,
            settings.port,
            timeout=settings.timeout,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
    try:
        if settings.use_tls and not settings.use_ssl:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password or "")
    except BaseException:
        smtp.close()  # a refused login or TLS must not leave the socket open
        raise
    return smtp


def _finish(row_id: int, token: str, **values: Any) -> bool:
    """Write a result only while the claim is still ours; one commit per message."""
    result = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == row_id, OutboxEmail.claimed_by == token)
        .values(claimed_by=None, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount)


def _record_failure(
    row: OutboxEmail, token: str, error: str, now: datetime, report: SendReport
) -> None:
    attempts = row.attempts + 1
    give_up = attempts >= int(current_app.config.get("MAIL_MAX_ATTEMPTS", 6))
    values: dict[str, Any] = {"attempts": attempts, "last_error": error[:ERROR_MAX]}
    if give_up:
        values["status"] = "failed"
    else:
        values["next_attempt_at"] = now + retry_delay(attempts)
    if _finish(row.id, token, **values):
        if give_up:
            report.failed += 1
        else:
            report.retrying += 1
    report.errors.append(f"email {row.id} to {row.to}: {error}")


def send_due(
    now: datetime | None = None,
    limit: int = 200,
    connector: Callable[[MailSettings], smtplib.SMTP] = connect,
) -> SendReport:
    """Deliver due queued emails (up to `limit`). Without MAIL_SERVER nothing is sent."""
    now = now or utcnow()
    settings = mail_settings()
    report = SendReport()
    if not settings.configured:
        report.mail_configured = False
        report.outbox_only = due_count(now)
        return report
    token, rows = claim(now, limit)
    smtp: smtplib.SMTP | None = None
    unreachable: str | None = None
    try:
        for row in rows:
            if unreachable:
                # The server could not be reached: the rest of the batch shares that failed
                # attempt rather than each waiting out its own connection timeout.
                _record_failure(row, token, unreachable, now, report)
                continue
            try:
                message = build_message(row, settings, now)
            except ValueError as exc:
                # A message that cannot be built never will be: fail it now, not N times.
                _finish(
                    row.id,
                    token,
                    status="failed",
                    attempts=row.attempts + 1,
                    last_error=f"cannot build the message: {exc}"[:ERROR_MAX],
                )
                report.failed += 1
                report.errors.append(f"email {row.id}: cannot build the message: {exc}")
                continue
            if smtp is None:
                try:
                    smtp = connector(settings)
                except (smtplib.SMTPException, OSError) as exc:
                    unreachable = _describe(exc)
                    _record_failure(row, token, unreachable, now, report)
                    continue
            try:
                smtp.send_message(message, settings.sender, [row.to])
            except (smtplib.SMTPException, OSError) as exc:
                _record_failure(row, token, _describe(exc), now, report)
                # A refused recipient leaves the session usable; anything else: reconnect.
                if not isinstance(exc, smtplib.SMTPRecipientsRefused) and smtp is not None:
                    _close(smtp)
                    smtp = None
                continue
            if _finish(
                row.id,
                token,
                status="sent",
                sent_at=now,
                attempts=row.attempts + 1,
                last_error=None,
            ):
                report.sent += 1
    finally:
        if smtp is not None:
            _close(smtp)
    return report


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error
        text = detail.decode(errors="replace") if isinstance(detail, bytes) else str(detail)
        return f"SMTP {exc.smtp_code}: {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "recipient refused: " + "; ".join(
            f"{addr} ({code})" for addr, (code, _) in exc.recipients.items()
        )
    return f"{type(exc).__name__}: {exc}"


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def retry_failed(email_id: int, now: datetime | None = None) -> bool:
    """Queue a failed email again with fresh attempts (admin action). False if not failed."""
    now = now or utcnow()
    result = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == email_id, OutboxEmail.status == "failed")
        .values(
            status="queued", attempts=0, next_attempt_at=now, claimed_by=None, claimed_until=None
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)
