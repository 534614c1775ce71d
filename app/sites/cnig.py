"""The CNIG Friches v1.0.6 TableSchema (app/data), as enumerations and per-item checks.

DOMAIN.md §3: multi-valued fields are ``|``-separated, and some of the schema's own regexes are
pathologically slow or mis-anchored, so each item is checked on its own with a simple pattern.
"""

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data" / "cnig-friches-schema-v1.0.6.json"

#: Per-item patterns of the multi-valued fields (replacing the schema's whole-value regexes).
IDU_RE = re.compile(r"^(?:\d{2}|2[AB])\d{3}[0-9A-Z]{3}[0-9A-Z]{2}\d{4}$")
INSEE_RE = re.compile(r"^(?:\d{2}|2[AB])\d{3}$")
MULTI_ITEM_PATTERNS: dict[str, tuple[re.Pattern[str], str]] = {
    "site_url": (re.compile(r"^https?://\S+$"), "an http(s) URL"),
    "activite_code": (re.compile(r"^[A-Z]\d\d\.\d\d[A-Z]$"), "a NAF code such as C25.11Z"),
    "proprio_type": (re.compile(r"^[A-Z]\d[a-z]$"), "a catpro3 code such as P5a"),
    "unite_fonciere_refcad": (IDU_RE, "a 14-character cadastre IDU such as 08362000AL0212"),
}
MULTI_ITEM_ENUMS: dict[str, tuple[str, ...]] = {
    "bati_type": (
        "industriel",
        "commercial",
        "résidentiel",
        "secteur tertiaire",
        "inconnu",
        "autre",
        "sans objet",
    ),
    "proprio_personne": ("personne physique", "personne morale", "inconnu", "autre", "sans objet"),
}


@cache
def schema() -> dict[str, Any]:
    """Return the parsed CNIG Friches v1.0.6 TableSchema."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@cache
def enumerations() -> dict[str, tuple[str, ...]]:
    """Return the enumerated fields of the schema and their allowed values."""
    out: dict[str, tuple[str, ...]] = {}
    for field in schema()["fields"]:
        enum = field.get("constraints", {}).get("enum")
        if enum:
            out[field["name"]] = tuple(enum)
    return out


def field_names() -> list[str]:
    """Return the 51 CNIG column names in the schema's order."""
    return [f["name"] for f in schema()["fields"]]


def normalise_text(value: str) -> str:
    """Fold typographic apostrophes and surrounding blanks (a common deviation of real files)."""
    return value.replace("\u2019", "'").replace("\u02bc", "'").strip()


def check_multi(field: str, value: str) -> str:
    """Check each ``|``-separated item of a multi-valued field; return the normalised value."""
    items = [normalise_text(item) for item in value.split("|")]
    if field in MULTI_ITEM_ENUMS:
        allowed = MULTI_ITEM_ENUMS[field]
        for item in items:
            if item not in allowed:
                raise ValueError(f"item {item!r} is not one of: {', '.join(allowed)}")
    else:
        pattern, what = MULTI_ITEM_PATTERNS[field]
        for item in items:
            if not pattern.match(item):
                raise ValueError(f"item {item!r} is not {what}")
    return "|".join(items)
