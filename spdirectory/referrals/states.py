"""The referral state machine (DOMAIN.md), as data: which transitions exist and who makes them.

sent → accepted | waitlisted | declined; accepted → attended | did_not_attend;
attended → completed | dropped_out; any open status → withdrawn (by the link worker).
A waitlisted referral is promoted (→ accepted) by the provider when a place frees, which the
issue asks for; no other transition exists.
"""

from __future__ import annotations

from .. import vocab
from .models import CLOSED_STATUSES, OPEN_STATUSES

PROVIDER = "provider"  # a member of the receiving organisation (or an admin)
REFERRER = "referrer"  # the referring link worker (or an admin)

# (from, to) → who may make it.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("sent", "accepted"): PROVIDER,
    ("sent", "waitlisted"): PROVIDER,
    ("sent", "declined"): PROVIDER,
    ("waitlisted", "accepted"): PROVIDER,
    ("accepted", "attended"): PROVIDER,
    ("accepted", "did_not_attend"): PROVIDER,
    ("attended", "completed"): PROVIDER,
    ("attended", "dropped_out"): PROVIDER,
    **{(status, "withdrawn"): REFERRER for status in OPEN_STATUSES},
}

# Transitions that end the provider's wait for an acknowledgement.
RESPONSES = frozenset({"accepted", "waitlisted", "declined"})

# Ways the person would like to be contacted (stored as codes, shown with these labels).
CONTACT_METHODS: dict[str, str] = {
    "phone": "Phone call",
    "text": "Text message",
    "email": "Email",
    "via_link_worker": "Through the link worker",
}

assert set(OPEN_STATUSES) | set(CLOSED_STATUSES) == set(vocab.REFERRAL_STATUS)


def next_statuses(status: str) -> list[str]:
    return [to for (frm, to) in TRANSITIONS if frm == status]


def is_legal(from_status: str, to_status: str) -> bool:
    return (from_status, to_status) in TRANSITIONS


def actor_for(from_status: str, to_status: str) -> str | None:
    return TRANSITIONS.get((from_status, to_status))
