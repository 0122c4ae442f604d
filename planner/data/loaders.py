"""Reading datasets and the raw formats analysts hold (BACI, V-Dem, WDI)."""

from __future__ import annotations

import csv
import hashlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from planner.data.dataset import Dataset
from planner.data.network import NETWORK_FILE
from planner.data.validation import DataError, ValidationReport, check_numbers

__all__ = [
    "dataset_sha256",
    "default_data_dir",
    "load_baci",
    "load_dataset",
    "load_vdem",
    "load_wdi",
    "read_table",
]

TABLES = ("countries", "sectors", "flows", "output", "domestic")
REQUIRED = ("countries", "sectors", "flows")
_TEXT_COLUMNS = {
    "iso3",
    "name",
    "sector",
    "importer",
    "exporter",
    "country",
    "category",
    "kind",
    "fills",
    "source",
    "bloc",
}


def default_data_dir() -> Path:
    """Where the shipped dataset lives.

    ``$PLANNER_DATA`` if set, else the repository's ``data/`` (source or editable install),
    else ``<prefix>/share/coalition-planner/data`` (wheel install).
    """
    env = os.environ.get("PLANNER_DATA")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2] / "data"
    if (repo / "flows.csv").exists():
        return repo
    return Path(sys.prefix) / "share" / "coalition-planner" / "data"


def _find(directory: Path, stem: str) -> Path | None:
    for suffix in (".csv", ".csv.gz", ".parquet"):
        p = directory / f"{stem}{suffix}"
        if p.exists():
            return p
    return None


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV (optionally gzipped) or Parquet table, every column as text for validation.

    Raises
    ------
    DataError
        The file is unreadable, truncated, not UTF-8, or not a table; the message names it.
    """
    path = Path(path)
    try:
        if path.suffix == ".parquet":
            df = pd.read_parquet(path)
            return df.astype({c: str for c in df.columns if c in _TEXT_COLUMNS})
        return pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            encoding="utf-8",
            quoting=csv.QUOTE_MINIMAL,
        )
    except UnicodeDecodeError as exc:
        raise DataError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8",
            file=path.name,
            column="*",
        ) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, EOFError, OSError, ValueError) as exc:
        raise DataError(f"cannot read the file: {exc}", file=path.name, column="*") from exc


def load_dataset(path: str | Path | None = None, regime: str = "libdem") -> Dataset:
    """Load and validate a dataset directory (the shipped default when ``path`` is None).

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A directory with ``countries``, ``sectors`` and ``flows`` tables (CSV, CSV.gz or
        Parquet) and optionally ``output``, ``domestic`` and the input-output network
        ``network.npz`` (validated here; the shipped one on first access of
        ``Dataset.network``); ``None`` or ``"default"`` for the
        shipped OECD ICIO 2022 dataset.
    regime : {"libdem", "polyarchy", "row_class"}
        Which democracy score ``countries["regime"]`` holds.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        A missing, unreadable or invalid file; each problem names the file, column and rows.
    """
    is_default = path is None or str(path) == "default"
    directory = default_data_dir() if is_default else Path(path)
    if not directory.is_dir():
        raise DataError(
            f"dataset directory {directory} does not exist", file=str(directory), column="*"
        )
    frames: dict[str, pd.DataFrame | None] = {}
    files: dict[str, str] = {}
    for stem in TABLES:
        p = _find(directory, stem)
        if p is None:
            if stem in REQUIRED:
                raise DataError(
                    f"required table missing: expected {stem}.csv, {stem}.csv.gz "
                    f"or {stem}.parquet in {directory}",
                    file=f"{stem}.csv",
                    column="*",
                )
            frames[stem] = None
            continue
        frames[stem] = read_table(p)
        files[stem] = p.name
    ds = Dataset.from_frames(
        frames["countries"],
        frames["sectors"],
        frames["flows"],
        frames["output"],
        frames["domestic"].rename(columns={"importer": "country"})
        if frames["domestic"] is not None
        else None,
        name="default" if is_default else directory.name,
        files=files,
        source=directory,
    )
    if (directory / NETWORK_FILE).exists():
        ds.network_file = directory / NETWORK_FILE
        if not is_default:  # a user's network is validated now; the shipped one on first use
            _ = ds.network
    for col in ("row_class", "row_class_year"):
        if col in ds.countries.columns:
            ds.countries[col] = pd.to_numeric(ds.countries[col], errors="coerce")
    for col in ("eu27", "g7", "oecd", "nato", "quad", "ipef", "d10", "filled"):
        if col in ds.countries.columns:
            ds.countries[col] = ds.countries[col].map(
                {"True": True, "False": False, True: True, False: False}
            )
    if "unga_ideal_point_2019" in ds.countries.columns:
        ds.countries["unga_ideal_point_2019"] = pd.to_numeric(
            ds.countries["unga_ideal_point_2019"], errors="coerce"
        )
    return ds if regime == "libdem" else ds.with_regime(regime)


def dataset_sha256(ds: Dataset) -> str:
    """A content hash of the dataset's tables (for run manifests).

    Parameters
    ----------
    ds : Dataset
        Any dataset (loaded from files or built from frames).

    Returns
    -------
    str
        The sha256 hex digest of the tables' content (countries, sectors, flows, output,
        domestic), independent of file names, formats and dates; ``summary.json``,
        ``manifest.json`` and ``planner info`` report it.
    """
    h = hashlib.sha256()
    for t in (ds.countries, ds.sectors, ds.flows, ds.output, ds.domestic):
        if t is not None:
            h.update(pd.util.hash_pandas_object(t, index=True).to_numpy().tobytes())
    return h.hexdigest()


# ---------------------------------------------------------------------- raw formats
def _concordance(concordance: Mapping[str, str] | pd.DataFrame | str | Path) -> pd.Series:
    if isinstance(concordance, (str, Path)):
        concordance = read_table(Path(concordance))
    if isinstance(concordance, pd.DataFrame):
        if not {"hs_prefix", "sector"} <= set(concordance.columns):
            raise DataError(
                "a concordance needs the columns hs_prefix and sector",
                file="concordance",
                column="hs_prefix",
            )
        concordance = dict(
            zip(
                concordance["hs_prefix"].astype(str), concordance["sector"].astype(str), strict=True
            )
        )
    conc = pd.Series(concordance, dtype=object)
    bad = [k for k in conc.index if not (str(k).isdigit() and 1 <= len(str(k)) <= 6)]
    if bad:
        raise DataError(
            f"HS prefixes must be 1 to 6 digits: {bad[:5]}", file="concordance", column="hs_prefix"
        )
    return conc


def map_hs_codes(
    codes: pd.Series,
    concordance: Mapping[str, str] | pd.DataFrame | str | Path,
    file: str = "BACI file",
) -> pd.Series:
    """Map 6-digit HS codes to sectors by the longest matching prefix of the concordance.

    Parameters
    ----------
    codes : pandas.Series
        HS codes (text or numbers; left-padded with zeros to 6 digits).
    concordance : mapping, DataFrame or path
        HS code prefix (1 to 6 digits) -> sector; a table needs the columns ``hs_prefix`` and
        ``sector``.
    file : str
        The file named in error messages.

    Returns
    -------
    pandas.Series
        The sector of each code, on the index of ``codes``.

    Raises
    ------
    DataError
        Codes that no prefix matches (the first few are named): nothing is dropped silently.
    """
    conc = _concordance(concordance)
    hs = codes.astype(str).str.strip().str.zfill(6)
    out = pd.Series(pd.NA, index=codes.index, dtype=object)
    for length in sorted({len(str(k)) for k in conc.index}, reverse=True):
        sub = {str(k): v for k, v in conc.items() if len(str(k)) == length}
        hit = out.isna() & hs.str[:length].isin(sub)
        out[hit] = hs[hit].str[:length].map(sub)
    missing = out.isna()
    if missing.any():
        report = ValidationReport()
        report.add(
            file, "k", "HS code not mapped to any sector by the concordance", missing.to_numpy(), hs
        )
        report.raise_if_any()
    return out.astype(str)


def load_baci(
    path: str | Path,
    country_codes: str | Path,
    concordance: Mapping[str, str] | pd.DataFrame | str | Path,
    year: int | None = None,
) -> pd.DataFrame:
    """Read a CEPII BACI HS6 file into flows (importer, exporter, sector, value in USD mn).

    Parameters
    ----------
    path : str or pathlib.Path
        BACI CSV with columns t, i, j, k, v, q (v in thousands of USD; i exporter, j importer).
    country_codes : str or pathlib.Path
        BACI's country-code file (country_code, ..., country_iso3).
    concordance : mapping, DataFrame or path
        HS code prefix -> sector (longest prefix wins); every code must be mapped.
    year : int, optional
        Keep this year only (``t``).

    Returns
    -------
    pandas.DataFrame
        The ``flows`` table: importer, exporter (ISO3), sector, value (USD mn), summed by
        (importer, exporter, sector) and sorted.

    Raises
    ------
    DataError
        A missing column, an unknown country code or an HS code the concordance does not map
        (naming the file, the column and the first rows).
    """
    path = Path(path)
    raw = read_table(path)
    need = ["t", "i", "j", "k", "v"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise DataError(
            f"BACI columns missing: {missing} (found {list(raw.columns)})",
            file=path.name,
            column=missing[0],
        )
    report = ValidationReport()
    value = check_numbers(report, path.name, raw["v"], low=0.0)
    report.raise_if_any()
    if year is not None:
        keep = raw["t"].astype(str).str.strip() == str(year)
        raw, value = raw[keep], value[keep]
    codes = read_table(Path(country_codes))
    if not {"country_code", "country_iso3"} <= set(codes.columns):
        raise DataError(
            "the BACI country-code file needs country_code and country_iso3",
            file=Path(country_codes).name,
            column="country_iso3",
        )
    iso = dict(
        zip(codes["country_code"].str.strip(), codes["country_iso3"].str.strip(), strict=True)
    )
    for col in ("i", "j"):
        unknown = ~raw[col].str.strip().isin(iso)
        if unknown.any():
            r = ValidationReport()
            r.add(
                path.name,
                col,
                "country code not in the BACI country-code file",
                unknown.to_numpy(),
                raw[col],
            )
            r.raise_if_any()
    sector = map_hs_codes(raw["k"], concordance, file=path.name)
    flows = pd.DataFrame(
        {
            "importer": raw["j"].str.strip().map(iso).to_numpy(),
            "exporter": raw["i"].str.strip().map(iso).to_numpy(),
            "sector": sector.to_numpy(),
            "value": value.to_numpy() / 1000.0,  # USD thousands -> USD millions
        }
    )
    return flows.groupby(["importer", "exporter", "sector"], as_index=False, sort=True)[
        "value"
    ].sum()


def load_vdem(path: str | Path, year: int, measure: str = "v2x_libdem") -> pd.Series:
    """A V-Dem extract's score per ISO3 code for one year (columns country_text_id, year, ...).

    Parameters
    ----------
    path : str or pathlib.Path
        A V-Dem CSV extract.
    year : int
        The year to keep.
    measure : str
        The V-Dem variable, e.g. ``v2x_libdem`` (liberal democracy) or ``v2x_polyarchy``.

    Returns
    -------
    pandas.Series
        ISO3 code -> score in [0, 1], named ``measure``.
    """
    path = Path(path)
    df = read_table(path)
    for col in ("country_text_id", "year", measure):
        if col not in df.columns:
            raise DataError(
                f"column missing (found {list(df.columns)})", file=path.name, column=col
            )
    df = df[df["year"].str.strip() == str(year)]
    report = ValidationReport()
    vals = check_numbers(report, path.name, df[measure].reset_index(drop=True), low=0, high=1)
    report.raise_if_any()
    return pd.Series(vals.to_numpy(), index=df["country_text_id"].to_numpy(), name=measure)


def load_wdi(path: str | Path, year: int) -> pd.Series:
    """GDP (or any indicator) per ISO3 code from a World Bank CSV (4 header lines), in millions.

    Parameters
    ----------
    path : str or pathlib.Path
        A World Development Indicators download (e.g. NY.GDP.MKTP.CD, current USD).
    year : int
        The year's column to read.

    Returns
    -------
    pandas.Series
        ISO3 code -> value / 1e6 (USD mn for GDP); NaN where the year is missing.
    """
    path = Path(path)
    try:
        df = pd.read_csv(path, skiprows=4, dtype={"Country Code": str})
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"cannot read the file: {exc}", file=path.name, column="*") from exc
    if "Country Code" not in df.columns or str(year) not in df.columns:
        raise DataError(
            f"expected 'Country Code' and a '{year}' column", file=path.name, column=str(year)
        )
    vals = pd.to_numeric(df[str(year)], errors="coerce") / 1e6
    return pd.Series(
        vals.to_numpy(), index=df["Country Code"].to_numpy(), name=f"gdp_{year}", dtype=float
    ).replace([np.inf, -np.inf], np.nan)
