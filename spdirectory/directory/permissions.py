"""Who may change which listing."""

from __future__ import annotations

from typing import Any


def can_edit_organisation(user: Any, organisation_id: int | None) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == "admin":
        return True
    return (
        user.role == "provider"
        and organisation_id is not None
        and (user.organisation_id == organisation_id)
    )


def can_edit_activity(user: Any, activity: Any) -> bool:
    return can_edit_organisation(user, activity.organisation_id)
