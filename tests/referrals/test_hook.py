"""The notification hook: every event reaches registered listeners, without contact details."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from spdirectory.referrals import services

from .conftest import World, api_status, refer


@pytest.fixture
def heard() -> Iterator[list[tuple[int, str | None, str]]]:
    seen: list[tuple[int, str | None, str]] = []

    def listener(referral: Any, event: Any) -> None:
        assert event.id is not None and event.referral_id == referral.id  # flushed
        seen.append((referral.id, event.from_status, event.to_status))

    services.on_referral_event(listener)
    services.on_referral_event(listener)  # twice: still called once
    yield seen
    services._listeners.remove(listener)


def test_every_event_reaches_listeners(client: FlaskClient, world: World, heard: list[Any]) -> None:
    referral = refer(world)
    assert api_status(client, world, "provider", referral.id, "accepted").status_code == 200
    assert api_status(client, world, "provider", referral.id, "completed").status_code == 409
    assert heard == [(referral.id, None, "sent"), (referral.id, "sent", "accepted")]
