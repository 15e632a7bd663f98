"""The test client every test uses (set on the app in tests/conftest.py)."""

from __future__ import annotations

import contextvars
from typing import Any

from flask.globals import _cv_app
from flask.testing import FlaskClient
from werkzeug.test import TestResponse


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own application context, as in
    production.

    The `app` fixture keeps an application context pushed for the whole test, and Flask
    reuses a pushed context for requests, so without this `g` (Flask-Login's cached
    `g._login_user`, the API's `g.auth_via_token`) and the database session would carry
    over from one request, or one client, to the next: a client that never signed in
    would act as whoever signed in last.
    """

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        def run() -> TestResponse:
            _cv_app.set(None)  # only inside this copied context
            return super(IsolatedClient, self).open(*args, **kwargs)

        return contextvars.copy_context().run(run)
