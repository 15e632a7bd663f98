"""Benchmark offline postcode lookups.

Run: PYTHONPATH=. python bench/bench_postcodes.py [--lookups 100000]

Prints the cost of loading one area cold, of preloading every area, the
memory that costs, and lookup throughput over random real postcodes.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
import tracemalloc

from spdirectory.geo.postcodes import PostcodeDatabase, normalise_postcode


def max_rss_mb() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rss_before = max_rss_mb()
    db = PostcodeDatabase()
    start = time.perf_counter()
    count = db.preload()
    elapsed = time.perf_counter() - start
    print(f"preload all {len(db.areas)} areas: {count:,} postcodes in {elapsed:.2f} s")
    print(
        f"memory: arrays {db.nbytes / 1e6:.1f} MB; "
        f"peak RSS {max_rss_mb():.0f} MB (was {rss_before:.0f} MB before preload)"
    )

    # tracemalloc slows parsing, so measure retained memory in a separate pass.
    tracemalloc.start()
    traced = PostcodeDatabase()
    traced.preload()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"tracemalloc: {current / 1e6:.1f} MB retained, {peak / 1e6:.1f} MB peak while loading")
    del traced

    # Cold first lookup per area, in a fresh database (includes building the
    # pyproj transformer for the first area only).
    cold = PostcodeDatabase()
    first_ms: dict[str, float] = {}
    for area in cold.areas:
        start = time.perf_counter()
        cold.try_lookup(f"{area}1 1AA")
        first_ms[area] = (time.perf_counter() - start) * 1000
    setup_area, setup_ms = next(iter(first_ms.items()))
    del first_ms[setup_area]
    worst = max(first_ms, key=first_ms.__getitem__)
    print(
        f"first lookup in an area: median {statistics.median(first_ms.values()):.0f} ms, "
        f"worst {first_ms[worst]:.0f} ms ({worst}); "
        f"very first ({setup_area}, incl. pyproj setup) {setup_ms:.0f} ms"
    )
    del cold

    rng = random.Random(args.seed)
    every = [pc for area in db.areas for pc in db.postcodes_in(area)]
    picks = rng.choices(every, k=args.lookups)
    # Users type postcodes untidily; time the normalisation path too.
    messy = [pc.lower().replace(" ", "") for pc in picks]

    for label, sample in (("normalised", picks), ("lower-case, no space", messy)):
        start = time.perf_counter()
        for postcode in sample:
            db.lookup(postcode)
        elapsed = time.perf_counter() - start
        print(
            f"lookup ({label}): {len(sample) / elapsed:,.0f}/s, "
            f"{elapsed / len(sample) * 1e6:.1f} µs each"
        )

    start = time.perf_counter()
    for postcode in picks:
        normalise_postcode(postcode)
    elapsed = time.perf_counter() - start
    print(f"normalise_postcode alone: {elapsed / len(picks) * 1e6:.1f} µs each")


if __name__ == "__main__":
    main()
