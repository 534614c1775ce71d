"""Fixtures of the OGC tests: a live uvicorn server on the test database, for real clients (GDAL).

The demo data is committed in the test database by the session fixture ``engine``; the server
only reads it, so it can run in its own process while each in-process test keeps its own
rolled-back transaction.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import Engine

from app import PROJECT_ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(engine: Engine, database_url: str) -> Iterator[str]:
    """Start ``uvicorn app.main:create_app`` on a free port; yield the URL of ``/ogc``."""
    port = _free_port()
    env = {**os.environ, "FONCIER_DATABASE_URL": database_url}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=PROJECT_ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}/ogc"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the OGC test server did not start")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def get_json(client: Any, url: str, **params: Any) -> Any:
    """GET ``url`` and return its JSON body, asserting a 200."""
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()
