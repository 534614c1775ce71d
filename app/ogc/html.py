"""HTML views of the OGC resources, for browsing (``f=html`` or ``Accept: text/html``).

Plain HTML written with escaped f-strings: a title, the description, the links, and the documents'
content as lists and tables. No script and no external resource.
"""

from html import escape
from typing import Any

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;"
    "font-size:.9em;text-align:left;vertical-align:top}code{font-size:.9em}"
)


def _page(title: str, body: str) -> str:
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def _links(links: list[dict[str, Any]]) -> str:
    items = "".join(
        f"<li><a href='{escape(str(lk['href']))}'>{escape(str(lk.get('title') or lk['href']))}</a>"
        f" <code>{escape(str(lk['rel']))}</code>"
        f" <code>{escape(str(lk.get('type', '')))}</code></li>"
        for lk in links
        if not lk.get("templated")
    )
    return f"<h2>Links</h2><ul>{items}</ul>"


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return f"<code>{escape(str(value))}</code>"
    text = str(value)
    if text.startswith(("http://", "https://")):
        return f"<a href='{escape(text)}'>{escape(text)}</a>"
    return escape(text)


def document(title: str, doc: dict[str, Any]) -> str:
    """Render a landing page, collection, conformance or schema document."""
    parts = []
    if doc.get("description"):
        parts.append(f"<p>{escape(str(doc['description']))}</p>")
    if "conformsTo" in doc:
        items = "".join(f"<li>{_value(c)}</li>" for c in doc["conformsTo"])
        parts.append(f"<ul>{items}</ul>")
    if "collections" in doc:
        rows = "".join(
            f"<tr><td><a href='{escape(_self(c))}?f=html'>{escape(c['id'])}</a></td>"
            f"<td>{escape(c.get('title', ''))}</td><td>{escape(c.get('description', ''))}</td></tr>"
            for c in doc["collections"]
        )
        parts.append(f"<table><tr><th>id</th><th>title</th><th>description</th></tr>{rows}</table>")
    if "properties" in doc and isinstance(doc["properties"], dict):
        rows = "".join(
            f"<tr><td>{escape(name)}</td><td>{escape(str(p.get('type', '')))}</td>"
            f"<td>{escape(str(p.get('format', '')))}</td></tr>"
            for name, p in doc["properties"].items()
        )
        parts.append(f"<table><tr><th>property</th><th>type</th><th>format</th></tr>{rows}</table>")
    for key in ("extent", "crs", "storageCrs"):
        if key in doc:
            parts.append(f"<p><b>{key}</b>: {_value(doc[key])}</p>")
    parts.append(_links(doc.get("links", [])))
    return _page(title, "".join(parts))


def _self(doc: dict[str, Any]) -> str:
    for lk in doc.get("links", []):
        if lk.get("rel") == "self":
            return str(lk["href"])
    return ""


def features(title: str, collection: dict[str, Any]) -> str:
    """Render a FeatureCollection (or one Feature) as a table of properties."""
    feats = collection.get("features")
    if feats is None:
        feats = [collection]
    names: list[str] = []
    for feat in feats:
        for name in feat.get("properties") or {}:
            if name not in names:
                names.append(name)
    head = "".join(f"<th>{escape(n)}</th>" for n in ["id", "geometry", *names])
    rows = "".join(
        "<tr>"
        + f"<td>{escape(str(f.get('id')))}</td>"
        + f"<td>{escape(str((f.get('geometry') or {}).get('type', '')))}</td>"
        + "".join(f"<td>{_value((f.get('properties') or {}).get(n))}</td>" for n in names)
        + "</tr>"
        for f in feats
    )
    summary = ""
    if "numberMatched" in collection:
        summary = (
            f"<p>{collection['numberReturned']} of {collection['numberMatched']} features.</p>"
        )
    body = f"{summary}<table><tr>{head}</tr>{rows}</table>{_links(collection.get('links', []))}"
    return _page(title, body)
