"""Benchmark dataset: 100 000 published sites, the real Cartofriches sites replicated.

``build()`` makes a migrated database (``foncier_bench`` by default) hold exactly ``target``
published, live sites:

1. the database is created and migrated if needed (``foncier db upgrade``);
2. the reference territories are loaded if the ``commune`` table is empty (sites reference their
   commune);
3. the 23 878 sites of the national Cartofriches list
   (``data/friches/cartofriches/derived_f.xy_2024-03-10.csv.gz``) are imported with
   ``foncier import friches`` if they are not there (rows the importer quarantines are skipped:
   about 23 800 land);
4. copies are added in SQL until ``target`` sites exist: copy *k* of a site has the id
   ``<site_id>~k`` and its geometries moved by (0.011·k°, 0.007·k°) — about a kilometre per copy,
   so copies stay in their commune, département and tiles' neighbourhood; every other column is
   copied as is, published;
5. ``ANALYZE``.

It is idempotent: a database that already holds ``target`` sites is left alone (a few seconds),
and a different target replaces the copies only. Other benchmarks reuse it::

    from bench.datasets.sites100k import build
    build("postgresql+psycopg://postgres@127.0.0.1:5432/foncier_bench")

CLI: ``.venv/bin/python -m bench.datasets.sites100k [--db-url URL] [--target N]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
CARTOFRICHES = ROOT / "data" / "friches" / "cartofriches" / "derived_f.xy_2024-03-10.csv.gz"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/foncier_bench"
TARGET = 100_000
#: Copy k moves a site by (DX·k, DY·k) degrees.
DX, DY = 0.011, 0.007
COPY_MARK = "~"


def _say(message: str, started: float) -> None:
    print(f"[sites100k {time.monotonic() - started:6.1f}s] {message}", flush=True)


def _foncier(url: str, *args: str) -> None:
    env = {**os.environ, "FONCIER_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, check=True)


def _ensure_database(url: str) -> None:
    from app.db.admin import create_database

    create_database(url, drop_first=False)


def _columns(conn: object) -> list[str]:
    rows = conn.execute(  # type: ignore[attr-defined]
        text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = 'site' AND is_generated = 'NEVER' AND column_name <> 'id' "
            "ORDER BY ordinal_position"
        )
    )
    return [r[0] for r in rows]


def build(url: str = DEFAULT_URL, *, target: int = TARGET) -> int:
    """Make the database at ``url`` hold ``target`` published sites; return how many it holds."""
    started = time.monotonic()
    name = make_url(url).database or ""
    if name in ("foncier", "") or name.startswith("foncier_test"):
        raise SystemExit(f"refusing to build the benchmark dataset in {name!r}")
    _ensure_database(url)
    _say(f"database {name}: migrating", started)
    _foncier(url, "db", "upgrade")
    engine = create_engine(url)
    live = "published AND deleted_at IS NULL"
    with engine.begin() as conn:
        total = conn.execute(text(f"SELECT count(*) FROM site WHERE {live}")).scalar_one()
    if total == target:
        _say(f"{total} sites already there: nothing to do", started)
        return int(total)

    with engine.begin() as conn:
        communes = conn.execute(text("SELECT count(*) FROM commune")).scalar_one()
    if not communes:
        _say("loading the reference territories (communes, EPCI, …)", started)
        from app.db import session_scope
        from app.territories.service import load_territories

        with session_scope(engine) as session:
            counts = load_territories(session, data_dir=ROOT / "data", progress=_progress)
        _say(f"territories loaded: {counts.communes} communes", started)

    with engine.begin() as conn:
        originals = conn.execute(
            text(f"SELECT count(*) FROM site WHERE {live} AND site_id NOT LIKE '%{COPY_MARK}%'")
        ).scalar_one()
    if originals < 20_000:
        _say(f"importing the Cartofriches national list ({CARTOFRICHES.name})", started)
        _foncier(url, "import", "friches", str(CARTOFRICHES))
    with engine.begin() as conn:
        originals = conn.execute(
            text(f"SELECT count(*) FROM site WHERE {live} AND site_id NOT LIKE '%{COPY_MARK}%'")
        ).scalar_one()
        _say(f"{originals} original sites; replacing the copies", started)
        conn.execute(text(f"DELETE FROM site WHERE site_id LIKE '%{COPY_MARK}%'"))
        columns = _columns(conn)
        copies = 0
        k = 1
        while originals + copies < target:
            wanted = min(originals, target - originals - copies)
            values = []
            for col in columns:
                if col == "site_id":
                    values.append(f"s.site_id || '{COPY_MARK}{k}'")
                elif col in ("geom", "point"):
                    values.append(f"ST_Translate(s.{col}, {DX * k}, {DY * k})")
                elif col in ("created_at", "updated_at"):
                    values.append("now()")
                else:
                    values.append(f"s.{col}")
            conn.execute(
                text(
                    f"INSERT INTO site ({', '.join(columns)}) "
                    f"SELECT {', '.join(values)} FROM site s "
                    f"WHERE s.{live.replace('deleted_at', 's.deleted_at')} "
                    f"AND s.site_id NOT LIKE '%{COPY_MARK}%' ORDER BY s.site_id LIMIT :n"
                ),
                {"n": wanted},
            )
            copies += wanted
            _say(f"copy {k}: {wanted} sites ({originals + copies}/{target})", started)
            k += 1
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE site"))
        total = conn.execute(text(f"SELECT count(*) FROM site WHERE {live}")).scalar_one()
    _say(f"done: {total} published sites", started)
    engine.dispose()
    return int(total)


def _progress(items, label):  # type: ignore[no-untyped-def]
    """Print one line per labelled step (the territory loader's progress callback)."""
    print(f"  … {label}", flush=True)
    return items


def main(argv: list[str] | None = None) -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--target", type=int, default=TARGET)
    args = parser.parse_args(argv)
    build(args.db_url, target=args.target)


if __name__ == "__main__":
    main()
