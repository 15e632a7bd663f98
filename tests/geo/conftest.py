"""Fixtures for the geo tests: the real bundled data and a tiny fake extract."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from spdirectory.geo import postcodes
from spdirectory.geo.postcodes import PostcodeDatabase, bundled_data_dir

# Real Code-Point Open coordinates (BNG eastings/northings) for a few rows of
# the fake extract, so the fixture's locations are realistic.
FIXTURE_LS = """\
LS6 4AB,10,428000,436500
LS1 1AZ,10,428811,433420
LS10 1AB,10,432652,429690
LS1 1BA,10,429317,433507
LS1 1ZZ,90,0,0
LS1 1AZ,10,1,1
LS2 9ZZ,10,1000000000000,1000000000000
LS1 ÄAZ,10,428811,433420
LS6 4AA,10,427900,436400
"""

# As Ordnance Survey publishes it: quoted, 7-character postcodes, extra columns.
FIXTURE_AB_OFFICIAL = """\
"AB101AB",10,394235,806529,"S92000003","","S08000020","","S12000033","S13002843"
"AB1 0AA",10,385386,801193,"S92000003","","S08000020","","S12000034","S13002864"
"AB43 1AG",90,0,0,"S92000003","","S08000020","","S12000034","S13002864"
"""

FIXTURE_B_OFFICIAL = """\
"B1  1AY",10,406523,286448,"E92000001","E19000001","E18000005","","E08000025","E05011151"
"""

# A header line forces the forgiving csv-module parser.
FIXTURE_BD_WITH_HEADER = """\
Postcode,Positional_quality_indicator,Eastings,Northings
BD1 1HY,10,416350,432917
not a postcode,10,416350,432917
BD1 1ZZ,10,416350
"""


@pytest.fixture(scope="session")
def bundled_db() -> PostcodeDatabase:
    """The real Code-Point Open data, shared so each area loads once per run."""
    return PostcodeDatabase(bundled_data_dir())


@pytest.fixture
def default_db(monkeypatch: pytest.MonkeyPatch, bundled_db: PostcodeDatabase) -> PostcodeDatabase:
    """Point the module-level functions at the real data, whatever the env says."""
    monkeypatch.setattr(postcodes, "_default", bundled_db)
    return bundled_db


@pytest.fixture(scope="session")
def fixture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("codepoint")
    (directory / "ls.csv.gz").write_bytes(gzip.compress(FIXTURE_LS.encode()))
    (directory / "ab.csv").write_text(FIXTURE_AB_OFFICIAL)
    (directory / "b.csv.gz").write_bytes(gzip.compress(FIXTURE_B_OFFICIAL.encode()))
    (directory / "bd.csv").write_text(FIXTURE_BD_WITH_HEADER)
    (directory / "ze.csv.gz").write_bytes(gzip.compress(b""))
    (directory / "README.txt").write_text("not data")
    return directory


@pytest.fixture
def fixture_db(fixture_dir: Path) -> PostcodeDatabase:
    return PostcodeDatabase(fixture_dir)
