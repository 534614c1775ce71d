"""Settings read from the environment (prefix ``FONCIER_``), cached.

The brief asks for the ``FONCIER_`` prefix rather than STYLE.md's ``APP_`` (see docs/adr/0001).
Nothing happens at import time: call :func:`get_settings`.
"""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app import PROJECT_ROOT


class Settings(BaseSettings):
    """Runtime configuration of the service, the CLI and the tests."""

    model_config = SettingsConfigDict(env_prefix="FONCIER_", env_file=".env", extra="ignore")

    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/foncier"
    data_dir: Path = PROJECT_ROOT / "data"
    #: Largest request body accepted, in bytes (a 100 000-vertex polygon is about 4 MB of JSON).
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    #: Largest file accepted by ``POST /api/v1/imports``, in bytes.
    max_upload_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
    #: Vertices allowed in one submitted geometry.
    max_vertices: int = Field(default=100_000, ge=4)
    #: Default and maximum page sizes of list endpoints.
    page_default: int = 100
    page_max: int = 10_000
    db_pool_size: int = 10
    #: Worker processes that encode a cadastre parcel file (``app.parcels.encoding``); unset:
    #: up to 2 for a file over 64 MB of JSON (a département), none for a smaller one.
    import_processes: int | None = Field(default=None, ge=0, le=64)
    db_max_overflow: int = 10
    #: Public base URL used in printed links (``make up``); requests build their own links.
    public_url: str = "http://127.0.0.1:8000"


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (read once from the environment)."""
    return Settings()
