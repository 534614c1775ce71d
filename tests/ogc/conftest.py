"""Fixtures of the OGC tests: a live uvicorn server on the test database, for real clients (GDAL)
(``tests/live_server.py``)."""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.live_server import serve


@pytest.fixture(scope="session")
def live_server(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Serve the app over the test database; yield the URL of ``/ogc``."""
    with serve(database_url, log=tmp_path_factory.mktemp("uvicorn") / "ogc.log") as base:
        yield f"{base}/ogc"


def get_json(client: Any, url: str, **params: Any) -> Any:
    """GET ``url`` and return its JSON body, asserting a 200."""
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()
