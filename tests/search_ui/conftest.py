"""Fixtures for the search, matching and shortlist pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.accounts.helpers import IsolatedClient, quick_user, signed_in


@pytest.fixture
def isolated(app: Flask) -> Flask:
    """Every request in its own application context, as in production (see IsolatedClient):
    otherwise one client's sign-in would leak into the next request of another."""
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture
def client_as(isolated: Flask, make: Any) -> Callable[[str], tuple[FlaskClient, str]]:
    """client_as(role) -> (a client signed in as a new user with that role, its CSRF
    token). role "anonymous" gives a client that is not signed in (and an empty token)."""

    def build(role: str) -> tuple[FlaskClient, str]:
        client = isolated.test_client()
        if role == "anonymous":
            return client, ""
        person = quick_user(role, organisation=make.organisation() if role == "provider" else None)
        make.commit()
        return client, signed_in(client, person.email)

    return build
