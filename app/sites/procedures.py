"""The procedures catalogue (DOMAIN.md §5), loaded from app/data/procedures.csv."""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROCEDURES_PATH = Path(__file__).resolve().parent.parent / "data" / "procedures.csv"


@dataclass(frozen=True)
class ProcedureSpec:
    """One procedure: its code, name, prerequisites text and durations in months."""

    code: str
    name: str
    needs: str
    min_months: float | None
    typical_months: float | None
    max_months: float | None
    delays: str


def _num(value: str) -> float | None:
    return float(value) if value.strip() else None


@cache
def catalogue() -> dict[str, ProcedureSpec]:
    """Return the procedures by code, in the table's order."""
    with PROCEDURES_PATH.open(encoding="utf-8") as fh:
        return {
            row["code"]: ProcedureSpec(
                row["code"],
                row["name"],
                row["needs"],
                _num(row["min_months"]),
                _num(row["typical_months"]),
                _num(row["max_months"]),
                row["delays"],
            )
            for row in csv.DictReader(fh)
        }
