"""A corpus of bad dataset inputs: each error must name the file and the column."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from planner.data import DataError, load_dataset

COUNTRIES = (
    "iso3,name,gdp,regime\nUSA,United States,25000,0.8\nCHN,China,18000,0.05\nKOR,Korea,1700,0.7\n"
)
SECTORS = (
    "sector,name,weight,category,headroom,premium,reshoring_cost\n"
    "C26,Electronics,1.0,strategic,0.25,0.2,0.5\nA01,Agriculture,0.0,other,0.25,0.1,0.5\n"
)
FLOWS = "importer,exporter,sector,value\nUSA,CHN,C26,30\nUSA,KOR,C26,10\nKOR,CHN,A01,5\n"
OUTPUT = "country,sector,gross_output\nUSA,C26,400\nKOR,C26,200\nCHN,C26,900\n"


def write(d: Path, countries=COUNTRIES, sectors=SECTORS, flows=FLOWS, output=None) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("countries", countries),
        ("sectors", sectors),
        ("flows", flows),
        ("output", output),
    ):
        if text is not None:
            (d / f"{name}.csv").write_text(text, encoding="utf-8")
    return d


def replace(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def _npz_without_data() -> bytes:
    import io

    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, country=np.array(["USA"]), sector=np.array(["C26"]), indptr=np.zeros(2, int))
    return buf.getvalue()


CASES: list[tuple[str, Callable[[Path], None], str, str, str]] = [
    (
        "negative flow",
        lambda d: write(d, flows=replace(FLOWS, ",30\n", ",-30\n")),
        "flows.csv",
        "value",
        "below 0",
    ),
    (
        "NaN flow",
        lambda d: write(d, flows=replace(FLOWS, ",30\n", ",NaN\n")),
        "flows.csv",
        "value",
        "missing value",
    ),
    (
        "empty flow value",
        lambda d: write(d, flows=replace(FLOWS, ",30\n", ",\n")),
        "flows.csv",
        "value",
        "missing value",
    ),
    (
        "infinite flow",
        lambda d: write(d, flows=replace(FLOWS, ",30\n", ",inf\n")),
        "flows.csv",
        "value",
        "infinite",
    ),
    (
        "text in value",
        lambda d: write(d, flows=replace(FLOWS, ",30\n", ",thirty\n")),
        "flows.csv",
        "value",
        "not a number",
    ),
    (
        "unknown importer",
        lambda d: write(d, flows=FLOWS + "XXX,CHN,C26,1\n"),
        "flows.csv",
        "importer",
        "not in the country table",
    ),
    (
        "unknown exporter",
        lambda d: write(d, flows=FLOWS + "USA,ZZZ,C26,1\n"),
        "flows.csv",
        "exporter",
        "not in the country table",
    ),
    (
        "unknown sector",
        lambda d: write(d, flows=FLOWS + "USA,CHN,C99,1\n"),
        "flows.csv",
        "sector",
        "not in the sector table",
    ),
    (
        "duplicate flow",
        lambda d: write(d, flows=FLOWS + "USA,CHN,C26,3\n"),
        "flows.csv",
        "importer+exporter+sector",
        "duplicate key",
    ),
    (
        "domestic row in flows",
        lambda d: write(d, flows=FLOWS + "USA,USA,C26,3\n"),
        "flows.csv",
        "exporter",
        "cross-border",
    ),
    (
        "missing value column",
        lambda d: write(d, flows=FLOWS.replace("value", "amount")),
        "flows.csv",
        "value",
        "required column is missing",
    ),
    (
        "duplicate country",
        lambda d: write(d, countries=COUNTRIES + "USA,Again,1,0.5\n"),
        "countries.csv",
        "iso3",
        "duplicate key",
    ),
    (
        "lower-case iso3",
        lambda d: write(d, countries=COUNTRIES + "jpn,Japan,4000,0.8\n"),
        "countries.csv",
        "iso3",
        "3 upper-case letters",
    ),
    (
        "regime above 1",
        lambda d: write(d, countries=replace(COUNTRIES, ",0.8\n", ",1.8\n")),
        "countries.csv",
        "regime",
        "above 1",
    ),
    (
        "negative gdp",
        lambda d: write(d, countries=replace(COUNTRIES, "25000", "-25000")),
        "countries.csv",
        "gdp",
        "below 0",
    ),
    (
        "missing regime column",
        lambda d: write(d, countries=COUNTRIES.replace("regime", "demo")),
        "countries.csv",
        "regime",
        "required column is missing",
    ),
    (
        "empty gdp",
        lambda d: write(d, countries=replace(COUNTRIES, "25000", "")),
        "countries.csv",
        "gdp",
        "missing value",
    ),
    (
        "weight above 1",
        lambda d: write(d, sectors=replace(SECTORS, ",1.0,", ",1.5,")),
        "sectors.csv",
        "weight",
        "above 1",
    ),
    (
        "negative weight",
        lambda d: write(d, sectors=replace(SECTORS, ",1.0,", ",-0.5,")),
        "sectors.csv",
        "weight",
        "below 0",
    ),
    (
        "unknown category",
        lambda d: write(d, sectors=replace(SECTORS, "strategic", "vital")),
        "sectors.csv",
        "category",
        "category must be one of",
    ),
    (
        "duplicate sector",
        lambda d: write(d, sectors=SECTORS + "C26,Again,1,other,0.2,0.1,0.5\n"),
        "sectors.csv",
        "sector",
        "duplicate key",
    ),
    (
        "negative headroom",
        lambda d: write(d, sectors=replace(SECTORS, "0.25", "-0.25")),
        "sectors.csv",
        "headroom",
        "below 0",
    ),
    (
        "output for unknown country",
        lambda d: write(d, output=OUTPUT + "XXX,C26,5\n"),
        "output.csv",
        "country",
        "not in the country table",
    ),
    (
        "negative gross output",
        lambda d: write(d, output=replace(OUTPUT, "400", "-400")),
        "output.csv",
        "gross_output",
        "below 0",
    ),
    (
        "missing flows file",
        lambda d: (write(d), (d / "flows.csv").unlink()),
        "flows.csv",
        "*",
        "required table missing",
    ),
    (
        "latin-1 encoded file",
        lambda d: (
            write(d),
            (d / "countries.csv").write_bytes(
                (COUNTRIES + "CIV,Côte d'Ivoire,70,0.4\n").encode("latin-1")
            ),
        ),
        "countries.csv",
        "*",
        "not UTF-8",
    ),
    (
        "truncated gzip",
        lambda d: (
            write(d),
            (d / "flows.csv").unlink(),
            (d / "flows.csv.gz").write_bytes(gzip.compress(FLOWS.encode())[:20]),
        ),
        "flows.csv.gz",
        "*",
        "cannot read",
    ),
    (
        "damaged network file",
        lambda d: (write(d), (d / "network.npz").write_bytes(b"PK\x03\x04 not a zip archive")),
        "network.npz",
        "*",
        "cannot read the network file",
    ),
    (
        "network file missing an array",
        lambda d: (write(d), (d / "network.npz").write_bytes(_npz_without_data())),
        "network.npz",
        "data",
        "missing",
    ),
    (
        "ragged csv row",
        lambda d: write(d, flows=FLOWS + "USA,CHN,A01,1,extra,more\n"),
        "flows.csv",
        "*",
        "cannot read",
    ),
]


@pytest.mark.parametrize(
    ("case", "make", "file", "column", "message"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_input_names_file_and_column(tmp_path, case, make, file, column, message):
    d = tmp_path / "ds"
    make(d)
    with pytest.raises(DataError) as err:
        load_dataset(d)
    assert file in err.value.files, str(err.value)
    assert column in err.value.columns, str(err.value)
    assert message in str(err.value)


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 20


def test_error_shows_first_offending_line(tmp_path):
    d = write(tmp_path / "ds", flows=FLOWS + "USA,CHN,A01,-1\nUSA,KOR,A01,-2\n")
    with pytest.raises(DataError) as err:
        load_dataset(d)
    assert "line 5: '-1'" in str(err.value) and "line 6: '-2'" in str(err.value)


def test_every_problem_is_reported_at_once(tmp_path):
    d = write(tmp_path / "ds", flows=FLOWS + "XXX,CHN,C26,-1\n")
    with pytest.raises(DataError) as err:
        load_dataset(d)
    assert {"importer", "value"} <= set(err.value.columns)


def test_valid_directory_loads_with_parquet_too(tmp_path):
    import pandas as pd

    d = write(tmp_path / "ds", output=OUTPUT)
    ds = load_dataset(d)
    assert len(ds.flows) == 3 and ds.gross_output()[("USA", "C26")] == 400
    assert ds.validate().ok
    pq = tmp_path / "pq"
    pq.mkdir()
    for name in ("countries", "sectors", "flows"):
        pd.read_csv(d / f"{name}.csv").to_parquet(pq / f"{name}.parquet")
    assert load_dataset(pq).flows["value"].sum() == 45.0


def test_missing_directory(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(tmp_path / "nope")
