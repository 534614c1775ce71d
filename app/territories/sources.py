"""Readers of the reference files in data/ (formats described in their SOURCES.md)."""

import csv
import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def open_text(path: Path) -> io.TextIOBase:
    """Open a text file, gzip-compressed or not, as UTF-8 (BOM tolerated)."""
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path), encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")  # type: ignore[return-value]


def features(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the features of a GeoJSON FeatureCollection file."""
    with open_text(path) as fh:
        yield from json.load(fh)["features"]


def csv_rows(path: Path) -> Iterator[dict[str, str]]:
    """Yield the rows of a CSV file as dicts."""
    with open_text(path) as fh:
        yield from csv.DictReader(fh)


def strip_com(code: str) -> str:
    """``com91216`` → ``91216`` (the france-geojson layers prefix every code with 'com')."""
    return code[3:] if code.startswith("com") else code
