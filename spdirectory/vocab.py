"""The shared vocabulary (DOMAIN.md): stable codes with their English labels.

Codes are the contract with imports and the API; labels are for people and may change.
"""

from __future__ import annotations

CATEGORIES: dict[str, str] = {
    "physical_activity": "Physical activity",
    "walking": "Walking",
    "sport": "Sport",
    "dance_movement": "Dance and movement",
    "arts_crafts": "Arts and crafts",
    "music_singing": "Music and singing",
    "writing_reading": "Writing and reading",
    "green_nature": "Green and nature",
    "gardening": "Gardening",
    "food_cooking": "Food and cooking",
    "learning_skills": "Learning and skills",
    "digital_skills": "Digital skills",
    "volunteering": "Volunteering",
    "peer_support": "Peer support",
    "befriending": "Befriending",
    "social_group": "Social group",
    "mental_wellbeing": "Mental wellbeing",
    "advice_money": "Money and benefits advice",
    "advice_housing": "Housing advice",
    "employment_support": "Employment support",
    "carers_support": "Carers' support",
    "family_parenting": "Family and parenting",
    "heritage_culture": "Heritage and culture",
    "faith_community": "Faith community",
}

NEEDS: dict[str, str] = {
    "loneliness": "Loneliness",
    "low_mood": "Low mood",
    "anxiety_stress": "Anxiety and stress",
    "physical_inactivity": "Physical inactivity",
    "weight": "Weight",
    "long_term_condition": "Long-term condition",
    "bereavement": "Bereavement",
    "money_debt": "Money and debt",
    "housing": "Housing",
    "employment": "Employment",
    "carer_strain": "Carer strain",
    "confidence": "Confidence",
    "digital_exclusion": "Digital exclusion",
    "parenting": "Parenting",
    "substance_use": "Substance use",
    "memory_dementia": "Memory and dementia",
}

MODES: dict[str, str] = {"in_person": "In person", "online": "Online", "phone": "By phone"}

DAYS: dict[str, str] = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
DAY_CODES: tuple[str, ...] = tuple(DAYS)

REFERRAL_ROUTES: dict[str, str] = {
    "self": "Anyone can join or get in touch",
    "link_worker": "Takes referrals from link workers",
}

KITE_MARK: dict[str, str] = {
    "none": "Not kite-marked",
    "pending": "Kite mark pending",
    "awarded": "Kite-marked",
    "expired": "Kite mark expired",
    "suspended": "Kite mark suspended",
}

ACTIVITY_STATUS: dict[str, str] = {
    "draft": "Draft",
    "published": "Published",
    "archived": "Archived",
}

ORGANISATION_TYPES: dict[str, str] = {
    "charity": "Registered charity",
    "cio": "Charitable incorporated organisation",
    "community_group": "Community group",
    "cic": "Community interest company",
    "social_enterprise": "Social enterprise",
    "faith_group": "Faith group",
    "public_sector": "Public sector",
    "other": "Other",
}

ROLES: dict[str, str] = {
    "admin": "Administrator",
    "link_worker": "Link worker",
    "provider": "Provider",
    "panel": "Fund panel member",
    "reviewer": "Kite-mark reviewer",
}

REFERRAL_STATUS: dict[str, str] = {
    "sent": "Sent",
    "accepted": "Accepted",
    "waitlisted": "Waitlisted",
    "declined": "Declined",
    "attended": "Attended",
    "did_not_attend": "Did not attend",
    "completed": "Completed",
    "dropped_out": "Dropped out",
    "withdrawn": "Withdrawn",
}

DECLINE_REASONS: dict[str, str] = {
    "full": "No places left",
    "unsuitable": "Not suitable for this person",
    "out_of_area": "Out of area",
    "no_response_from_client": "No response from the person",
    "other": "Other",
}

UNMET_NEED_REASONS: dict[str, str] = {
    "none_exists": "Nothing like this exists",
    "full": "Everything suitable is full",
    "too_far": "Too far away",
    "wrong_times": "Wrong times",
    "cost": "Costs too much",
    "access_needs": "Access needs not met",
    "language": "Not in the person's language",
    "eligibility": "Not eligible",
}


def label(vocabulary: dict[str, str], code: str | None) -> str:
    """The label for a code, or the code itself when it is not (or no longer) known."""
    if code is None:
        return ""
    return vocabulary.get(code, code)


def choices(vocabulary: dict[str, str]) -> list[tuple[str, str]]:
    return list(vocabulary.items())
