"""Matching benchmark: ``POST /api/v1/matches`` over HTTP against the raw SQL, side by side.

On 100 000 sites (the real Cartofriches sites replicated, ``bench/datasets/sites100k.py``) with
their derived figures (time to permits per ICPE regime, labour pool), 20 requirement profiles from
small (one EPCI) to broad (all of France, many soft criteria) are run in turns:

- **api**: ``POST /api/v1/matches?limit=20`` on a real uvicorn server (one worker, keep-alive
  HTTP client), the whole answer read: ranking, explanation of the 20 sites (criteria, time to
  permits, ZAN, mutability), JSON;
- **sql**: the ranking statement the service runs (same filtering, scoring and ordering, same
  bound values), executed by psycopg straight on PostgreSQL and fetched.

Each profile is warmed up, then timed ``--repeat`` times per side, the two sides interleaved so
that background noise hits both alike. Reported: p50 and p95 per profile and side, the ratio
api/sql, and over all requests of all profiles. Goal (issue 4): p95 ≤ 100 ms and api ≤ 1.5× sql.

Run: ``bench/matching/run.sh`` (``--help`` for options). Figures go to ``out/results.json`` and
into ``bench/README.md`` between ``<!-- matching:begin -->`` and ``<!-- matching:end -->``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import urllib.parse
from contextlib import closing
from http import client
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.matching import criteria as c  # noqa: E402
from app.matching import sql as match_sql  # noqa: E402
from bench.serve import free_port, server  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
README = ROOT / "bench" / "README.md"
DEFAULT_DB = "foncier_bench"  # shared with bench/ogc (bench/datasets/sites100k.py)

#: From small to broad. Location codes are real: Ardennes (08), CA Ardenne Métropole,
#: Grand Est (44), Hauts-de-France (32), Auvergne-Rhône-Alpes (84), Lyon, Paris.
PROFILES: list[tuple[str, dict[str, Any]]] = [
    (
        "one EPCI, surface",
        {
            "criteria": {
                "surface_ha": {"min": 1, "must": True},
                "location": {"epcis": ["200041630"]},
            }
        },
    ),
    (
        "one EPCI, friches only",
        {
            "criteria": {
                "kinds": {"values": ["friche"], "must": True},
                "location": {"epcis": ["200041630"]},
            }
        },
    ),
    (
        "5 km circle",
        {"criteria": {"location": {"point": {"lon": 4.72, "lat": 49.77}, "radius_km": 5}}},
    ),
    (
        "one département, 3 criteria",
        {
            "icpe": "enregistrement",
            "criteria": {
                "surface_ha": {"min": 2, "max": 50, "must": True},
                "months_to_permits": {"max": 12},
                "friche_preference": {"weight": 2},
                "location": {"departements": ["08"]},
            },
        },
    ),
    (
        "one département, must power",
        {"criteria": {"power_mw": {"min": 5, "must": True}, "location": {"departements": ["59"]}}},
    ),
    (
        "20 km circle, labour",
        {
            "criteria": {
                "labour_pool": {"radius_km": 20, "min": 50000},
                "location": {"point": {"lon": 4.85, "lat": 45.75}, "radius_km": 20},
            }
        },
    ),
    (
        "two départements",
        {"criteria": {"surface_ha": {"min": 5}, "location": {"departements": ["69", "38"]}}},
    ),
    (
        "Hauts-de-France, motorway",
        {"criteria": {"motorway_km": {"max": 10}, "location": {"regions": ["32"]}}},
    ),
    (
        "one région, 5 criteria",
        {
            "icpe": "autorisation",
            "criteria": {
                "surface_ha": {"min": 5, "max": 100},
                "months_to_permits": {"max": 24, "weight": 3},
                "labour_pool": {"radius_km": 30, "min": 100000},
                "friche_preference": {"weight": 2},
                "kinds": {"values": ["friche", "turnkey"]},
                "location": {"regions": ["84"]},
            },
        },
    ),
    (
        "50 km circle, must surface",
        {
            "criteria": {
                "surface_ha": {"min": 10, "must": True},
                "location": {"point": {"lon": 2.35, "lat": 48.85}, "radius_km": 50},
            }
        },
    ),
    ("France, must 50 ha", {"criteria": {"surface_ha": {"min": 50, "must": True}}}),
    (
        "France, must rail + 10 ha",
        {"criteria": {"rail_siding": {"must": True}, "surface_ha": {"min": 10, "must": True}}},
    ),
    (
        "France, friches ≥ 5 ha",
        {
            "criteria": {
                "kinds": {"values": ["friche"], "must": True},
                "surface_ha": {"min": 5, "must": True},
            }
        },
    ),
    (
        "France, permits ≤ 14 months",
        {
            "icpe": "declaration",
            "criteria": {"months_to_permits": {"max": 14, "must": True}, "surface_ha": {"min": 2}},
        },
    ),
    ("France, one soft criterion", {"criteria": {"surface_ha": {"min": 3, "max": 20}}}),
    ("France, labour 50 km", {"criteria": {"labour_pool": {"radius_km": 50, "min": 500000}}}),
    (
        "France, 4 soft criteria",
        {
            "icpe": "enregistrement",
            "criteria": {
                "surface_ha": {"min": 2, "max": 40},
                "months_to_permits": {"max": 12},
                "labour_pool": {"radius_km": 20, "min": 80000},
                "friche_preference": {"weight": 2},
            },
        },
    ),
    (
        "France, 8 soft criteria",
        {
            "icpe": "enregistrement",
            "criteria": {
                "surface_ha": {"min": 2, "max": 40},
                "buildings_m2": {"min": 2000},
                "power_mw": {"min": 5},
                "water_m3_day": {"min": 100},
                "gas": {},
                "rail_siding": {},
                "motorway_km": {"max": 10},
                "months_to_permits": {"max": 12},
            },
        },
    ),
    (
        "France, everything soft",
        {
            "icpe": "autorisation",
            "criteria": {
                "surface_ha": {"min": 2, "max": 40},
                "buildings_m2": {"min": 2000},
                "power_mw": {"min": 5},
                "water_m3_day": {"min": 100},
                "gas": {},
                "rail_siding": {},
                "motorway_km": {"max": 10},
                "freight_station_km": {"max": 20},
                "port_km": {"max": 50},
                "months_to_permits": {"max": 12},
                "available_by": {"date": "2027-06-30"},
                "kinds": {"values": ["friche", "turnkey"]},
                "friche_preference": {"weight": 2},
                "labour_pool": {"radius_km": 30, "min": 100000},
            },
        },
    ),
    (
        "France, why-not view",
        {
            "criteria": {"surface_ha": {"min": 20, "must": True}, "friche_preference": {}},
            "_include_excluded": True,
        },
    ),
]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def _requirements(body: dict[str, Any]) -> c.Requirements:
    """The typed requirements of a profile, as the service builds them (no DB needed)."""
    from app.matching.schemas import MatchRequest
    from app.matching.service import build_requirements

    return build_requirements(
        MatchRequest.model_validate({k: v for k, v in body.items() if not k.startswith("_")})
    )


def _psycopg_sql(compiled: match_sql.Compiled) -> tuple[str, dict[str, Any]]:
    """Turn ``:name`` placeholders into psycopg's ``%(name)s`` (same statement, same values)."""
    sql = compiled.sql.replace("%", "%%")
    for name in sorted(compiled.params, key=len, reverse=True):
        sql = sql.replace(f":{name}", f"%({name})s")
    return sql, compiled.params


def prepare(url: str, *, rebuild: bool) -> int:
    """Build the 100 000-site database if needed, and its derived figures; return site count."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from bench.datasets import sites100k

    if rebuild:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM site WHERE site_id LIKE '%~%'"))
        engine.dispose()
    sites100k.build(url)  # idempotent: a few seconds when the 100 000 sites are there
    engine = create_engine(url)
    with Session(engine) as session:
        n_sites = session.execute(text("SELECT count(*) FROM site")).scalar()
        n_derived = session.execute(text("SELECT count(*) FROM site_derived")).scalar()
        if n_derived < n_sites:
            from app.cli import _progress
            from app.derived import service as derived

            print(f"derived figures for {n_sites - n_derived} sites…", flush=True)
            derived.refresh_changed(session, progress=_progress)
            session.commit()
        session.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE site_match"))
    engine.dispose()
    return n_sites


def run(url: str, repeat: int, warmup: int) -> dict[str, Any]:
    """Time every profile on both sides; return the results."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
        "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    results = []
    # One keep-alive HTTP connection and one database connection for the whole run.
    with (
        server(cmd, {"FONCIER_DATABASE_URL": url}, "/health", port),
        closing(client.HTTPConnection("127.0.0.1", port, timeout=60)) as http,
        psycopg.connect(dsn) as conn,
    ):
        for name, body in PROFILES:
            include = bool(body.get("_include_excluded"))
            payload = {k: v for k, v in body.items() if not k.startswith("_")}
            query = urllib.parse.urlencode({"limit": 20, "include_excluded": str(include).lower()})
            encoded = json.dumps(payload).encode()
            req = _requirements(body)
            sql, sql_params = _psycopg_sql(
                match_sql.ranking(req, limit=20, offset=0, include_excluded=include)
            )
            api_ms: list[float] = []
            sql_ms: list[float] = []
            matched = None
            for i in range(warmup + repeat):
                t0 = time.perf_counter()
                http.request(
                    "POST",
                    f"/api/v1/matches?{query}",
                    body=encoded,
                    headers={"Content-Type": "application/json"},
                )
                response = http.getresponse()
                raw = response.read()
                if response.status != 200:
                    raise RuntimeError(f"{name}: HTTP {response.status} {raw[:300]!r}")
                answer = json.loads(raw)
                t1 = time.perf_counter()
                with conn.cursor() as cur:
                    cur.execute(sql, sql_params)
                    rows = cur.fetchall()
                t2 = time.perf_counter()
                conn.rollback()
                if i >= warmup:
                    api_ms.append((t1 - t0) * 1000)
                    sql_ms.append((t2 - t1) * 1000)
                matched = answer["numberMatched"]
                page = [row[1] for row in rows if row[0] is not None]
                assert [x["site_id"] for x in answer["results"]] == page
            entry = {
                "profile": name,
                "matched": matched,
                "api_p50": statistics.median(api_ms),
                "api_p95": _pct(api_ms, 0.95),
                "sql_p50": statistics.median(sql_ms),
                "sql_p95": _pct(sql_ms, 0.95),
                "api_ms": api_ms,
                "sql_ms": sql_ms,
            }
            entry["ratio_p50"] = entry["api_p50"] / entry["sql_p50"]
            results.append(entry)
            print(
                f"{name:32} matched {matched:>6}  api p50 {entry['api_p50']:6.1f} "
                f"p95 {entry['api_p95']:6.1f} ms | sql p50 {entry['sql_p50']:6.1f} "
                f"p95 {entry['sql_p95']:6.1f} ms | ×{entry['ratio_p50']:.2f}",
                flush=True,
            )
    all_api = [x for e in results for x in e["api_ms"]]
    all_sql = [x for e in results for x in e["sql_ms"]]
    return {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "repeat": repeat,
        "profiles": results,
        "overall": {
            "api_p50": statistics.median(all_api),
            "api_p95": _pct(all_api, 0.95),
            "sql_p50": statistics.median(all_sql),
            "sql_p95": _pct(all_sql, 0.95),
            "worst_profile_api_p95": max(e["api_p95"] for e in results),
            "worst_ratio_p50": max(e["ratio_p50"] for e in results),
        },
    }


def markdown(data: dict[str, Any], n_sites: int) -> str:
    """Render the figures as the README section."""
    o = data["overall"]
    lines = [
        f"Measured {data['when']} on {data['machine']}, "
        + f"{n_sites:,}".replace(",", " ")
        + f" sites, {data['repeat']} timed requests per profile and side "
        "(`bench/matching/run.sh`).",
        "",
        "| profile | sites matched | API p50 (ms) | API p95 (ms) | SQL p50 (ms) | SQL p95 (ms) "
        "| API / SQL (p50) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for e in data["profiles"]:
        lines.append(
            f"| {e['profile']} | {e['matched']} | {e['api_p50']:.1f} | {e['api_p95']:.1f} | "
            f"{e['sql_p50']:.1f} | {e['sql_p95']:.1f} | {e['ratio_p50']:.2f} |"
        )
    lines += [
        f"| **all requests** | | **{o['api_p50']:.1f}** | **{o['api_p95']:.1f}** | "
        f"**{o['sql_p50']:.1f}** | **{o['sql_p95']:.1f}** | "
        f"**{o['api_p50'] / o['sql_p50']:.2f}** |",
        "",
        f"Worst profile: API p95 {o['worst_profile_api_p95']:.1f} ms; worst API/SQL ratio "
        f"(p50) {o['worst_ratio_p50']:.2f}. Goal: p95 ≤ 100 ms and API ≤ 1.5× SQL.",
    ]
    return "\n".join(lines)


def _write_readme(section: str) -> None:
    begin, end = "<!-- matching:begin -->", "<!-- matching:end -->"
    text_ = README.read_text(encoding="utf-8")
    if begin in text_:
        head, rest = text_.split(begin, 1)
        _, tail = rest.split(end, 1)
        text_ = f"{head}{begin}\n{section}\n{end}{tail}"
    else:
        text_ += f"\n{begin}\n{section}\n{end}\n"
    README.write_text(text_, encoding="utf-8")


def main() -> None:
    """Command line: build if needed, run, print and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=DEFAULT_DB, help="benchmark database name")
    parser.add_argument("--repeat", type=int, default=40, help="timed requests per profile/side")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the 100 000 sites")
    parser.add_argument("--no-readme", action="store_true", help="do not touch bench/README.md")
    args = parser.parse_args()
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{args.db}"
    n_sites = prepare(url, rebuild=args.rebuild)
    data = run(url, args.repeat, args.warmup)
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    section = markdown(data, n_sites)
    print(section)
    if not args.no_readme:
        _write_readme(section)


if __name__ == "__main__":
    main()
