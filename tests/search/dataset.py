"""The conformance suite's fixed data set: 26 activities (24 published) in Leeds, Bradford and
Manchester, with words placed deliberately so each text case has one right answer.

Where words are (the cases in test_backends.py rely on this):
- "culture" is only in the category label "Heritage and culture" (mcr_walk);
- "strain" is only in the need label "Carer strain" (memory_cafe);
- "ramblers" is only in an organisation name (hyde_walk, nordic; the draft too);
- "towpath" is only in the canal walk's title and description;
- "choir" is in choir's title, never in breath's (found by the choir↔singing synonyms);
- "allotment" is only in the allotment group (seed is found through allotment↔gardening);
- "companionship" is only in visits (phone_befriend is found through befriending synonyms);
- "woodwork" is only in woodwork (shed is found through men's shed↔woodwork);
- the online course (mindfulness) has no postcode, so no location and no distance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from spdirectory import vocab
from spdirectory.db_types import utcnow
from spdirectory.directory.listing import apply_listing, parse_listing
from spdirectory.directory.models import Activity, Organisation
from spdirectory.extensions import db

ORGANISATIONS = {
    "armley": "Armley Singers",
    "ramblers": "Headingley Ramblers",
    "advice": "Leeds Money Advice Network",
    "canal": "Bradford Canal Friends",
    "growing": "Bradford Growing Project",
    "heritage": "Manchester Heritage Guides",
    "shed": "Ancoats Men's Shed",
    "neighbours": "Harehills Good Neighbours",
    "wellbeing": "Kirkstall Wellbeing Trust",
    "library": "Leeds Central Library Friends",
    "volunteers": "Manchester Volunteer Centre",
}


@dataclass(frozen=True)
class Spec:
    key: str
    org: str
    updated_days_ago: int  # all different, so sort=updated has one right order
    fields: dict[str, str]
    status: str = "published"


def _spec(key: str, org: str, days: int, status: str = "published", **fields: str) -> Spec:
    return Spec(key, org, days, fields, status)


SPECS: list[Spec] = [
    _spec("choir", "armley", 3,
          title="Armley Community Choir",
          description="No auditions and no need to read music: we sing pop and folk songs "
          "together.",
          categories="music_singing;social_group", needs="loneliness;low_mood",
          postcode="LS12 3AA", schedule="Wed 19:00-21:00", cost="2.00",
          capacity="40", spare_places="5", kite_mark="awarded"),
    _spec("breath", "armley", 10,
          title="Singing for Better Breathing",
          description="Songs and breathing exercises for people living with COPD or asthma.",
          categories="music_singing", needs="long_term_condition",
          postcode="LS1 1BA", schedule="Mon 14:00-15:00", cost="free",
          capacity="12", spare_places="0", waitlist="yes", kite_mark="pending"),
    _spec("hyde_walk", "ramblers", 1,
          title="Hyde Park Health Walk",
          description="A gentle led walk around Woodhouse Moor, finishing with a cuppa.",
          categories="walking;physical_activity", needs="physical_inactivity;loneliness",
          postcode="LS6 1AA", schedule="Tue 10:00-11:00", cost="free",
          capacity="30", spare_places="12", kite_mark="awarded"),
    _spec("nordic", "ramblers", 40,
          title="Nordic Walking for Beginners",
          description="Poles are provided and the technique is taught from scratch.",
          categories="walking", needs="physical_inactivity;weight",
          postcode="LS6 3AA", schedule="Sat 09:00-10:30", cost="3.00",
          capacity="10", spare_places="0", waitlist="no", kite_mark="none"),
    _spec("canal", "canal", 5,
          title="Canal Towpath Stroll",
          description="An easy pace along the towpath, with benches on the way.",
          categories="walking;green_nature", needs="loneliness",
          postcode="BD1 1AF", schedule="Sun 11:00-12:00", cost="free",
          capacity="20", spare_places="4", kite_mark="none"),
    _spec("mcr_walk", "heritage", 2,
          title="City Centre History Walk",
          description="Discover the city's past on foot with a volunteer guide.",
          categories="walking;heritage_culture", needs="loneliness",
          postcode="M1 1AE", schedule="Thu 13:00-14:30", cost="free",
          capacity="15", spare_places="6", kite_mark="awarded"),
    _spec("debt", "advice", 4,
          title="Debt Advice Appointments",
          description="Confidential help with debts, budgeting and creditors from accredited "
          "advisers.",
          categories="advice_money", needs="money_debt;anxiety_stress",
          postcode="LS1 4AP", schedule="", modes="in_person;phone", cost="free",
          capacity="20", spare_places="8", kite_mark="awarded"),
    _spec("benefits", "advice", 6,
          title="Benefits Check by Phone",
          description="We make sure you get every benefit you are entitled to.",
          categories="advice_money", needs="money_debt",
          postcode="LS2 9JT", schedule="Mon 09:00-12:00", modes="phone", cost="free",
          capacity="10", spare_places="2", kite_mark="awarded"),
    _spec("tenancy", "advice", 20,
          title="Tenancy Support",
          description="Help with rent arrears, repairs and eviction notices.",
          categories="advice_housing", needs="housing;money_debt",
          postcode="LS9 6AA", schedule="Thu 10:00-12:00", cost="free",
          capacity="8", spare_places="0", waitlist="no", kite_mark="awarded"),
    _spec("allotment", "growing", 8,
          title="Allotment Wellbeing Group",
          description="Grow vegetables on a shared plot; tools and gloves provided.",
          categories="gardening;green_nature", needs="low_mood;physical_inactivity",
          postcode="BD1 1AG", schedule="Wed 10:00-12:00", cost="free",
          capacity="15", spare_places="7", kite_mark="pending"),
    _spec("seed", "growing", 12,
          title="Seed to Plate",
          description="Raised beds, seed sowing and a harvest feast for everyone who helped.",
          categories="gardening;food_cooking", needs="low_mood;loneliness",
          postcode="BD1 1HY", schedule="Fri 10:00-13:00", cost="1.50",
          capacity="12", spare_places="3", kite_mark="pending"),
    _spec("shed", "shed", 15,
          title="Shed Sessions",
          description="A workshop where people make, mend and chat over a brew.",
          categories="learning_skills;social_group", needs="loneliness;confidence",
          postcode="M1 1AD", schedule="Tue 10:00-13:00; Thu 10:00-13:00", cost="free",
          capacity="16", spare_places="9", kite_mark="none"),
    _spec("woodwork", "wellbeing", 9,
          title="Woodwork and Repair Café",
          description="Bring something broken and learn to fix it with experienced "
          "volunteers.",
          categories="learning_skills", needs="confidence",
          postcode="LS12 1AA", schedule="Fri 13:00-15:00", cost="2.50",
          capacity="10", spare_places="4", kite_mark="awarded"),
    _spec("phone_befriend", "neighbours", 13,
          title="Telephone Befriending",
          description="A trained volunteer calls you each week for a chat.",
          categories="befriending", needs="loneliness;bereavement",
          postcode="LS9 6AA", schedule="", modes="phone", cost="free",
          capacity="30", spare_places="15", kite_mark="awarded"),
    _spec("visits", "neighbours", 30,
          title="Friendly Home Visits",
          description="Companionship at home for older people who rarely get out.",
          categories="befriending", needs="loneliness",
          postcode="LS17 5AA", schedule="", cost="free",
          capacity="10", spare_places="0", waitlist="yes", kite_mark="awarded"),
    _spec("memory_cafe", "wellbeing", 16,
          title="Memory Café",
          description="A welcoming café for people living with dementia and the people who "
          "care for them.",
          categories="social_group;carers_support", needs="memory_dementia;carer_strain",
          postcode="LS6 3AA", schedule="Thu 14:00-16:00", cost="free",
          capacity="25", spare_places="10", kite_mark="awarded"),
    _spec("chair_yoga", "wellbeing", 7,
          title="Chair Yoga",
          description="Gentle seated stretches to keep joints moving.",
          categories="dance_movement;physical_activity",
          needs="physical_inactivity;long_term_condition",
          postcode="LS12 3AA", schedule="Mon 10:00-11:00", cost="3.00",
          capacity="12", spare_places="6", kite_mark="none"),
    _spec("tai_chi", "wellbeing", 25,
          title="Tai Chi in the Park",
          description="Slow, flowing movements for balance and calm.",
          categories="dance_movement", needs="physical_inactivity;anxiety_stress",
          postcode="LS28 5AA", schedule="Sat 10:00-11:00", cost="4.00",
          capacity="15", spare_places="2", kite_mark="none"),
    _spec("digital", "library", 0,
          title="Digital Drop-in",
          description="Help with phones, tablets and getting online.",
          categories="digital_skills", needs="digital_exclusion;confidence",
          postcode="LS1 1AZ", schedule="Tue 14:00-16:00", cost="free",
          capacity="8", spare_places="5", kite_mark="awarded"),
    _spec("mindfulness", "wellbeing", 14,
          title="Mindfulness for Stress",
          description="A six-week course by video call, in small groups.",
          categories="mental_wellbeing", needs="anxiety_stress;low_mood",
          postcode="", modes="online", schedule="Wed 18:00-19:30", cost="free",
          capacity="20", spare_places="3", kite_mark="awarded"),
    _spec("lunch", "neighbours", 17,
          title="Community Lunch Club",
          description="A hot meal and good company every Friday.",
          categories="food_cooking;social_group", needs="loneliness;money_debt",
          postcode="LS9 6AA", schedule="Fri 12:00-13:30", cost="3.50",
          capacity="30", spare_places="0", waitlist="yes", kite_mark="awarded"),
    _spec("brain", "wellbeing", 11,
          title="Singing for the Brain",
          description="Songs and memories for people living with dementia and their carers.",
          categories="music_singing;social_group", needs="memory_dementia;loneliness",
          postcode="LS1 1AZ", schedule="Thu 10:30-12:00", cost="free",
          capacity="20", spare_places="4", kite_mark="pending"),
    _spec("jobs", "volunteers", 18,
          title="Job Club",
          description="CV help, job searching and interview practice.",
          categories="employment_support", needs="employment;confidence",
          postcode="M1 1AE", schedule="Mon 10:00-12:00", cost="",
          capacity="12", spare_places="8", kite_mark="expired"),
    _spec("football", "wellbeing", 60,
          title="Walking Football",
          description="Football at a gentle pace for the over 50s.",
          categories="sport;physical_activity", needs="physical_inactivity;weight",
          postcode="LS12 1AA", schedule="Wed 18:00-19:00", cost="3.00",
          capacity="20", spare_places="11", kite_mark="suspended"),
    _spec("draft", "ramblers", 21, status="draft",
          title="Moonlight Ramble Walking Group",
          description="A walk under the full moon around Woodhouse Moor.",
          categories="walking", needs="loneliness",
          postcode="LS6 1AA", schedule="Fri 20:00-21:30", cost="free",
          capacity="20", spare_places="20", kite_mark="awarded"),
    _spec("archived", "armley", 22, status="archived",
          title="Christmas Carol Singing Choir",
          description="Carols round the tree: we sing every December.",
          categories="music_singing", needs="loneliness",
          postcode="LS12 3AA", schedule="Sat 15:00-16:00", cost="free",
          capacity="50", spare_places="30", kite_mark="awarded"),
]  # fmt: skip

PUBLISHED_KEYS = frozenset(s.key for s in SPECS if s.status == "published")


@dataclass
class Row:
    """What the plain-Python reference model knows of one activity (read back from the
    database after the listing was parsed, so it is exactly what was stored)."""

    key: str
    id: int
    organisation_id: int
    status: str
    categories: list[str]
    needs: list[str]
    modes: list[str]
    days: list[str]
    kite_mark: str
    spare_places: int
    waitlist_open: bool
    cost_pence: int | None
    latitude: float | None
    longitude: float | None
    capacity_updated_at: datetime


@dataclass
class DataSet:
    organisations: dict[str, Organisation]
    activities: dict[str, Activity]
    rows: dict[str, Row] = field(default_factory=dict)

    # Ids are read from the rows, which outlive the ORM objects (a deleted one included).
    def id(self, key: str) -> int:
        return self.rows[key].id

    def ids(self, *keys: str) -> set[int]:
        return {self.id(k) for k in keys}

    def key(self, activity_id: int) -> str:
        by_id = {r.id: k for k, r in self.rows.items()}
        return by_id.get(activity_id, f"<unknown id {activity_id}>")

    def keys(self, activity_ids: Any) -> set[str]:
        return {self.key(i) for i in activity_ids}

    def published(self) -> list[Row]:
        return [r for r in self.rows.values() if r.status == "published"]


def build() -> DataSet:
    """Create the organisations and activities in one flush (not committed): listings are
    parsed and applied as tests/factories.py does, but flushing once instead of 37 times
    keeps the per-test setup short on PostgreSQL."""
    organisations = {key: Organisation(name=name) for key, name in ORGANISATIONS.items()}
    db.session.add_all(organisations.values())
    activities = {}
    for spec in SPECS:
        raw = {"capacity": "10", "spare_places": "0", **spec.fields}
        activity = Activity(organisation=organisations[spec.org], status=spec.status)
        apply_listing(activity, parse_listing(raw))
        activity.capacity_updated_at = utcnow() - timedelta(days=spec.updated_days_ago)
        activities[spec.key] = activity
    db.session.add_all(activities.values())
    db.session.flush()
    data = DataSet(organisations, activities)
    for key, a in activities.items():
        data.rows[key] = Row(
            key=key,
            id=a.id,
            organisation_id=a.organisation_id,
            status=a.status,
            categories=list(a.categories),
            needs=list(a.needs),
            modes=list(a.modes),
            days=sorted({vocab.DAY_CODES[s.day_index] for s in a.sessions}),
            kite_mark=a.kite_mark,
            spare_places=a.spare_places,
            waitlist_open=a.waitlist_open,
            cost_pence=a.cost_pence,
            latitude=a.latitude,
            longitude=a.longitude,
            capacity_updated_at=a.capacity_updated_at,
        )
    return data


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance, computed here independently of the code under test."""
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def reference_filter(rows: list[Row], query: Any) -> list[Row]:
    """The SearchQuery filters, in plain Python: the definition the backends must meet."""

    def keep(r: Row) -> bool:
        if query.categories and not set(query.categories) & set(r.categories):
            return False
        if query.needs and not set(query.needs) & set(r.needs):
            return False
        if query.mode and query.mode not in r.modes:
            return False
        if query.day and query.day not in r.days:
            return False
        if query.kite_mark and r.kite_mark != query.kite_mark:
            return False
        if query.available and not (r.spare_places > 0 or r.waitlist_open):
            return False
        if query.free and r.cost_pence != 0:
            return False
        if query.organisation_id and r.organisation_id != query.organisation_id:
            return False
        if query.near and query.within_km is not None:
            if r.latitude is None or r.longitude is None:
                return False
            d = haversine_km(query.near[0], query.near[1], r.latitude, r.longitude)
            if d > query.within_km:
                return False
        return True

    return [r for r in rows if keep(r)]


def reference_facets(rows: list[Row]) -> dict[str, dict[str, int]]:
    """Facet counts over a result set, leaving out zero counts."""
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        for facet, codes in (
            ("category", r.categories),
            ("need", r.needs),
            ("mode", r.modes),
            ("day", r.days),
            ("kite_mark", [r.kite_mark]),
        ):
            for code in codes:
                counts.setdefault(facet, {}).setdefault(code, 0)
                counts[facet][code] += 1
    return counts
