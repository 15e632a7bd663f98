"""A seeded generator of realistic activity listings in the CSV import template's shape.

Rows are dicts keyed by the template's column names with values exactly as a CSV cell holds
them, so they can be written out with `write_csv` or fed straight to the importer. They are
valid by construction (every row passes `parse_listing`), and the same seed always gives the
same rows for the same `today`.

Postcodes are real (drawn from the offline Code-Point Open data); phone numbers are in
Ofcom's ranges reserved for drama (e.g. 0113 496 0000-0999) and email addresses and web sites
use example.org, so nothing generated can reach a real person.
"""

from __future__ import annotations

import csv
import os
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from ..directory.importer import TEMPLATE_COLUMNS
from ..geo import postcodes_in

DEFAULT_PREFIXES = ["LS"]
ENGLAND_PREFIXES = [
    "LS", "M", "B", "BS", "NE", "S", "L", "NG", "LE", "SO",
    "PL", "CB", "OX", "YO", "E", "N", "SE", "SW", "W", "NW",
]  # fmt: skip

# Districts with fewer live postcodes than this are PO boxes and large single users
# (LS98, B99, E98…): nobody runs a walking group there.
_MIN_DISTRICT_POSTCODES = 60

# --------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------

# Leeds districts and the neighbourhoods people would name an organisation after.
LEEDS_DISTRICTS: dict[str, tuple[str, ...]] = {
    "LS1": ("Leeds City Centre",),
    "LS2": ("Woodhouse", "Little London"),
    "LS3": ("Burley", "Woodhouse"),
    "LS4": ("Burley", "Kirkstall"),
    "LS5": ("Kirkstall", "Hawksworth"),
    "LS6": ("Headingley", "Hyde Park", "Meanwood"),
    "LS7": ("Chapeltown", "Chapel Allerton", "Potternewton", "Scott Hall"),
    "LS8": ("Harehills", "Roundhay", "Gledhow", "Oakwood"),
    "LS9": ("Burmantofts", "Richmond Hill", "Osmondthorpe", "Gipton", "Lincoln Green"),
    "LS10": ("Hunslet", "Belle Isle", "Middleton"),
    "LS11": ("Beeston", "Holbeck", "Cottingley"),
    "LS12": ("Armley", "Wortley", "New Farnley"),
    "LS13": ("Bramley", "Rodley", "Swinnow"),
    "LS14": ("Seacroft", "Whinmoor"),
    "LS15": ("Cross Gates", "Halton", "Whitkirk", "Swarcliffe"),
    "LS16": ("Adel", "Cookridge", "Holt Park", "Bramhope"),
    "LS17": ("Moortown", "Alwoodley", "Shadwell"),
    "LS18": ("Horsforth",),
    "LS19": ("Yeadon", "Rawdon"),
    "LS20": ("Guiseley",),
    "LS21": ("Otley", "Pool-in-Wharfedale"),
    "LS22": ("Wetherby", "Collingham"),
    "LS23": ("Boston Spa", "Bramham"),
    "LS24": ("Tadcaster",),
    "LS25": ("Garforth", "Kippax"),
    "LS26": ("Rothwell", "Oulton", "Woodlesford"),
    "LS27": ("Morley", "Gildersome", "Churwell"),
    "LS28": ("Pudsey", "Farsley", "Stanningley"),
    "LS29": ("Ilkley", "Menston", "Burley-in-Wharfedale"),
}
LEEDS_PARKS: dict[str, str] = {
    "Roundhay": "Roundhay Park",
    "Chapeltown": "Potternewton Park",
    "Potternewton": "Potternewton Park",
    "Beeston": "Cross Flatts Park",
    "Middleton": "Middleton Park",
    "Belle Isle": "Middleton Park",
    "Kirkstall": "Kirkstall Abbey",
    "Meanwood": "Meanwood Park",
    "Woodhouse": "Woodhouse Moor",
    "Hyde Park": "Woodhouse Moor",
    "Headingley": "Woodhouse Moor",
    "Cross Gates": "Temple Newsam",
    "Halton": "Temple Newsam",
    "Whitkirk": "Temple Newsam",
    "Adel": "Golden Acre Park",
    "Bramhope": "Golden Acre Park",
    "Bramley": "Bramley Fall Woods",
    "Rodley": "the Leeds and Liverpool Canal towpath",
    "Hunslet": "Hunslet Moor",
    "Horsforth": "Hall Park",
    "Pudsey": "Pudsey Park",
    "Armley": "Armley Park",
    "Gledhow": "Gledhow Valley Woods",
    "Otley": "Wharfemeadows Park",
}

# Town and a few neighbourhoods for each postcode area the England-wide bench uses.
AREA_PLACES: dict[str, tuple[str, tuple[str, ...]]] = {
    "LS": ("Leeds", ()),
    "M": ("Manchester", ("Moss Side", "Levenshulme", "Ancoats", "Chorlton", "Wythenshawe",
                         "Cheetham Hill", "Gorton", "Longsight", "Hulme", "Harpurhey")),
    "B": ("Birmingham", ("Handsworth", "Sparkbrook", "Small Heath", "Erdington", "Kings Heath",
                         "Selly Oak", "Moseley", "Aston", "Balsall Heath", "Northfield")),
    "BS": ("Bristol", ("Easton", "Bedminster", "Southmead", "Knowle West", "St Pauls",
                       "Hartcliffe", "Lawrence Hill", "Fishponds", "Lockleaze", "Totterdown")),
    "NE": ("Newcastle", ("Byker", "Walker", "Elswick", "Benwell", "Heaton", "Gosforth",
                         "Fenham", "Kenton", "Wallsend", "Scotswood")),
    "S": ("Sheffield", ("Darnall", "Burngreave", "Pitsmoor", "Firth Park", "Hillsborough",
                        "Heeley", "Sharrow", "Gleadless", "Parson Cross", "Crookes")),
    "L": ("Liverpool", ("Anfield", "Everton", "Toxteth", "Kensington", "Walton", "Speke",
                        "Garston", "Norris Green", "Wavertree", "Dingle")),
    "NG": ("Nottingham", ("Sneinton", "Radford", "Hyson Green", "Bulwell", "Clifton",
                          "St Ann's", "The Meadows", "Basford", "Arnold", "Bestwood")),
    "LE": ("Leicester", ("Highfields", "Belgrave", "Braunstone", "Beaumont Leys", "Evington",
                         "Rushey Mead", "Aylestone", "Saffron", "New Parks", "Humberstone")),
    "SO": ("Southampton", ("Shirley", "Portswood", "Bitterne", "Woolston", "Sholing",
                           "Millbrook", "Thornhill", "Bevois Valley", "Weston", "Lordshill")),
    "PL": ("Plymouth", ("Devonport", "Stonehouse", "Keyham", "Efford", "Plympton",
                        "Plymstock", "Whitleigh", "Honicknowle", "Mutley", "Ernesettle")),
    "CB": ("Cambridge", ("Arbury", "Chesterton", "Cherry Hinton", "Romsey", "Trumpington",
                         "King's Hedges", "Abbey", "Histon", "Petersfield", "Coleridge")),
    "OX": ("Oxford", ("Blackbird Leys", "Cowley", "Rose Hill", "Barton", "Jericho",
                      "Headington", "Littlemore", "Wood Farm", "Marston", "Botley")),
    "YO": ("York", ("Tang Hall", "Acomb", "Clifton", "Heworth", "Huntington", "Foxwood",
                    "Chapelfields", "Westfield", "Holgate", "Fulford")),
    "E": ("London", ("Stepney", "Poplar", "Bow", "Stratford", "Leyton", "Walthamstow",
                     "Plaistow", "East Ham", "Canning Town", "Bethnal Green")),
    "N": ("London", ("Tottenham", "Edmonton", "Finsbury Park", "Holloway", "Wood Green",
                     "Archway", "Stoke Newington", "Hornsey", "Highbury", "Enfield Town")),
    "SE": ("London", ("Peckham", "Lewisham", "Deptford", "Woolwich", "Thamesmead",
                      "Camberwell", "Catford", "Bermondsey", "Eltham", "Walworth")),
    "SW": ("London", ("Brixton", "Stockwell", "Battersea", "Tooting", "Clapham", "Wandsworth",
                      "Streatham", "Vauxhall", "Putney", "Balham")),
    "W": ("London", ("Shepherd's Bush", "Acton", "Hammersmith", "Notting Dale", "Ealing",
                     "Chiswick", "Kensal Town", "White City", "Hanwell", "Westbourne Park")),
    "NW": ("London", ("Kilburn", "Kentish Town", "Harlesden", "Camden Town", "Willesden",
                      "Cricklewood", "Gospel Oak", "Neasden", "Hendon", "Colindale")),
}  # fmt: skip
GENERIC_PLACES = (
    "Northside", "Parkside", "Westfield", "Brookside", "Hillside", "Riverside", "Greenhill",
    "Moorside", "Oakfield", "Southfields", "Eastbrook", "Highfield",
)  # fmt: skip

# Ofcom keeps these number ranges for drama: they are never given to a real line.
_DRAMA_PHONES: dict[str, tuple[str, int]] = {
    "LS": ("0113 496 {:04d}", 1000),
    "S": ("0114 496 {:04d}", 1000),
    "NG": ("0115 496 {:04d}", 1000),
    "LE": ("0116 496 {:04d}", 1000),
    "BS": ("0117 496 {:04d}", 1000),
    "B": ("0121 496 {:04d}", 1000),
    "L": ("0151 496 {:04d}", 1000),
    "M": ("0161 496 {:04d}", 1000),
    "NE": ("0191 498 {:04d}", 1000),
    "E": ("020 7946 {:04d}", 1000),
    "N": ("020 7946 {:04d}", 1000),
    "SE": ("020 7946 {:04d}", 1000),
    "SW": ("020 7946 {:04d}", 1000),
    "W": ("020 7946 {:04d}", 1000),
    "NW": ("020 7946 {:04d}", 1000),
}
_DRAMA_OTHER = ("01632 960 {:03d}", 1000)
_DRAMA_MOBILE = ("07700 900 {:03d}", 1000)

STREETS = (
    "Church Lane", "Town Street", "Station Road", "Chapel Street", "Victoria Road",
    "Park Avenue", "High Street", "Back Lane", "Mill Lane", "School Street", "Queen Street",
    "Green Road", "Moor Road", "Albert Terrace", "Springfield Road", "Westfield Road",
    "Cemetery Road", "Oak Road", "Market Place", "Hall Lane",
)  # fmt: skip
SAINTS = (
    "Mary", "John", "Peter", "Paul", "Michael", "Andrew", "Luke", "Matthew", "Margaret",
    "Chad", "Aidan", "George", "Bartholomew", "James", "Stephen", "Hilda", "Wilfrid",
)  # fmt: skip
FIRST_NAMES = (
    "Sam", "Alex", "Jo", "Priya", "Mohammed", "Aisha", "Tom", "Sarah", "Kwame", "Agnieszka",
    "Liam", "Fatima", "Grace", "Hamza", "Chloe", "Daniel", "Emma", "Imran", "Jasmine", "Kate",
    "Marek", "Nadia", "Oliver", "Precious", "Rachel", "Ravi", "Sean", "Tariq", "Uzma", "Wendy",
    "Yusuf", "Zainab", "Bernadette", "Colin", "Dave", "Elaine", "Gurpreet", "Harjit", "Ian",
    "Joan", "Keith", "Linda", "Maureen", "Nasreen", "Pauline", "Shabana", "Trevor", "Abdi",
    "Hodan", "Ahmed", "Bev", "Carol", "Dionne", "Femi", "Gill", "Hannah", "Ifeoma", "Jan",
)  # fmt: skip
SURNAMES = (
    "Smith", "Khan", "Patel", "Brown", "Hussain", "Wilson", "Kowalski", "Begum", "Taylor",
    "Ali", "Walker", "Singh", "Okafor", "Robinson", "Wright", "Thompson", "Ahmed", "Mensah",
    "Nowak", "Clarke", "Hall", "Green", "Mahmood", "Bashir", "Kaur", "Wood", "Jackson",
    "Evans", "Farah", "Lewis", "Shaw", "Hughes", "Dobson", "Holroyd", "Sutcliffe", "Akhtar",
    "Campbell", "O'Neill", "Murphy", "Adeyemi",
)  # fmt: skip
LANGUAGE_NAMES = {
    "pl": "Polish",
    "ur": "Urdu",
    "pa": "Punjabi",
    "bn": "Bengali",
    "so": "Somali",
    "ar": "Arabic",
}
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_CODES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# --------------------------------------------------------------------------------------
# Kinds of activity
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One kind of activity: how its listings are titled, described and run."""

    titles: tuple[str, ...]
    categories: tuple[str, ...]  # always given
    needs: tuple[str, ...]  # the first is always given, then one to three of the rest
    intro: tuple[str, ...]
    detail: tuple[str, ...]
    extra_categories: tuple[str, ...] = ()  # each given now and then
    times: tuple[tuple[str, int], ...] = (("morning", 3), ("afternoon", 2), ("evening", 2))
    modes: tuple[tuple[str, int], ...] = (("in_person", 1),)
    free: float = 0.75  # chance that it costs nothing
    ages: tuple[tuple[tuple[str, str], int], ...] = ((("", ""), 6), (("18", ""), 3))
    capacity: tuple[int, int] = (8, 30)
    venue: str = "base"  # base, park, garden, library, leisure, church
    routes: tuple[tuple[str, int], ...] = (
        ("self;link_worker", 6),
        ("link_worker", 1),
        ("self", 2),
    )
    step_free: float = 0.75  # chance the venue is wheelchair accessible when known


KINDS: dict[str, Kind] = {
    "walking": Kind(
        titles=("{place} Wellbeing Walk", "Health Walk: {park}", "Stroll and Natter",
                "Gentle Walk round {park}", "Nordic Walking for Beginners",
                "Buggy and Boots Walk"),
        categories=("walking",),
        extra_categories=("green_nature", "physical_activity"),
        needs=("physical_inactivity", "loneliness", "low_mood", "weight",
               "long_term_condition"),
        intro=("A friendly, led walk at an easy pace, finishing with a cuppa.",
               "Trained walk leaders take a gentle route of about an hour, with shorter "
               "options for anyone getting back into walking.",
               "A sociable walk for people who want to get a bit more active without "
               "joining a gym."),
        detail=("Nobody gets left behind: a back marker walks with the slowest walker.",
                "Wear comfortable shoes and bring a waterproof.",
                "Most of the route is on paths and fairly flat."),
        times=(("morning", 5), ("weekend", 2), ("afternoon", 1)),
        free=0.95,
        capacity=(12, 40),
        venue="park",
        step_free=0.4,
    ),
    "walking_football": Kind(
        titles=("Walking Football", "Walking Netball", "Over 50s Walking Football"),
        categories=("sport", "physical_activity"),
        needs=("physical_inactivity", "loneliness", "weight", "long_term_condition"),
        intro=("Football at walking pace: no running, no slide tackles, plenty of laughs.",
               "A slower, gentler version of the game for people who thought their playing "
               "days were over."),
        detail=("All abilities welcome; bibs and balls provided.",
                "Many players come along after a heart or joint problem."),
        times=(("evening", 3), ("morning", 2), ("weekend", 1)),
        free=0.3,
        ages=((("50", ""), 5), (("", ""), 2), (("18", ""), 2)),
        capacity=(10, 24),
        venue="leisure",
    ),
    "choir": Kind(
        titles=("{place} Community Choir", "Singing for Wellbeing", "Sing Your Heart Out",
                "Rock Choir for Beginners", "Pop-up Singing Group"),
        categories=("music_singing",),
        extra_categories=("social_group",),
        needs=("loneliness", "low_mood", "anxiety_stress", "confidence"),
        intro=("A relaxed community choir: no auditions and no need to read music.",
               "We sing pop songs, folk songs and old favourites, learning everything by "
               "ear.",
               "Singing together lifts the mood, and the tea break is half the point."),
        detail=("New voices are welcome any week.",
                "We put on a couple of informal concerts a year for anyone who wants to "
                "perform, but nobody has to."),
        times=(("evening", 4), ("afternoon", 2), ("morning", 1)),
        free=0.5,
        capacity=(15, 40),
    ),
    "breathing_choir": Kind(
        titles=("Singing for Better Breathing", "Singing for Lung Health"),
        categories=("music_singing",),
        extra_categories=("physical_activity",),
        needs=("long_term_condition", "anxiety_stress", "loneliness"),
        intro=("Singing and breathing exercises for people living with COPD, asthma or "
               "long COVID.",),
        detail=("Sessions are led by a practitioner trained by the British Lung Foundation "
                "method; you can sit throughout.",),
        times=(("afternoon", 2), ("morning", 2)),
        free=0.8,
        ages=((("18", ""), 3), (("", ""), 2)),
        capacity=(8, 20),
        step_free=0.9,
    ),
    "mens_shed": Kind(
        titles=("{place} Men's Shed", "Shed Sessions", "Woodwork and Repair Café",
                "Tinkering Workshop"),
        categories=("learning_skills", "social_group"),
        extra_categories=("volunteering",),
        needs=("loneliness", "low_mood", "confidence", "bereavement"),
        intro=("A workshop where people (mostly men, not only) make, mend and chat.",
               "Shoulder to shoulder rather than face to face: woodwork, bike repairs and "
               "community projects, with the kettle always on."),
        detail=("Tools and safety kit are provided, and experienced members show newcomers "
                "the ropes.",
                "Members build planters, bird boxes and benches for local groups."),
        times=(("morning", 3), ("afternoon", 3)),
        free=0.6,
        ages=((("18", ""), 5), (("50", ""), 2), (("", ""), 2)),
        capacity=(8, 20),
        step_free=0.6,
    ),
    "befriending": Kind(
        titles=("Telephone Befriending", "Befriending Visits", "Friendly Call",
                "Good Neighbours Befriending"),
        categories=("befriending",),
        needs=("loneliness", "bereavement", "low_mood", "memory_dementia", "confidence"),
        intro=("A trained volunteer keeps in touch each week for a chat.",
               "We match people who are lonely or isolated with a volunteer who shares "
               "their interests."),
        detail=("Volunteers are DBS checked and supported by a coordinator.",
                "Calls or visits are arranged at a time that suits you."),
        times=(("arrangement", 8), ("morning", 1)),
        modes=(("phone", 4), ("in_person", 3), ("phone;in_person", 2)),
        free=1.0,
        ages=((("50", ""), 4), (("18", ""), 3), (("65", ""), 2)),
        capacity=(10, 40),
        routes=(("link_worker", 4), ("self;link_worker", 5)),
    ),
    "debt_advice": Kind(
        titles=("Money and Benefits Advice", "Debt Advice Appointments", "Benefits Check",
                "Cost of Living Drop-in"),
        categories=("advice_money",),
        extra_categories=("advice_housing",),
        needs=("money_debt", "anxiety_stress", "housing"),
        intro=("Free, confidential advice on debts, benefits and bills from accredited "
               "advisers.",
               "We check you are getting every benefit you are entitled to and help with "
               "forms, appeals and creditors."),
        detail=("Bring any letters or bills you have.",
                "We can also help you apply for grants for essential household items."),
        times=(("arrangement", 3), ("morning", 3), ("afternoon", 2)),
        modes=(("in_person;phone", 4), ("in_person", 3), ("phone", 2), ("online;phone", 1)),
        free=1.0,
        capacity=(10, 30),
        routes=(("self;link_worker", 6), ("link_worker", 2)),
        step_free=0.9,
    ),
    "housing_advice": Kind(
        titles=("Housing Advice Surgery", "Tenancy Support", "Private Renters' Advice"),
        categories=("advice_housing",),
        extra_categories=("advice_money",),
        needs=("housing", "money_debt", "anxiety_stress"),
        intro=("Advice on repairs, rent arrears, eviction notices and finding somewhere "
               "to live.",),
        detail=("Appointments last up to an hour; urgent cases are seen the same week.",),
        times=(("arrangement", 3), ("morning", 2), ("afternoon", 2)),
        modes=(("in_person;phone", 3), ("in_person", 2), ("phone", 1)),
        free=1.0,
        capacity=(6, 20),
        routes=(("self;link_worker", 5), ("link_worker", 2)),
    ),
    "gardening": Kind(
        titles=("{place} Community Garden", "Grow Together", "Allotment Wellbeing Group",
                "Garden Volunteers", "Seed to Plate"),
        categories=("gardening",),
        extra_categories=("green_nature", "volunteering"),
        needs=("low_mood", "physical_inactivity", "loneliness", "anxiety_stress"),
        intro=("Grow fruit, vegetables and flowers with others, whatever your experience.",
               "A therapeutic gardening group on a friendly community plot."),
        detail=("Gloves and tools provided; dress for the weather.",
                "Raised beds mean you can garden without kneeling.",
                "We share the harvest and cook some of it together."),
        times=(("morning", 4), ("weekend", 2), ("afternoon", 1)),
        free=0.95,
        capacity=(8, 25),
        venue="garden",
        step_free=0.5,
    ),
    "conservation": Kind(
        titles=("Green Gym", "Conservation Volunteers: {park}", "Wildlife Habitat Day",
                "Friends of {park} Work Day"),
        categories=("green_nature", "volunteering"),
        extra_categories=("physical_activity",),
        needs=("physical_inactivity", "low_mood", "confidence", "loneliness"),
        intro=("Practical conservation outdoors: hedge-laying, path repair, planting and "
               "litter picks.",),
        detail=("No experience needed; tools, gloves and a hot drink provided.",),
        times=(("weekend", 3), ("morning", 2)),
        free=1.0,
        capacity=(10, 30),
        venue="park",
        step_free=0.3,
    ),
    "art": Kind(
        titles=("Art for Wellbeing", "Drawing and Painting for Beginners", "Creative Crafts",
                "Knit and Natter", "Pottery Taster", "Collage and Printmaking"),
        categories=("arts_crafts",),
        extra_categories=("social_group", "mental_wellbeing"),
        needs=("low_mood", "anxiety_stress", "loneliness", "confidence"),
        intro=("A relaxed creative session where the point is enjoying it, not being "
               "good at it.",
               "Try something new with materials provided and a tutor on hand."),
        detail=("All materials are provided.",
                "Each term ends with a small exhibition for those who want one."),
        times=(("afternoon", 3), ("morning", 2), ("evening", 2)),
        free=0.55,
        capacity=(6, 16),
    ),
    "tai_chi": Kind(
        titles=("Tai Chi for Health", "Qigong in the Park", "Chair Yoga", "Gentle Yoga",
                "Pilates for Beginners"),
        categories=("dance_movement",),
        extra_categories=("physical_activity", "mental_wellbeing"),
        needs=("physical_inactivity", "anxiety_stress", "long_term_condition"),
        intro=("Slow, flowing movements that build balance and strength and calm the "
               "mind.",
               "A gentle class that can be done standing or seated."),
        detail=("Suitable for people with arthritis or after a fall.",
                "Wear loose clothing; mats and chairs provided."),
        times=(("morning", 4), ("evening", 2), ("afternoon", 1)),
        free=0.35,
        ages=((("", ""), 4), (("50", ""), 3), (("18", ""), 2)),
        capacity=(8, 20),
    ),
    "chair_exercise": Kind(
        titles=("Chair-based Exercise", "Strength and Balance", "Falls Prevention Class",
                "Move It or Lose It"),
        categories=("physical_activity",),
        needs=("physical_inactivity", "long_term_condition", "loneliness"),
        intro=("A seated exercise class to music that keeps joints moving and builds "
               "strength.",),
        detail=("Led by an instructor qualified in postural stability.",
                "Tea, biscuits and a chat afterwards."),
        times=(("morning", 4), ("afternoon", 2)),
        free=0.45,
        ages=((("50", ""), 5), (("60", ""), 2), (("", ""), 2)),
        capacity=(8, 20),
        step_free=0.95,
    ),
    "dementia_cafe": Kind(
        titles=("{place} Memory Café", "Dementia Café", "Singing for the Brain",
                "Forget-me-not Club"),
        categories=("social_group", "carers_support"),
        extra_categories=("music_singing",),
        needs=("memory_dementia", "carer_strain", "loneliness"),
        intro=("A welcoming café for people living with dementia and the people who care "
               "for them.",),
        detail=("Activities, music and reminiscence, with information from an Admiral "
                "Nurse once a month.",
                "Come together or on your own; staff are dementia-friends trained."),
        times=(("afternoon", 4), ("morning", 2)),
        free=0.8,
        capacity=(10, 30),
        step_free=0.95,
    ),
    "peer_support": Kind(
        titles=("Mental Health Peer Support Group", "Anxiety Support Circle",
                "Men's Talking Group", "Hearing Voices Group", "Wellbeing Drop-in"),
        categories=("peer_support", "mental_wellbeing"),
        needs=("low_mood", "anxiety_stress", "loneliness", "confidence"),
        intro=("A confidential group run by people with lived experience of mental "
               "distress.",
               "Talk, listen and share what helps, with no pressure to speak."),
        detail=("Facilitators are trained peer supporters.",
                "The group agrees its own ground rules; what is said stays in the room."),
        times=(("evening", 4), ("afternoon", 2)),
        modes=(("in_person", 6), ("online", 2), ("in_person;online", 1)),
        free=0.95,
        ages=((("18", ""), 6), (("", ""), 2)),
        capacity=(6, 15),
    ),
    "bereavement": Kind(
        titles=("Bereavement Support Group", "Walk and Talk after Loss",
                "Bereavement Café"),
        categories=("peer_support",),
        extra_categories=("mental_wellbeing",),
        needs=("bereavement", "loneliness", "low_mood"),
        intro=("Meet others who have lost someone close, at whatever stage you are.",),
        detail=("Trained volunteers are on hand; one-to-one support is available too.",),
        times=(("afternoon", 3), ("evening", 2)),
        modes=(("in_person", 4), ("online", 1)),
        free=1.0,
        ages=((("18", ""), 5), (("", ""), 2)),
        capacity=(6, 15),
    ),
    "recovery": Kind(
        titles=("Recovery Café", "SMART Recovery Meeting", "Recovery Walk and Talk"),
        categories=("peer_support",),
        extra_categories=("mental_wellbeing",),
        needs=("substance_use", "low_mood", "loneliness", "confidence"),
        intro=("A peer-led space for anyone in or thinking about recovery from alcohol or "
               "drugs.",),
        detail=("Free food, a listening ear and signposting to treatment services.",),
        times=(("evening", 3), ("weekend", 2), ("afternoon", 1)),
        free=1.0,
        ages=((("18", ""), 6),),
        capacity=(8, 25),
    ),
    "mindfulness": Kind(
        titles=("Mindfulness for Stress", "Six-week Wellbeing Course", "Stress Control",
                "Sleep Better Workshop"),
        categories=("mental_wellbeing",),
        extra_categories=("learning_skills",),
        needs=("anxiety_stress", "low_mood", "confidence"),
        intro=("Learn practical ways to manage stress, worry and low mood.",
               "A short course in small groups using evidence-based techniques."),
        detail=("Each session builds on the last, so try to come to all of them.",
                "Course materials are yours to keep."),
        times=(("evening", 3), ("morning", 2), ("afternoon", 1)),
        modes=(("in_person", 4), ("online", 3)),
        free=0.9,
        ages=((("18", ""), 5), (("", ""), 2)),
        capacity=(8, 25),
    ),
    "digital": Kind(
        titles=("Digital Drop-in", "Get Online: Computer Basics", "Smartphone Help",
                "Tablet Club", "Online Safety for Beginners"),
        categories=("digital_skills",),
        extra_categories=("learning_skills",),
        needs=("digital_exclusion", "confidence", "loneliness", "employment"),
        intro=("Patient one-to-one help with phones, tablets and computers.",
               "Bring your device and your questions: email, video calls, NHS App, "
               "online shopping."),
        detail=("Loan tablets are available if you do not have a device.",
                "Digital champions are volunteers who remember what it was like to start."),
        times=(("morning", 3), ("afternoon", 3)),
        free=1.0,
        capacity=(6, 16),
        venue="library",
        step_free=0.95,
    ),
    "carers": Kind(
        titles=("Carers' Coffee Morning", "Carers' Support Group", "Carers' Pamper Afternoon",
                "Carers' Walk and Talk"),
        categories=("carers_support",),
        extra_categories=("peer_support",),
        needs=("carer_strain", "anxiety_stress", "loneliness"),
        intro=("Time for yourself and time with other carers who understand.",
               "A regular get-together for unpaid carers of all ages."),
        detail=("Information about carers' assessments and breaks is always available.",
                "If you need replacement care to attend, ask us about sitting services."),
        times=(("morning", 3), ("afternoon", 2), ("evening", 1)),
        modes=(("in_person", 5), ("online", 1), ("in_person;online", 1)),
        free=0.95,
        capacity=(8, 25),
    ),
    "young_carers": Kind(
        titles=("Young Adult Carers' Group", "Young Carers' Hangout"),
        categories=("carers_support", "peer_support"),
        needs=("carer_strain", "anxiety_stress", "confidence"),
        intro=("A break and a chat for young adults who look after a family member.",),
        detail=("Trips, activities and one-to-one support.",),
        times=(("evening", 3), ("weekend", 1)),
        free=1.0,
        ages=((("16", "25"), 1),),
        capacity=(6, 20),
    ),
    "food": Kind(
        titles=("Community Lunch Club", "Cook and Eat", "Food Club",
                "Healthy Cooking on a Budget", "Pay-as-you-feel Café"),
        categories=("food_cooking",),
        extra_categories=("social_group",),
        needs=("loneliness", "money_debt", "weight", "confidence"),
        intro=("A hot, home-cooked meal and good company.",
               "Learn to cook simple, cheap and healthy meals, then sit down and eat them "
               "together."),
        detail=("Dietary needs catered for; halal and vegetarian options every week.",
                "Food club members also get a weekly bag of groceries for a small fee."),
        times=(("midday", 5), ("evening", 1)),
        free=0.45,
        capacity=(10, 40),
    ),
    "volunteering": Kind(
        titles=("Volunteer with Us", "Community Café Volunteers", "Food Bank Volunteering",
                "Volunteer Drivers", "Charity Shop Volunteers"),
        categories=("volunteering",),
        needs=("confidence", "employment", "loneliness", "low_mood"),
        intro=("Give a few hours a week, meet people and learn new skills.",
               "Volunteering roles to suit different abilities and time commitments."),
        detail=("Training and expenses are provided, and we can give references.",
                "A volunteer coordinator will meet you first to find the right role."),
        times=(("arrangement", 4), ("morning", 2), ("afternoon", 1)),
        free=1.0,
        ages=((("16", ""), 2), (("18", ""), 4), (("", ""), 2)),
        capacity=(6, 30),
    ),
    "employment": Kind(
        titles=("Job Club", "CV and Interview Skills", "Work Ready Programme",
                "Back to Work Confidence"),
        categories=("employment_support",),
        extra_categories=("learning_skills", "digital_skills"),
        needs=("employment", "confidence", "money_debt", "digital_exclusion"),
        intro=("Help with job searching, CVs, applications and interviews.",
               "A supportive group for people looking to get back into work."),
        detail=("Computers and free printing available.",
                "One-to-one mentoring alongside the group."),
        times=(("morning", 3), ("afternoon", 3)),
        modes=(("in_person", 5), ("online", 1), ("in_person;online", 1)),
        free=1.0,
        ages=((("", ""), 3), (("18", ""), 3), (("16", "25"), 2)),
        capacity=(6, 20),
    ),
    "family": Kind(
        titles=("Stay and Play", "Dads' Group", "Parents' Peer Support", "Bumps and Babies",
                "Family Fun Saturday"),
        categories=("family_parenting",),
        extra_categories=("peer_support",),
        needs=("parenting", "loneliness", "low_mood", "anxiety_stress"),
        intro=("A friendly session for parents and carers with young children.",
               "Meet other parents, share tips and let the children play."),
        detail=("Health visitors drop in on the first week of the month.",
                "Fruit and drinks provided."),
        times=(("morning", 5), ("weekend", 2)),
        free=0.9,
        ages=((("", ""), 1),),
        capacity=(10, 30),
        step_free=0.9,
    ),
    "reading": Kind(
        titles=("Shared Reading Group", "Creative Writing Circle", "Book Club",
                "Poetry Café"),
        categories=("writing_reading",),
        extra_categories=("social_group",),
        needs=("loneliness", "low_mood", "confidence"),
        intro=("Stories and poems read aloud together, then talked about over tea.",
               "Write, share and get gentle feedback in a welcoming group."),
        detail=("No reading in advance needed.", "Beginners are very welcome."),
        times=(("afternoon", 3), ("morning", 2), ("evening", 2)),
        free=1.0,
        capacity=(6, 15),
        venue="library",
    ),
    "heritage": Kind(
        titles=("Local History Group", "Memories of {place}", "Museum Object Handling",
                "Family History Workshop"),
        categories=("heritage_culture",),
        extra_categories=("social_group",),
        needs=("loneliness", "memory_dementia", "confidence"),
        intro=("Explore the history of {place} through photos, maps and memories.",
               "Reminiscence sessions with objects, photographs and music from the past."),
        detail=("Talks from local historians several times a year.",
                "Bring your own photos if you like."),
        times=(("afternoon", 3), ("morning", 2), ("evening", 1)),
        free=0.7,
        capacity=(8, 25),
    ),
    "faith_lunch": Kind(
        titles=("Friendship Lunch", "Warm Space and Soup", "Coffee and Company",
                "Community Breakfast"),
        categories=("faith_community", "social_group"),
        extra_categories=("food_cooking",),
        needs=("loneliness", "money_debt", "low_mood"),
        intro=("Everyone is welcome, of any faith or none.",
               "A warm place to sit, eat and talk, run by volunteers from the "
               "congregation."),
        detail=("Food is free; donations are welcome but never expected.",
                "Board games, newspapers and a friendly face."),
        times=(("midday", 4), ("morning", 2)),
        free=0.85,
        capacity=(15, 40),
        venue="church",
    ),
    "dance": Kind(
        titles=("Tea Dance", "Line Dancing", "Dance for Wellbeing", "Bollywood Dance Fitness",
                "Seated Dance"),
        categories=("dance_movement",),
        extra_categories=("physical_activity", "social_group"),
        needs=("physical_inactivity", "loneliness", "low_mood", "weight"),
        intro=("Dance your way to fitness with easy-to-follow routines.",
               "Music, movement and a lot of laughter."),
        detail=("No partner and no experience needed.", "Sit out whenever you like."),
        times=(("afternoon", 3), ("evening", 2), ("morning", 2)),
        free=0.3,
        capacity=(10, 40),
    ),
    "youth": Kind(
        titles=("Youth Wellbeing Group", "Young People's Drop-in", "Youth Mentoring",
                "Next Steps for 16-25s"),
        categories=("mental_wellbeing", "peer_support"),
        needs=("anxiety_stress", "low_mood", "confidence", "employment"),
        intro=("A space for young people to talk, make friends and get support.",),
        detail=("Youth workers can help with college, work, housing and benefits.",),
        times=(("evening", 4), ("afternoon", 2)),
        free=1.0,
        ages=((("16", "25"), 1),),
        capacity=(8, 25),
    ),
    "sport": Kind(
        titles=("Couch to 5K", "Beginners' Badminton", "Swimming for Health",
                "Boxing Fitness", "Table Tennis Club"),
        categories=("sport",),
        extra_categories=("physical_activity",),
        needs=("physical_inactivity", "weight", "low_mood", "confidence"),
        intro=("A welcoming session for beginners and returners.",
               "Get fitter at your own pace with a qualified coach."),
        detail=("Equipment can be borrowed.", "Changing rooms and lockers on site."),
        times=(("evening", 4), ("weekend", 2), ("morning", 1)),
        free=0.3,
        capacity=(8, 30),
        venue="leisure",
    ),
    "conversation": Kind(
        titles=("English Conversation Club", "Conversation Café", "Language Café"),
        categories=("learning_skills",),
        extra_categories=("social_group",),
        needs=("loneliness", "confidence", "employment"),
        intro=("Practise everyday English in a relaxed, friendly group.",),
        detail=("All levels welcome; volunteers help beginners.",),
        times=(("morning", 3), ("evening", 2)),
        free=1.0,
        capacity=(8, 25),
        venue="library",
    ),
}  # fmt: skip

# --------------------------------------------------------------------------------------
# Kinds of organisation
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Archetype:
    names: tuple[str, ...]  # {place} = neighbourhood, {town} = town, {saint}
    kinds: tuple[tuple[str, int], ...]  # the first is what the organisation is known for
    types: tuple[tuple[str, int], ...]
    size: tuple[int, int]  # activities it typically runs
    weight: int  # how common such organisations are


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype(
        names=("{place} Community Centre", "{place} Community Association",
               "{place} Neighbourhood Network", "{place} Community Hub", "{place} Together",
               "{place} Healthy Living Centre"),
        kinds=(("chair_exercise", 3), ("food", 3), ("digital", 3), ("art", 3), ("walking", 2),
               ("tai_chi", 2), ("dementia_cafe", 2), ("befriending", 2), ("dance", 2),
               ("reading", 1), ("heritage", 1), ("conversation", 2), ("volunteering", 2),
               ("family", 2), ("debt_advice", 2), ("mindfulness", 1), ("choir", 1)),
        types=(("charity", 5), ("cio", 3), ("community_group", 1)),
        size=(6, 15),
        weight=6,
    ),
    Archetype(
        names=("{place} Elderly Action", "{place} Helping Hands", "{place} Over 50s Forum",
               "{place} Good Neighbours", "{place} Senior Citizens' Association"),
        kinds=(("befriending", 4), ("chair_exercise", 3), ("food", 3), ("dementia_cafe", 2),
               ("walking", 2), ("digital", 2), ("dance", 2), ("heritage", 1)),
        types=(("charity", 3), ("cio", 2)),
        size=(3, 10),
        weight=5,
    ),
    Archetype(
        names=("{place} Community Choir", "{place} Singers", "{place} Sings"),
        kinds=(("choir", 5), ("breathing_choir", 1)),
        types=(("community_group", 4), ("charity", 1)),
        size=(1, 2),
        weight=5,
    ),
    Archetype(
        names=("{place} Men's Shed",),
        kinds=(("mens_shed", 5), ("walking_football", 1), ("volunteering", 1)),
        types=(("cio", 2), ("community_group", 3)),
        size=(1, 3),
        weight=4,
    ),
    Archetype(
        names=("{place} Walkers", "Walking for Health {place}", "{place} Striders"),
        kinds=(("walking", 5), ("walking_football", 1), ("conservation", 1)),
        types=(("community_group", 1),),
        size=(1, 4),
        weight=4,
    ),
    Archetype(
        names=("{town} Money Advice Network", "{place} Advice Centre",
               "{place} Welfare Rights", "{town} Debt Support Trust"),
        kinds=(("debt_advice", 5), ("housing_advice", 3), ("employment", 1), ("digital", 1)),
        types=(("charity", 4), ("cio", 1)),
        size=(2, 8),
        weight=3,
    ),
    Archetype(
        names=("Carers {town}", "{place} Carers' Network", "{town} Young Carers"),
        kinds=(("carers", 5), ("young_carers", 1), ("befriending", 1), ("mindfulness", 1),
               ("dementia_cafe", 1)),
        types=(("charity", 4), ("cio", 1)),
        size=(2, 9),
        weight=2,
    ),
    Archetype(
        names=("{town} Wellbeing Trust", "{place} Mental Health Peer Support",
               "{place} Recovery Community", "{town} Talking Space", "{place} Mind Matters"),
        kinds=(("peer_support", 5), ("mindfulness", 3), ("art", 2), ("bereavement", 2),
               ("recovery", 2), ("walking", 1), ("reading", 1), ("youth", 1)),
        types=(("charity", 3), ("cio", 2), ("cic", 1)),
        size=(3, 12),
        weight=3,
    ),
    Archetype(
        names=("{place} Community Garden", "Friends of {park}", "{place} Green Gym",
               "{place} Growing Project"),
        kinds=(("gardening", 5), ("conservation", 2), ("walking", 1), ("food", 1)),
        types=(("community_group", 3), ("cio", 1)),
        size=(1, 5),
        weight=4,
    ),
    Archetype(
        names=("{place} Arts Collective", "{place} Creative Arts CIC", "{place} Craft Circle",
               "{place} Open Studio"),
        kinds=(("art", 5), ("reading", 1), ("heritage", 1), ("dance", 1)),
        types=(("cic", 3), ("community_group", 2), ("social_enterprise", 1)),
        size=(1, 6),
        weight=3,
    ),
    Archetype(
        names=("{place} Active Lives CIC", "{place} Tai Chi Club", "Move More {place}",
               "{place} Dance for Health"),
        kinds=(("tai_chi", 4), ("chair_exercise", 3), ("dance", 3), ("sport", 2),
               ("walking_football", 1)),
        types=(("cic", 3), ("social_enterprise", 2), ("community_group", 1)),
        size=(2, 8),
        weight=3,
    ),
    Archetype(
        names=("{place} Memory Café", "{town} Dementia Friends Network"),
        kinds=(("dementia_cafe", 5), ("choir", 1), ("carers", 1)),
        types=(("community_group", 2), ("charity", 2)),
        size=(1, 4),
        weight=2,
    ),
    Archetype(
        names=("{place} Community Kitchen", "{place} Food Club", "{place} Pantry"),
        kinds=(("food", 5), ("volunteering", 1), ("debt_advice", 1)),
        types=(("cic", 2), ("charity", 2), ("community_group", 1)),
        size=(1, 5),
        weight=3,
    ),
    Archetype(
        names=("{place} Digital Champions", "{town} Get Online Project"),
        kinds=(("digital", 5), ("employment", 1)),
        types=(("community_group", 2), ("charity", 1)),
        size=(1, 4),
        weight=2,
    ),
    Archetype(
        names=("St {saint}'s Church, {place}", "{place} Methodist Church",
               "{place} Mosque Community Hub", "{place} Gurdwara Community Kitchen",
               "{place} Quaker Meeting", "{place} Baptist Church"),
        kinds=(("faith_lunch", 5), ("befriending", 1), ("food", 1), ("family", 1),
               ("conversation", 1)),
        types=(("faith_group", 4), ("charity", 1)),
        size=(1, 5),
        weight=4,
    ),
    Archetype(
        names=("{place} Family Hub", "{place} Parents' Network"),
        kinds=(("family", 5), ("food", 1), ("peer_support", 1)),
        types=(("public_sector", 2), ("charity", 2)),
        size=(2, 6),
        weight=2,
    ),
    Archetype(
        names=("{place} Youth Project", "{town} Young People's Trust"),
        kinds=(("youth", 5), ("employment", 2), ("sport", 1), ("art", 1)),
        types=(("charity", 3), ("cio", 1)),
        size=(1, 6),
        weight=2,
    ),
    Archetype(
        names=("Volunteer {town}", "{town} Volunteer Centre", "{place} Volunteer Hub"),
        kinds=(("volunteering", 5), ("employment", 1), ("digital", 1)),
        types=(("charity", 1),),
        size=(1, 4),
        weight=1,
    ),
    Archetype(
        names=("{place} Local History Society", "{place} Heritage Trust"),
        kinds=(("heritage", 5), ("reading", 1), ("walking", 1)),
        types=(("community_group", 3), ("charity", 1)),
        size=(1, 2),
        weight=2,
    ),
)  # fmt: skip

# --------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------


@dataclass
class _Area:
    code: str  # postcode area, "LS"
    town: str
    postcodes: list[str]
    by_district: dict[str, list[str]]


@dataclass
class _Venue:
    name: str
    place: str
    address: str
    postcode: str
    step_free: bool | None


@dataclass
class _Org:
    index: int
    name: str
    code: str
    archetype: Archetype
    org_type: str
    charity_number: str
    area: _Area
    district: str
    place: str
    park: str
    kite_mark: str
    language: str | None  # a community language besides English, if any
    contact: str
    email: str
    phone: str
    website: str
    size: int = 1
    venues: dict[str, _Venue] = field(default_factory=dict)
    titles: set[str] = field(default_factory=set)


def _weighted(rng: random.Random, options: Iterable[tuple[str, int]]) -> str:
    items = list(options)
    return rng.choices([o for o, _ in items], weights=[w for _, w in items])[0]


def _leading_letters(text: str) -> str:
    match = re.match(r"[A-Z]{1,2}", text.upper())
    return match.group(0) if match else text.upper()


def _load_areas(prefixes: list[str]) -> list[_Area]:
    areas: list[_Area] = []
    for prefix in prefixes:
        postcodes = postcodes_in(prefix)
        per_district = Counter(pc.split()[0] for pc in postcodes)
        usable = [pc for pc in postcodes if per_district[pc.split()[0]] >= _MIN_DISTRICT_POSTCODES]
        if not usable:  # a small prefix such as one sector: take what there is
            usable = postcodes
        if not usable:
            raise ValueError(f"No postcodes found for “{prefix}”")
        code = _leading_letters(prefix)
        by_district: dict[str, list[str]] = {}
        for pc in usable:
            by_district.setdefault(pc.split()[0], []).append(pc)
        town = AREA_PLACES.get(code, ("", ()))[0]
        areas.append(_Area(code, town, usable, by_district))
    return areas


def _places_for(area: _Area, district: str) -> tuple[str, ...]:
    if district in LEEDS_DISTRICTS:
        return LEEDS_DISTRICTS[district]
    return AREA_PLACES.get(area.code, ("", ()))[1] or GENERIC_PLACES


def _slug(text: str, limit: int = 40) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower().replace("&", "and"))[:limit] or "group"


def _phone(rng: random.Random, area_code: str, mobile: bool = False) -> str:
    pattern, size = _DRAMA_MOBILE if mobile else _DRAMA_PHONES.get(area_code, _DRAMA_OTHER)
    return pattern.format(rng.randrange(size))


def _charity_number(rng: random.Random) -> str:
    # Charity Commission numbers: older ones six digits, newer ones 11xxxxx.
    if rng.random() < 0.25:
        return str(rng.randint(200_000, 529_999))
    return str(rng.randint(1_000_000, 1_209_999))


def _make_org(
    rng: random.Random, index: int, areas: list[_Area], weights: list[int], taken: set[str]
) -> _Org:
    archetype = rng.choices(ARCHETYPES, weights=[a.weight for a in ARCHETYPES])[0]
    area = rng.choices(areas, weights=weights)[0]
    base_postcode = rng.choice(area.postcodes)
    district = base_postcode.split()[0]
    place = rng.choice(_places_for(area, district))
    park = LEEDS_PARKS.get(place) or rng.choice(
        [f"{place} Park", f"{place} Recreation Ground", f"{place} Woods", f"{place} Fields"]
    )
    town = area.town or place
    name = ""
    for _ in range(12):
        candidate = rng.choice(archetype.names).format(
            place=place, town=town, park=park, saint=rng.choice(SAINTS)
        )
        if candidate.lower() not in taken:
            name = candidate
            break
    else:
        base = rng.choice(archetype.names).format(
            place=place, town=town, park=park, saint=rng.choice(SAINTS)
        )
        name, n = f"{base} ({district})", 2
        while name.lower() in taken:
            name, n = f"{base} ({district}) {n}", n + 1
    taken.add(name.lower())

    org_type = _weighted(rng, archetype.types)
    charity_number = ""
    if org_type in {"charity", "cio"} or (org_type == "faith_group" and rng.random() < 0.5):
        charity_number = _charity_number(rng)
    kite_mark = _weighted(
        rng, [("awarded", 45), ("pending", 15), ("none", 27), ("expired", 9), ("suspended", 4)]
    )
    language = None
    if rng.random() < 0.2:
        language = _weighted(
            rng, [("ur", 4), ("pa", 3), ("pl", 4), ("bn", 2), ("so", 2), ("ar", 3)]
        )
    first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    slug = _slug(name)
    email = _weighted(
        rng,
        [
            (f"hello.{slug}@example.org", 4),
            (f"{_slug(first)}.{slug}@example.org", 3),
            (f"info.{slug}@example.org", 2),
        ],
    )
    phone = _phone(rng, area.code, mobile=rng.random() < 0.15)
    website = f"https://example.org/{slug}" if rng.random() < 0.7 else ""
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z]+", name))[:4].upper()
    org = _Org(
        index=index,
        name=name,
        code=f"{initials}{index:04d}",
        archetype=archetype,
        org_type=org_type,
        charity_number=charity_number,
        area=area,
        district=district,
        place=place,
        park=park,
        kite_mark=kite_mark,
        language=language,
        contact=f"{first} {last}",
        email=email,
        phone=phone,
        website=website,
    )
    base_name = _weighted(
        rng,
        [
            (f"{place} Community Centre", 4),
            (f"St {rng.choice(SAINTS)}'s Church Hall", 2),
            (f"{place} Methodist Church Hall", 1),
            ("The Old School House", 1),
            (f"{place} Resource Centre", 1),
            (f"{place} Youth and Community Centre", 1),
        ],
    )
    org.venues["base"] = _venue(rng, base_name, place, base_postcode)
    return org


def _venue(
    rng: random.Random, name: str, place: str, postcode: str, step_free_chance: float = 0.75
) -> _Venue:
    # About a quarter of listings do not say whether the venue is accessible.
    step_free = None if rng.random() < 0.28 else rng.random() < step_free_chance
    return _Venue(
        name=name,
        place=place,
        address=f"{name}, {rng.randint(1, 240)} {rng.choice(STREETS)}, {place}",
        postcode=postcode,
        step_free=step_free,
    )


def _venue_for(rng: random.Random, org: _Org, key: str, step_free_chance: float) -> _Venue:
    if key not in org.venues:
        nearby = org.area.by_district.get(org.district) or org.area.postcodes
        postcode = rng.choice(nearby)
        name = {
            "park": f"Meet at the main gate, {org.park}",
            "garden": f"{org.place} Allotments",
            "library": f"{org.place} Library",
            "leisure": f"{org.place} Leisure Centre",
            "church": (
                org.venues["base"].name
                if org.archetype.kinds[0][0] == "faith_lunch"
                else f"St {rng.choice(SAINTS)}'s Church Hall"
            ),
        }.get(key, org.venues["base"].name)
        org.venues[key] = _venue(rng, name, org.place, postcode, step_free_chance)
    return org.venues[key]


def _outreach_venue(rng: random.Random, org: _Org) -> _Venue:
    postcode = rng.choice(org.area.postcodes)
    place = rng.choice(_places_for(org.area, postcode.split()[0]))
    name = rng.choice([f"{place} Library", f"{place} Community Centre", f"{place} Health Centre"])
    return _venue(rng, name, place, postcode)


_TIMES = {
    "morning": ((0, 1, 2, 3, 4), ("09:30", "10:00", "10:30", "11:00"), (60, 90, 120)),
    "midday": ((0, 1, 2, 3, 4), ("11:30", "12:00", "12:30"), (90, 120)),
    "afternoon": ((0, 1, 2, 3, 4), ("13:00", "13:30", "14:00", "14:30"), (60, 90, 120)),
    "evening": ((0, 1, 2, 3, 4), ("17:30", "18:00", "18:30", "19:00", "19:30"), (60, 90, 120)),
    "weekend": ((5, 5, 5, 6), ("09:00", "10:00", "10:30", "11:00", "14:00"), (60, 90, 120, 180)),
}


def _sessions(rng: random.Random, pattern: str) -> list[tuple[int, str, str]]:
    """Weekly sessions as (day index, start, end); [] means by arrangement."""
    if pattern == "arrangement":
        return []
    days, starts, lengths = _TIMES[pattern]
    day = rng.choice(days)
    start = rng.choice(starts)
    hours, minutes = map(int, start.split(":"))
    end_minutes = hours * 60 + minutes + rng.choice(lengths)
    end = f"{end_minutes // 60:02d}:{end_minutes % 60:02d}"
    sessions = [(day, start, end)]
    if pattern != "weekend" and rng.random() < 0.15:  # some run twice a week
        other = rng.choice([d for d in days if d != day])
        sessions.append((other, start, end))
    return sorted(sessions)


def _schedule_text(sessions: list[tuple[int, str, str]]) -> str:
    return "; ".join(f"{_DAY_CODES[d]} {s}-{e}" for d, s, e in sessions)


def _schedule_phrase(sessions: list[tuple[int, str, str]]) -> str:
    if not sessions:
        return "Times are arranged with each person."
    parts = [f"{_DAY_NAMES[d]}s from {s} to {e}" for d, s, e in sessions]
    return "We meet on " + " and ".join(parts) + "."


def _days_ago(rng: random.Random, bands: list[tuple[tuple[int, int], int]]) -> int:
    low, high = rng.choices([b for b, _ in bands], weights=[w for _, w in bands])[0]
    return rng.randint(low, high)


def _activity(rng: random.Random, org: _Org, number: int, today: date) -> dict[str, str]:
    kinds = org.archetype.kinds
    # An organisation does not list two activities under one title: draw again (kind and
    # title) a few times before telling the listings apart by day or neighbourhood.
    for attempt in range(8):
        key = kinds[0][0] if number == 1 and attempt == 0 else _weighted(rng, kinds)
        kind = KINDS[key]
        fill = {"place": org.place, "park": org.park, "town": org.area.town or org.place}
        title = rng.choice(kind.titles).format(**fill)
        if title.lower() not in org.titles:
            break

    pattern = _weighted(rng, kind.times)
    sessions = _sessions(rng, pattern)
    modes = _weighted(rng, kind.modes)
    in_person = "in_person" in modes
    venue = _venue_for(rng, org, kind.venue, kind.step_free) if in_person else org.venues["base"]

    if title.lower() in org.titles:
        if in_person and not sessions:
            venue = _outreach_venue(rng, org)  # the same service, held in another neighbourhood
            qualifier = venue.place
        elif sessions:
            qualifier = f"{_DAY_NAMES[sessions[0][0]]}s"
        else:
            qualifier = "online" if "online" in modes else "by phone"
        base = f"{title} ({qualifier})"
        title, n = base, 2
        while title.lower() in org.titles:
            title, n = f"{base} {n}", n + 1
    org.titles.add(title.lower())

    categories = list(kind.categories) + [c for c in kind.extra_categories if rng.random() < 0.4]
    others = list(kind.needs[1:])
    rng.shuffle(others)
    needs = [kind.needs[0], *others[: rng.randint(1, min(3, len(others)))]]

    age_min, age_max = rng.choices([a for a, _ in kind.ages], weights=[w for _, w in kind.ages])[0]
    cost = "free"
    if rng.random() >= kind.free:
        cost = rng.choice(["2.00", "2.50", "3.00", "3.50", "4.00", "5.00", "6.00"])
    wheelchair = {True: "yes", False: "no", None: ""}[venue.step_free] if in_person else ""
    languages = ["en"]
    if org.language and rng.random() < 0.6:
        languages.append(org.language)
    routes = _weighted(rng, kind.routes)

    capacity = rng.randint(*kind.capacity)
    full = rng.random() < 0.2
    spare = 0 if full else rng.randint(1, max(1, capacity // 2 if rng.random() < 0.7 else capacity))
    waitlist = ""
    if full:
        waitlist = "yes" if rng.random() < 0.5 else "no"
    elif rng.random() < 0.5:
        waitlist = "no"

    # Most providers confirm within a fortnight; about a quarter have let it go stale.
    updated_days = _days_ago(rng, [((0, 7), 40), ((8, 30), 35), ((31, 90), 25)])
    updated = today - timedelta(days=updated_days)
    reviewed = ""
    if rng.random() < 0.9:
        reviewed = (updated - timedelta(days=rng.randint(0, 180))).isoformat()

    description = " ".join(
        part
        for part in [
            rng.choice(kind.intro).format(**fill),
            rng.choice(kind.detail).format(**fill),
            _schedule_phrase(sessions) if in_person or sessions else "",
            _practicalities(
                rng, cost, age_min, age_max, wheelchair, languages, routes, modes, venue
            ),
        ]
        if part
    )

    row = {
        "external_id": f"{org.code}-{number:02d}",
        "organisation": org.name,
        "organisation_type": org.org_type,
        "charity_number": org.charity_number,
        "title": title,
        "description": description,
        "categories": ";".join(categories),
        "needs": ";".join(needs),
        "address": venue.address if in_person else "",
        "postcode": venue.postcode,
        "modes": modes,
        "schedule": _schedule_text(sessions),
        "cost": cost,
        "age_min": age_min,
        "age_max": age_max,
        "wheelchair_accessible": wheelchair,
        "languages": ";".join(languages),
        "referral_routes": routes,
        "capacity": str(capacity),
        "spare_places": str(spare),
        "waitlist": waitlist,
        "kite_mark": org.kite_mark,
        "contact_name": org.contact,
        "email": org.email,
        "phone": org.phone,
        "website": org.website,
        "capacity_updated": updated.isoformat(),
        "last_reviewed": reviewed,
    }
    return {column: row[column] for column in TEMPLATE_COLUMNS}


def _practicalities(
    rng: random.Random,
    cost: str,
    age_min: str,
    age_max: str,
    wheelchair: str,
    languages: list[str],
    routes: str,
    modes: str,
    venue: _Venue,
) -> str:
    bits: list[str] = []
    if "in_person" not in modes:
        how = {"online": "online by video call", "phone": "by phone"}
        bits.append("This runs " + " or ".join(how[m] for m in modes.split(";") if m in how) + ".")
    elif "online" in modes:
        bits.append("You can also join online.")
    elif "phone" in modes:
        bits.append("Support is also available by phone.")
    if cost == "free":
        bits.append(rng.choice(["Free.", "Free of charge.", "There is no charge."]))
    else:
        bits.append(f"£{cost} a session{rng.choice(['', ', including refreshments'])}.")
    if age_min and age_max:
        bits.append(f"For young people aged {age_min} to {age_max}.")
    elif age_min:
        bits.append(f"For adults aged {age_min} and over.")
    if wheelchair == "yes" and "in_person" in modes:
        bits.append("The venue is step-free with an accessible toilet.")
    elif wheelchair == "no":
        bits.append("Please note the venue has steps and no lift.")
    extra = [LANGUAGE_NAMES[code] for code in languages if code in LANGUAGE_NAMES]
    if extra:
        bits.append(f"Volunteers also speak {' and '.join(extra)}.")
    if routes == "link_worker":
        bits.append("Places are by referral from a social prescribing link worker.")
    elif routes == "self":
        bits.append("Just come along, no need to book.")
    else:
        bits.append("Link workers can refer, or get in touch yourself.")
    return " ".join(bits)


def _sizes(rng: random.Random, orgs: list[_Org], count: int) -> None:
    """Spread `count` activities over the organisations: many run one or two, a few run
    a dozen or more. Only the part above one activity is scaled, so small groups stay small."""
    raw = [rng.randint(*org.archetype.size) for org in orgs]
    spare = sum(r - 1 for r in raw)
    wanted = count - len(orgs)  # everyone runs at least one
    scale = wanted / spare if spare else 0.0
    sizes = [1 + int((r - 1) * scale) for r in raw]
    # Hand out what rounding left over, favouring the organisations that are already bigger.
    weights = [r - 1 if spare else 1 for r in raw]
    while sum(sizes) < count:
        sizes[rng.choices(range(len(orgs)), weights=weights)[0]] += 1
    for org, size in zip(orgs, sizes, strict=True):
        org.size = size


def generate_rows(
    count: int,
    seed: int,
    postcode_prefixes: list[str] | None = None,
    organisations: int | None = None,
    *,
    today: date | None = None,
) -> Iterator[dict[str, str]]:
    """Yield `count` listings (CSV template column → cell text) run by `organisations`
    organisations (default: about one per six activities) based in the postcode areas,
    districts or sectors given (default: Leeds, "LS").

    Deterministic for a seed and `today` (default: the current UTC date, which dates such
    as capacity_updated are counted back from).
    """
    if count <= 0:
        return
    rng = random.Random(seed)
    today = today or datetime.now(UTC).date()
    areas = _load_areas(postcode_prefixes or DEFAULT_PREFIXES)
    weights = [len(a.postcodes) for a in areas]  # busier areas have more groups
    n_orgs = organisations if organisations is not None else max(1, round(count / 6))
    n_orgs = max(1, min(n_orgs, count))
    taken: set[str] = set()
    orgs = [_make_org(rng, i + 1, areas, weights, taken) for i in range(n_orgs)]
    _sizes(rng, orgs, count)
    for org in orgs:
        for number in range(1, org.size + 1):
            yield _activity(rng, org, number, today)


def write_csv(path: str | os.PathLike[str], rows: Iterable[dict[str, str]]) -> int:
    """Write rows as a UTF-8 CSV in the import template's column order; returns rows written."""
    written = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=TEMPLATE_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            written += 1
    return written
