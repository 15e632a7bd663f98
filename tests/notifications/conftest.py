"""A real SMTP server per test (aiosmtpd on a free local port), a refusing one, and helpers."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from spdirectory.extensions import db
from spdirectory.notifications.models import OutboxEmail


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mailbox:
    """What the server received, or how it answers (reply None = accept)."""

    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    reply: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply:
            return self.reply
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox

    def configure(self, app: Flask, **extra: Any) -> None:
        app.config.update(
            MAIL_SERVER=self.host,
            MAIL_PORT=str(self.port),  # as the environment gives it
            MAIL_FROM="directory@example.org",
            MAIL_TIMEOUT_SECONDS=5,
            **extra,
        )


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, mailbox)
    finally:
        controller.stop()


def outbox(**where: Any) -> list[OutboxEmail]:
    db.session.expire_all()
    stmt = select(OutboxEmail).order_by(OutboxEmail.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(OutboxEmail, name) == value)
    return list(db.session.scalars(stmt))


# The referral tests' small world (an activity, its provider, link workers, an admin).
from tests.referrals.conftest import world  # noqa: E402, F401
