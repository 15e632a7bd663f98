"""Shared helpers for the unmet-need tests."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from spdirectory.extensions import db
from tests.accounts.helpers import bearer, issue_token, quick_user, signed_in


@pytest.fixture
def link_worker(app: Flask) -> Any:
    user = quick_user("link_worker")
    _, token = issue_token(user)
    db.session.commit()
    user.token_headers = bearer(token)
    return user


@pytest.fixture
def worker_client(app: Flask, link_worker: Any) -> tuple[Any, str]:
    client = app.test_client()
    csrf = signed_in(client, link_worker.email)
    return client, csrf
