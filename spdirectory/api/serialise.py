"""JSON shapes of our records (the fields are part of the API contract)."""

from __future__ import annotations

from typing import Any

from ..directory.models import Activity


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def activity_summary(activity: Activity, distance_km: float | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": activity.id,
        "external_id": activity.external_id,
        "title": activity.title,
        "organisation": activity.organisation.name,
        "organisation_id": activity.organisation_id,
        "categories": activity.categories,
        "needs": activity.needs,
        "modes": activity.modes,
        "postcode": activity.postcode or None,
        "latitude": activity.latitude,
        "longitude": activity.longitude,
        "spare_places": activity.spare_places,
        "waitlist": activity.waitlist_open,
        "kite_mark": activity.kite_mark,
        "capacity_updated": _iso(activity.capacity_updated_at),
        "cost_pence": activity.cost_pence,
        "free": activity.cost_pence == 0,
        "schedule": activity.schedule,
    }
    if distance_km is not None:
        data["distance_km"] = round(distance_km, 2)
    return data


def activity_detail(activity: Activity, stale_after_days: int) -> dict[str, Any]:
    data = activity_summary(activity)
    data.update(
        {
            "uuid": activity.uuid,
            "source": activity.source,
            "description": activity.description,
            "languages": activity.languages,
            "referral_routes": activity.referral_routes,
            "sessions": [
                {
                    "day": ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[s.day_index],
                    "start": s.starts.strftime("%H:%M"),
                    "end": s.ends.strftime("%H:%M"),
                }
                for s in activity.sessions
            ],
            "address": activity.address,
            "postcode_district": activity.postcode_district or None,
            "age_min": activity.age_min,
            "age_max": activity.age_max,
            "wheelchair_accessible": activity.wheelchair_accessible,
            "capacity": activity.capacity,
            "last_reviewed": _iso(activity.last_reviewed_at),
            "stale": activity.is_stale(stale_after_days),
            "status": activity.status,
            "kite_mark_valid_until": _iso(activity.kite_mark_valid_until),
            "contact": {
                "name": activity.contact_name or None,
                "email": activity.email or None,
                "phone": activity.phone or None,
                "website": activity.website or None,
            },
        }
    )
    return data
