"""Demo areas for Leeds: West Yorkshire ICB, Leeds place and local authority, wards and
primary care networks with their LS postcode districts.

Populations are rounded 2021-census-scale figures and need weights are illustrative
(higher in the more deprived inner-city wards); replace them with the ICB allocation
formula's figures in a real deployment.
"""

from __future__ import annotations

from .areas import AreaImportReport, import_areas

ICB = "E54000054"
PLACE = "LEEDS-PLACE"
_COLUMNS = (
    "code",
    "name",
    "type",
    "parent_code",
    "population",
    "need_weight",
    "postcode_districts",
)

LEEDS_AREAS: list[tuple[str, str, str, str, int, float, str]] = [
    (ICB, "NHS West Yorkshire ICB", "icb", "", 2_400_000, 1.05, ""),
    (PLACE, "Leeds", "place", ICB, 812_000, 1.08, ""),
    ("E08000035", "Leeds City Council", "local_authority", ICB, 812_000, 1.08, ""),
    ("LDS-W-WOODHOUSE", "Little London and Woodhouse", "ward", PLACE, 26_000, 1.25, "LS1;LS2;LS3"),
    ("LDS-W-KIRKSTALL", "Kirkstall", "ward", PLACE, 22_500, 1.1, "LS4;LS5"),
    ("LDS-W-HEADINGLEY", "Headingley and Hyde Park", "ward", PLACE, 24_000, 0.95, "LS6"),
    ("LDS-W-CHAPELALLERTON", "Chapel Allerton", "ward", PLACE, 23_000, 1.15, "LS7"),
    ("LDS-W-HAREHILLS", "Gipton and Harehills", "ward", PLACE, 28_000, 1.45, "LS8"),
    ("LDS-W-BURMANTOFTS", "Burmantofts and Richmond Hill", "ward", PLACE, 27_000, 1.5, "LS9"),
    ("LDS-W-HUNSLET", "Hunslet and Riverside", "ward", PLACE, 31_000, 1.4, "LS10"),
    ("LDS-W-BEESTON", "Beeston and Holbeck", "ward", PLACE, 26_000, 1.35, "LS11"),
    ("LDS-W-ARMLEY", "Armley", "ward", PLACE, 25_000, 1.3, "LS12"),
    ("LDS-W-BRAMLEY", "Bramley and Stanningley", "ward", PLACE, 24_000, 1.15, "LS13;LS28"),
    ("LDS-W-SEACROFT", "Killingbeck and Seacroft", "ward", PLACE, 25_000, 1.4, "LS14"),
    ("LDS-W-CROSSGATES", "Cross Gates and Whinmoor", "ward", PLACE, 24_000, 1.0, "LS15"),
    ("LDS-W-ADEL", "Adel and Wharfedale", "ward", PLACE, 20_000, 0.8, "LS16;LS21"),
    ("LDS-W-ALWOODLEY", "Alwoodley and Moortown", "ward", PLACE, 22_000, 0.85, "LS17"),
    ("LDS-W-HORSFORTH", "Horsforth", "ward", PLACE, 20_000, 0.8, "LS18"),
    ("LDS-W-GUISELEY", "Guiseley and Rawdon", "ward", PLACE, 23_000, 0.85, "LS19;LS20;LS29"),
    ("LDS-W-WETHERBY", "Wetherby", "ward", PLACE, 22_000, 0.8, "LS22;LS23;LS24"),
    ("LDS-W-GARFORTH", "Garforth and Swillington", "ward", PLACE, 21_000, 0.9, "LS25"),
    ("LDS-W-ROTHWELL", "Rothwell", "ward", PLACE, 21_000, 0.95, "LS26"),
    ("LDS-W-MORLEY", "Morley North and South", "ward", PLACE, 45_000, 1.0, "LS27"),
    ("LDS-PCN-CITY", "Leeds City Centre PCN", "pcn", PLACE, 52_000, 1.2, "LS1;LS2;LS3;LS6"),
    (
        "LDS-PCN-EAST",
        "Burmantofts, Harehills and Richmond Hill PCN",
        "pcn",
        PLACE,
        55_000,
        1.45,
        "LS8;LS9",
    ),
    ("LDS-PCN-SOUTH", "Beeston and Middleton PCN", "pcn", PLACE, 57_000, 1.35, "LS10;LS11"),
    ("LDS-PCN-WEST", "West Leeds PCN", "pcn", PLACE, 49_000, 1.2, "LS12;LS13;LS28"),
    ("LDS-PCN-NORTH", "Aire and Wharfe PCN", "pcn", PLACE, 63_000, 0.82, "LS16;LS18;LS19;LS20"),
]


def load_demo_areas() -> AreaImportReport:
    """Upsert the Leeds demo areas (the caller commits)."""
    rows = (
        (number, dict(zip(_COLUMNS, [str(v) for v in row], strict=True)))
        for number, row in enumerate(LEEDS_AREAS, start=2)
    )
    return import_areas(rows)
