"""OGC benchmark: Foncier's ``/ogc`` against tipg on the same 100 000 sites, side by side.

One run:

1. builds (or checks) the dataset: 100 000 published sites in ``foncier_bench``
   (``bench/datasets/sites100k.py``);
2. creates, idempotently, what the benchmark needs in that database: the view ``bench_ogc_sites``
   (exactly the public columns and scores Foncier's ``sites`` collection serves, for tipg and for
   ``ogr2ogr`` straight from PostGIS) and the GiST index on ``coalesce(geom, point)`` of live
   sites (both servers use it: the view inlines);
3. installs tipg from PyPI into its own virtualenv ``bench/.venv-tipg`` (never the project's);
4. starts both servers (one uvicorn worker each, no access log) and measures, alternating between
   them, the median over ``--repeat`` runs of: items pages of 10, 1 000 and 10 000 features, one
   item, a z8 and a z12 tile (tipg asked for the same tile properties), the raw ``ST_AsMVT``
   query through psycopg (in the same loop as the tile requests, so that all three see the same
   load), and the whole layer downloaded by ``ogr2ogr`` (GeoPackage) through OAPIF versus
   straight from PostGIS (skipped with ``--no-downloads``);
5. prints the figures and writes them into ``bench/README.md`` between ``<!-- ogc:begin -->`` and
   ``<!-- ogc:end -->`` (raw figures in ``bench/ogc/out/results.json``).

Run: ``bench/ogc/run.sh`` (or ``.venv/bin/python bench/ogc/run.py --help``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app.ogc.collections import COLLECTIONS  # noqa: E402
from bench.datasets.sites100k import DEFAULT_URL, build  # noqa: E402
from bench.serve import free_port, server  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
TIPG_VENV = ROOT / "bench" / ".venv-tipg"
README = ROOT / "bench" / "README.md"
BEGIN, END = "<!-- ogc:begin -->", "<!-- ogc:end -->"
VIEW = "bench_ogc_sites"
#: Lille (dense in Cartofriches): the z8 and z12 tiles measured.
LILLE = (3.063, 50.630)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """Return the z/x/y of the WebMercatorQuad tile holding a point."""
    n = 1 << z
    rad = math.radians(lat)
    y = int((1 - math.log(math.tan(rad) + 1 / math.cos(rad)) / math.pi) / 2 * n)
    return z, int((lon + 180) / 360 * n), y


def prepare_database(dsn: str) -> None:
    """Create the benchmark view and index (idempotent)."""
    sites = COLLECTIONS["sites"]
    cols = ",\n  ".join(f'{p.sql} AS "{p.name}"' for p in sites.props if p.name != "site_id")
    view = f"""
        CREATE OR REPLACE VIEW {VIEW} AS
        SELECT s.site_id, {sites.geom_sql} AS geom,
          {cols}
        FROM {sites.from_sql} WHERE {sites.where_sql}
    """
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP VIEW IF EXISTS {VIEW}")
        conn.execute(view)
        conn.execute(
            "CREATE INDEX IF NOT EXISTS ix_site_live_geom ON site USING gist "
            "(coalesce(geom, point)) WHERE published AND deleted_at IS NULL"
        )
        conn.execute("ANALYZE site")


def ensure_tipg() -> Path:
    """Install tipg into bench/.venv-tipg if missing; return its python."""
    python = TIPG_VENV / "bin" / "python"
    if not python.exists():
        print("installing tipg into bench/.venv-tipg", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "tipg", "uvicorn"], check=True)
    version = subprocess.run(
        [str(python), "-c", "import tipg; print(tipg.__version__)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"tipg {version}", flush=True)
    return python


#: The raw query anyone would write for a sites tile (``z``, ``x``, ``y`` bound).
RAW_TILE_SQL = (
    "WITH t AS (SELECT site_id AS id, "
    + ", ".join(f'"{p}"' for p in COLLECTIONS["sites"].tile_props)
    + ", ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s),"
    " 4096, 64, true) AS geom FROM " + VIEW + " WHERE geom && "
    "ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 64.0 / 4096), 4326)"
    ") SELECT ST_AsMVT(t.*, 'sites', 4096, 'geom') FROM t"
)


_CONNECTIONS: dict[int, http.client.HTTPConnection] = {}


def fetch(port: int, path: str, gzip: bool = False) -> tuple[int, bytes]:
    """GET a path on a keep-alive connection; return (status, body as received)."""
    try:
        return _fetch(port, path, gzip)
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        return _fetch(port, path, gzip)  # the server closed an idle keep-alive connection


def _fetch(port: int, path: str, gzip: bool) -> tuple[int, bytes]:
    conn = _CONNECTIONS.get(port)
    if conn is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        _CONNECTIONS[port] = conn
    # tipg answers a plain JSON list to "application/json": ask both for GeoJSON.
    headers = {"Accept-Encoding": "gzip" if gzip else "identity", "Accept": "application/geo+json"}
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    except (http.client.HTTPException, OSError):
        conn.close()
        _CONNECTIONS.pop(port, None)
        raise


def timed(fn: Callable[[], Any]) -> float:
    """Return the wall time of one call, in seconds."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def median_of(samples: list[float]) -> float:
    """Return the median."""
    return statistics.median(samples)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build, start both servers, measure; return the results."""
    url = args.db_url
    build(url, target=args.sites)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    prepare_database(dsn)
    tipg_python = ensure_tipg()

    ours_port, tipg_port = free_port(), free_port()
    ours_cmd = [
        sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
        "--port", str(ours_port), "--no-access-log", "--log-level", "warning",
        "--timeout-keep-alive", "120",
    ]  # fmt: skip
    tipg_cmd = [
        str(tipg_python), "-m", "uvicorn", "tipg.main:app",
        "--port", str(tipg_port), "--no-access-log", "--log-level", "warning",
        "--timeout-keep-alive", "120",
    ]  # fmt: skip
    tipg_env = {
        "DATABASE_URL": dsn,
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": f'["public.{VIEW}"]',
        "TIPG_DB_FUNCTIONS": "[]",
        f"TIPG_TABLE_CONFIG__public_{VIEW}__pk": "site_id",
        f"TIPG_TABLE_CONFIG__public_{VIEW}__geomcol": "geom",
        f"TIPG_TABLE_CONFIG__public_{VIEW}__datetimecol": "site_actu_date",
        "TIPG_MAX_FEATURES_PER_QUERY": "10000",
        "TIPG_DEBUG": "FALSE",
    }
    ours_env = {"FONCIER_DATABASE_URL": url}
    tile_props = ",".join(COLLECTIONS["sites"].tile_props)
    z8, z12 = tile_of(*LILLE, 8), tile_of(*LILLE, 12)
    results: dict[str, Any] = {"cases": [], "downloads": []}

    with (
        server(ours_cmd, ours_env, "/ogc", ours_port),
        server(tipg_cmd, tipg_env, "/collections", tipg_port),
        psycopg.connect(dsn) as raw_conn,
    ):
        status, body = fetch(tipg_port, f"/collections/public.{VIEW}/items?limit=1")
        assert status == 200, body[:300]
        first_id = json.loads(body)["features"][0]["id"]
        ours_items = "/ogc/collections/sites/items"
        tipg_items = f"/collections/public.{VIEW}/items"
        # (label, our path, tipg's path, features, gzip, parameters of the raw tile query)
        cases: list[tuple[str, str, str, int, bool, dict[str, int] | None]] = []
        for limit in (10, 1000, 10000):
            q = urlencode({"limit": limit})
            cases.append(
                (
                    f"items, {limit} features",
                    f"{ours_items}?{q}",
                    f"{tipg_items}?{q}",
                    limit,
                    False,
                    None,
                )
            )
        for limit in (1000, 10000):
            q = urlencode({"limit": limit})
            cases.append(
                (
                    f"items, {limit} features, gzip",
                    f"{ours_items}?{q}",
                    f"{tipg_items}?{q}",
                    limit,
                    True,
                    None,
                )
            )
        cases.append(
            ("one item", f"{ours_items}/{first_id}", f"{tipg_items}/{first_id}", 1, False, None)
        )
        for name, (z, x, y) in (("z8", z8), ("z12", z12)):
            cases.append(
                (
                    f"tile {name} ({z}/{x}/{y})",
                    f"/ogc/collections/sites/tiles/WebMercatorQuad/{z}/{x}/{y}",
                    f"/collections/public.{VIEW}/tiles/WebMercatorQuad/{z}/{x}/{y}?"
                    + urlencode({"properties": tile_props}),
                    0,
                    False,
                    {"z": z, "x": x, "y": y},
                )
            )  # fmt: skip
        for label, ours_path, tipg_path, n, gzip, raw in cases:
            for port, path in ((ours_port, ours_path), (tipg_port, tipg_path)):
                status, body = fetch(port, path, gzip)  # warm-up, and check
                assert status == 200, (path, status, body[:300])
            ours_t, tipg_t, raw_t = [], [], []
            size = {"ours": len(fetch(ours_port, ours_path, gzip)[1]),
                    "tipg": len(fetch(tipg_port, tipg_path, gzip)[1])}  # fmt: skip
            # The raw tile query, through psycopg (no HTTP), runs in the same loop as the two
            # servers: the three see the same load on a shared machine.
            if raw is not None:
                raw_conn.execute(RAW_TILE_SQL, raw).fetchone()
            for _ in range(args.repeat):
                ours_t.append(timed(lambda p=ours_path, g=gzip: fetch(ours_port, p, g)))
                tipg_t.append(timed(lambda p=tipg_path, g=gzip: fetch(tipg_port, p, g)))
                if raw is not None:
                    raw_t.append(timed(lambda r=raw: raw_conn.execute(RAW_TILE_SQL, r).fetchone()))
            row = {
                "case": label,
                "features": n,
                "ours_s": median_of(ours_t),
                "tipg_s": median_of(tipg_t),
                "ours_bytes": size["ours"],
                "tipg_bytes": size["tipg"],
                "ours_runs": ours_t,
                "tipg_runs": tipg_t,
            }
            row["speedup"] = row["tipg_s"] / row["ours_s"]
            results["cases"].append(row)
            print(
                f"{label:34} ours {row['ours_s'] * 1000:8.1f} ms   "
                f"tipg {row['tipg_s'] * 1000:8.1f} ms"
                f"   ×{row['speedup']:.2f}",
                flush=True,
            )
            if raw_t:
                row["raw_s"] = median_of(raw_t)
                row["raw_runs"] = raw_t
                print(
                    f"{'  raw ST_AsMVT (psycopg)':34} {row['raw_s'] * 1000:13.1f} ms   "
                    f"ours/raw ×{row['ours_s'] / row['raw_s']:.2f}",
                    flush=True,
                )

        if not args.no_downloads:
            results["downloads"] = whole_layer(url, ours_port, tipg_port, args)
    for row in results["downloads"]:
        row["vs_postgis"] = row["seconds"] / results["downloads"][0]["seconds"]
    results["meta"] = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "sites": args.sites,
        "repeat": args.repeat,
        "download_repeat": args.download_repeat,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_before": os.getloadavg()[0],
        "z8": z8,
        "z12": z12,
    }
    return results


def whole_layer(
    url: str, ours_port: int, tipg_port: int, args: argparse.Namespace
) -> list[dict[str, Any]]:
    """Time ``ogr2ogr`` of the whole sites layer: from PostGIS, through OAPIF, from files."""
    rows: list[dict[str, Any]] = []
    pg = make_url(url)
    pg_conn = (
        f"PG:host={pg.host or '127.0.0.1'} port={pg.port or 5432} "
        f"user={pg.username} dbname={pg.database}"
    )
    ours_oapif = f"OAPIF:http://127.0.0.1:{ours_port}/ogc"
    downloads = [
        ("ogr2ogr ← PostGIS (the view)", [pg_conn, VIEW]),
        ("ogr2ogr ← Foncier OAPIF, PAGE_SIZE=1000",
         [ours_oapif, "sites", "-oo", "PAGE_SIZE=1000"]),
        ("ogr2ogr ← Foncier OAPIF, PAGE_SIZE=10000",
         [ours_oapif, "sites", "-oo", "PAGE_SIZE=10000"]),
    ]  # fmt: skip
    if args.tipg_download:
        downloads.append(
            ("ogr2ogr ← tipg OAPIF, PAGE_SIZE=10000",
             [f"OAPIF:http://127.0.0.1:{tipg_port}", f"public.{VIEW}",
              "-oo", "PAGE_SIZE=10000"])
        )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for label, src in downloads:
            rows.append(download(label, src, Path(tmp), args.download_repeat))
        # The client's own floor: the same GeoJSON pages (10 000 features each), saved to
        # files first, then read by ogr2ogr with no server at all.
        pages = save_pages(ours_port, Path(tmp))
        rows.append(
            download("ogr2ogr ← the same GeoJSON pages from local files (client floor)",
                     pages, Path(tmp), args.download_repeat, append=True)
        )  # fmt: skip
    return rows


def save_pages(port: int, folder: Path) -> list[str]:
    """Save every page of 10 000 sites served by Foncier to files; return their paths."""
    paths: list[str] = []
    path = "/ogc/collections/sites/items?limit=10000"
    while path:
        status, body = fetch(port, path)
        assert status == 200
        file = folder / f"page{len(paths):03d}.json"
        file.write_bytes(body)
        paths.append(str(file))
        nxt = [lk["href"] for lk in json.loads(body)["links"] if lk["rel"] == "next"]
        path = nxt[0].split(f":{port}", 1)[1] if nxt else ""
    return paths


def download(
    label: str, src: list[str], folder: Path, repeat: int, *, append: bool = False
) -> dict[str, Any]:
    """Time ``ogr2ogr -f GPKG`` of a source (or of files appended one by one); count features."""
    runs, count = [], 0
    for i in range(repeat):
        out = folder / f"d{i}.gpkg"
        if append:
            cmds = [["ogr2ogr", "-f", "GPKG", str(out), src[0], "-nln", "sites"]]
            cmds += [["ogr2ogr", "-append", str(out), p, "-nln", "sites"] for p in src[1:]]
        else:
            cmds = [["ogr2ogr", "-f", "GPKG", str(out), *src, "-nln", "sites"]]
        t0 = time.perf_counter()
        for cmd in cmds:
            subprocess.run(cmd, check=True)
        runs.append(time.perf_counter() - t0)
        info = subprocess.run(
            ["ogrinfo", "-ro", "-so", str(out), "sites"], check=True, capture_output=True, text=True
        ).stdout
        count = int(info.split("Feature Count: ")[1].split()[0])
        out.unlink()
    row = {"case": label, "seconds": median_of(runs), "runs": runs, "features": count}
    print(f"{label:44} {row['seconds']:7.2f} s  ({count} features)", flush=True)
    return row


def write_readme(results: dict[str, Any]) -> None:
    """Replace the figures between the OGC markers of bench/README.md."""
    meta = results["meta"]
    lines = [
        BEGIN,
        "",
        f"Measured {meta['date']} on {meta['cpus']} shared CPUs, {meta['sites']} sites, median of "
        f"{meta['repeat']} requests per case ({meta['download_repeat']} runs per download), "
        "`Accept-Encoding: identity` unless *gzip*.",
        "",
        "| Case | Foncier | tipg | Foncier vs tipg | Foncier bytes | tipg bytes |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in results["cases"]:
        lines.append(
            f"| {row['case']} | {row['ours_s'] * 1000:.1f} ms | {row['tipg_s'] * 1000:.1f} ms | "
            f"**{row['speedup']:.2f}×** | {row['ours_bytes']:,} | {row['tipg_bytes']:,} |"
        )
    lines += [
        "",
        "| Tile | Foncier (HTTP) | raw `ST_AsMVT` (psycopg) | Foncier / raw |",
        "|---|---:|---:|---:|",
    ]
    for row in results["cases"]:
        if "raw_s" in row:
            lines.append(
                f"| {row['case']} | {row['ours_s'] * 1000:.1f} ms | {row['raw_s'] * 1000:.1f} ms | "
                f"{row['ours_s'] / row['raw_s']:.2f}× |"
            )
    lines += [
        "",
        "| Whole sites layer to GeoPackage | Time | Features | vs PostGIS |",
        "|---|---:|---:|---:|",
    ]
    for row in results["downloads"]:
        lines.append(
            f"| {row['case']} | {row['seconds']:.2f} s | {row['features']:,} | "
            f"{row['vs_postgis']:.2f}× |"
        )
    lines += ["", END]
    text = README.read_text()
    block = "\n".join(lines)
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    README.write_text(text)


def main(argv: list[str] | None = None) -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--sites", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7, help="requests per case (median)")
    parser.add_argument("--download-repeat", type=int, default=3, help="runs per ogr2ogr download")
    parser.add_argument("--tipg-download", action="store_true", help="also ogr2ogr through tipg")
    parser.add_argument("--no-readme", action="store_true", help="do not update bench/README.md")
    parser.add_argument(
        "--no-downloads",
        action="store_true",
        help="requests only: no ogr2ogr (implies --no-readme)",
    )
    args = parser.parse_args(argv)
    if not shutil.which("ogr2ogr"):
        raise SystemExit("ogr2ogr is missing: apt-get install -y gdal-bin")
    results = run(args)
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    if not args.no_readme and not args.no_downloads:
        write_readme(results)


if __name__ == "__main__":
    main()
