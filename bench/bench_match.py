"""Benchmark matching: spdirectory.matching.match() for varied people over 100,000 activities.

Run: PYTHONPATH=. python bench/bench_match.py [--rows 100000] [--people 1000] [--profile 30]

Uses the same cached database as bench_search.py (built on first use, in bench/out/).
Prints p50/p95/p99/max of match() [target p95 < 100 ms], broken down by the kind of
request, and a few quality figures: how many people got no result, and how often someone
who gave interests saw a result that matches them.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
from typing import Any

from bench_search import (
    CPU_MS,
    NEEDS,
    TEXTS,
    bench_app,
    p95,
    sample_postcodes,
    summary,
    timed_cpu,
    verdict,
)

from spdirectory.matching import match, parse_person


def person_body(rng: random.Random, postcode: str) -> tuple[str, dict[str, Any]]:
    """(kind, a varied POST /match body)."""
    roll = rng.random()
    body: dict[str, Any] = {
        "max_distance_km": rng.choice([2, 3, 5, 5, 10, 10, 15, 25]),
        "limit": rng.choice([10, 10, 20]),
    }
    if roll < 0.15:
        kind = "remote only"
        body["modes"] = rng.choice([["online"], ["phone"], ["online", "phone"]])
        if rng.random() < 0.5:
            body["postcode"] = postcode
    else:
        kind = "in person" if roll < 0.3 else "any mode"
        body["modes"] = ["in_person"] if roll < 0.3 else ["in_person", "online", "phone"]
        body["postcode"] = postcode
    body["needs"] = rng.sample(NEEDS, rng.choice([0, 1, 1, 2, 2, 3]))
    if rng.random() < 0.5:
        body["interests"] = rng.choice(TEXTS)
        kind += " + interests"
    if rng.random() < 0.7:
        body["age"] = rng.randint(18, 90)
    if rng.random() < 0.4:
        body["availability"] = [
            {"day": day, "from": start, "to": end}
            for day, start, end in rng.sample(
                [
                    ("mon", "09:00", "12:00"),
                    ("tue", "09:00", "17:00"),
                    ("wed", "13:00", "17:00"),
                    ("thu", "17:00", "21:00"),
                    ("sat", "09:00", "17:00"),
                ],
                rng.randint(1, 3),
            )
        ]
    requires: dict[str, Any] = {}
    if rng.random() < 0.15:
        requires["wheelchair"] = True
    if rng.random() < 0.3:
        requires["free"] = True
    if rng.random() < 0.1:
        requires["languages"] = [rng.choice(["English", "Urdu", "Polish", "Punjabi"])]
    body["requires"] = requires
    return kind, body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database of its own to run on (its schema is replaced on first use)",
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="print the top N functions by time"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed + 1)

    with bench_app(args.rows, args.seed, args.database_url) as (_app, _db_file):
        from spdirectory.extensions import db

        people = []
        skipped = 0
        for postcode in sample_postcodes(rng, args.people):
            kind, body = person_body(rng, postcode)
            try:
                people.append((kind, body, parse_person(body)))
            except ValueError:  # e.g. a language the vocabulary does not know
                skipped += 1
        for _, _, person in people[:30]:
            match(person)  # warm-up, not counted
            db.session.rollback()

        profiler = cProfile.Profile() if args.profile else None
        all_ms: list[float] = []
        by_kind: dict[str, list[float]] = {}
        empty = 0
        counts: list[int] = []
        with_interests = interest_hit = 0
        slowest: list[tuple[float, dict[str, Any], int]] = []
        for kind, body, person in people:
            if profiler:
                profiler.enable()
            ms, results = timed_cpu(lambda p=person: match(p))
            if profiler:
                profiler.disable()
            db.session.rollback()
            all_ms.append(ms)
            by_kind.setdefault(kind, []).append(ms)
            counts.append(len(results))
            empty += not results
            slowest.append((ms, body, len(results)))
            if person.interests:
                with_interests += 1
                interest_hit += any(r.parts["interests"] > 0 for r in results)

    print(f"\nmatch ({len(people):,} people, in-process; {skipped} bodies rejected)")
    for kind in sorted(by_kind):
        print(f"  {kind:<24}{summary(by_kind[kind])}")
    print(f"  {'all':<24}{summary(all_ms)}")
    print(f"  {'all, CPU':<24}{summary(CPU_MS)}")
    value = p95(all_ms)
    print(f"  p95 {value:.1f} ms  [target < 100 ms: {verdict(value, 100)}]")
    print(
        f"  results per person: mean {sum(counts) / len(counts):.1f}; "
        f"{empty} people ({empty / len(counts):.0%}) got none"
    )
    if with_interests:
        print(
            f"  people who gave interests and saw at least one result matching them: "
            f"{interest_hit}/{with_interests} ({interest_hit / with_interests:.0%})"
        )
    print("  slowest:")
    for ms, body, n in sorted(slowest, key=lambda s: -s[0])[:5]:
        print(f"    {ms:7.1f} ms  {n:>2} results  {body}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
