"""Browser tests: a real uvicorn server on a free port against the test database, driven by
Debian's Chromium through Playwright (``/usr/bin/chromium``; Playwright's own browser download
is not used). The server sees only committed data: what a test writes, it deletes."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlalchemy import Engine

from tests.live_server import serve

CHROMIUM = "/usr/bin/chromium"
#: As root Chromium needs --no-sandbox; background networking is off (closed network); WebGL
#: for MapLibre falls back to SwiftShader (software) when there is no GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--use-gl=angle",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]
#: Where screenshots go when FONCIER_SCREENSHOTS is set (docs/screenshots for the README).
SCREENSHOTS = os.environ.get("FONCIER_SCREENSHOTS")


@pytest.fixture(scope="session")
def server(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Serve the app with uvicorn on a free port over the test database; yield its base URL."""
    with serve(database_url, log=tmp_path_factory.mktemp("uvicorn") / "server.log") as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless. Missing Chromium is a failure (never a skip): the two
    commands install it (scripts/provision.sh)."""
    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: run `make test` as root (apt-get install chromium)"
    )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile per test (its sessionStorage holds no key), French, laptop-sized."""
    ctx = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 800})
    ctx.set_default_timeout(20_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page that records uncaught script errors: a test fails on any of them."""
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    assert not errors, f"script errors in the page: {errors}"


def wait_for_map(page: Page) -> None:
    """Wait until the map has its style and our layers (and any first tiles) loaded."""
    page.wait_for_selector("#map[data-ready=true]", state="attached")
    page.wait_for_function("() => window.foncier && window.foncier.map.loaded()")


def shot(page: Page, name: str) -> None:
    """Save a screenshot for the README when FONCIER_SCREENSHOTS names a folder."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        wait_for_map(page)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"))
