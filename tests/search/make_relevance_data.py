"""Write the relevance evaluation's frozen data set (tests/search/data/relevance_listings.csv).

    python -m tests.search.make_relevance_data

The listings come from the demo generator (a fixed seed and date), frozen in a file so the
measured relevance changes only when search changes, not when the generator does. Each row
keeps the CSV import template's columns plus `kind`: what the generator meant the listing
to be (walking group, men's shed, memory café…), recovered by matching its title against
the generator's title templates for each kind (KINDS[kind].titles). Every title must match
exactly one kind. The judgements in test_relevance.py use `kind`, `categories`, `needs` and
`age_min`, never the text that search indexes.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

from spdirectory.demo.generate import KINDS, generate_rows
from spdirectory.directory.importer import TEMPLATE_COLUMNS

SEED = 20250602
TODAY = date(2025, 6, 2)
SIZE = 300
PATH = Path(__file__).parent / "data" / "relevance_listings.csv"


def title_patterns() -> list[tuple[str, re.Pattern[str]]]:
    patterns = []
    for name, spec in KINDS.items():
        for title in spec.titles:
            rx = re.escape(title)
            for slot in ("place", "park", "town"):
                rx = rx.replace(re.escape("{" + slot + "}"), ".+")
            # The generator tells a repeated title apart: "Title (Tuesdays)", "Title 2".
            patterns.append((name, re.compile(f"^{rx}(?: \\(.*\\))?(?: \\d+)?$")))
    return patterns


def kind_of(title: str, patterns: list[tuple[str, re.Pattern[str]]]) -> str:
    kinds = {name for name, rx in patterns if rx.match(title)}
    if len(kinds) != 1:
        raise ValueError(f"cannot tell the kind of {title!r}: {kinds or 'no template'}")
    return kinds.pop()


def main() -> None:
    patterns = title_patterns()
    PATH.parent.mkdir(exist_ok=True)
    with PATH.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[*TEMPLATE_COLUMNS, "kind"])
        writer.writeheader()
        for row in generate_rows(SIZE, SEED, today=TODAY):
            writer.writerow({**row, "kind": kind_of(row["title"], patterns)})
    print(f"wrote {SIZE} listings to {PATH}")


if __name__ == "__main__":
    main()
