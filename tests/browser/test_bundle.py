"""The committed bundle is the build of the committed sources, and the app serves it: the page
to browsers at /, the JSON landing to API clients."""

import hashlib
import json

from app import PROJECT_ROOT
from app.web import service

WEB = PROJECT_ROOT / "web"


def _source_hash() -> str:
    """The hash web/build.mjs writes into the manifest (same inputs, same order)."""
    files = ["build.mjs", "package.json", "package-lock.json", "tsconfig.json"]
    files += [p.relative_to(WEB).as_posix() for p in (WEB / "src").rglob("*") if p.is_file()]
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0")
        h.update((WEB / name).read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def test_committed_bundle_is_built_from_the_current_sources():
    manifest = service.manifest()
    assert manifest["source_hash"] == _source_hash(), (
        "app/web/static/bundle is stale: rebuild it with `make web` and commit the result"
    )
    assert (service.BUNDLE_DIR / "app.js").stat().st_size > 100_000
    assert (service.BUNDLE_DIR / "app.css").stat().st_size > 1_000


def test_browsers_get_the_page_and_api_clients_get_json(client):
    page = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'lang="fr"' in page.text
    version = service.manifest()["source_hash"][:12]
    assert f"/static/bundle/app.js?v={version}" in page.text
    assert "Accept" in page.headers["vary"]

    for accept in ("application/json", "*/*", None):
        r = client.get("/", headers={"Accept": accept} if accept else {})
        assert r.headers["content-type"].startswith("application/json"), accept
        assert {link["rel"] for link in r.json()["links"]} >= {
            "service-doc",
            "service-desc",
            "data",
        }


def test_client_routes_serve_the_page_and_the_assets_are_served(client):
    for path in ("/sites/08105_09", "/staff"):
        r = client.get(path)
        assert r.status_code == 200
        assert "/static/bundle/app.js" in r.text
    js = client.get("/static/bundle/app.js")
    assert js.status_code == 200
    assert "javascript" in js.headers["content-type"]
    assert client.get("/static/bundle/app.css").headers["content-type"].startswith("text/css")
    # The page loads nothing from another host: no CDN, no online basemap.
    for asset in (js.text, client.get("/static/bundle/app.css").text):
        assert "api.maptiler.com" not in asset and "tile.openstreetmap.org" not in asset
    assert json.loads((service.BUNDLE_DIR / "manifest.json").read_text())["maplibre_gl"]
