"""The page shell and its built assets, versioned by the bundle's source hash."""

import json
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
BUNDLE_DIR = STATIC_DIR / "bundle"
MANIFEST = BUNDLE_DIR / "manifest.json"
PAGE = Path(__file__).parent / "page.html"


def manifest() -> dict[str, str]:
    """Return the build manifest written by ``web/build.mjs`` (source hash, tool versions)."""
    data: dict[str, str] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return data


def page_html() -> str:
    """Return the HTML shell of the single-page app, its asset URLs busted by the source hash
    (read per request: two small files, and a rebuilt bundle shows without a restart)."""
    version = manifest()["source_hash"][:12]
    return PAGE.read_text(encoding="utf-8").replace("{{version}}", version)


def wants_html(accept: str | None) -> bool:
    """True when the client asks for HTML (a browser), false for API clients (JSON, */*)."""
    if not accept:
        return False
    best_html = best_json = -1.0
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.strip().lower()
        if media in ("text/html", "application/xhtml+xml"):
            best_html = max(best_html, q)
        elif media in ("application/json", "application/geo+json"):
            best_json = max(best_json, q)
    return best_html > 0 and best_html >= best_json
