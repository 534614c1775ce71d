"""Test fixtures: a real PostGIS database built by the migrations, one rolled-back transaction
per test (STYLE.md §3.11). The database is the one of FONCIER_DATABASE_URL (``make test`` points
it at ``foncier_test``); it is dropped and rebuilt at the start of the run."""

import os
from collections.abc import Iterator

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import PROJECT_ROOT
from app.auth.service import create_key
from app.cli import _alembic_config
from app.config import get_settings
from app.db.admin import create_database
from app.db.session import get_session, make_sessionmaker
from app.demo.service import load_demo
from app.main import create_app

DATA_DIR = PROJECT_ROOT / "data"

#: EPCI of the Ardennes demo: CA Ardenne Métropole (Charleville-Mézières, 08105) and
#: CC du Pays Rethélois (Rethel, 08362); Épinay-sur-Orge's CA Paris-Saclay for the cadastre.
ARDENNE_METROPOLE = "200041630"
PAYS_RETHELOIS = "200043156"
PARIS_SACLAY = "200056232"


def test_database_url() -> str:
    """Return the test database URL, refusing anything not named like a test database."""
    url = os.environ.get("FONCIER_DATABASE_URL", get_settings().database_url)
    name = make_url(url).database or ""
    if "test" not in name:
        raise pytest.UsageError(
            f"refusing to run the tests on database {name!r}: use `make test` "
            "(or point FONCIER_DATABASE_URL at a database whose name contains 'test')"
        )
    return url


test_database_url.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def database_url() -> str:
    return test_database_url()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """Build the test database: drop, create, migrate to head, load the demo data."""
    create_database(database_url, drop_first=True)
    command.upgrade(_alembic_config(database_url), "head")
    eng = create_engine(database_url)
    with make_sessionmaker(eng)() as session:
        load_demo(session, data_dir=DATA_DIR)
        session.commit()
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction rolled back after the test; app commits are savepoints."""
    connection = engine.connect()
    transaction = connection.begin()
    sess = Session(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
    )
    yield sess
    sess.close()
    transaction.rollback()
    connection.close()


@pytest.fixture
def app(session: Session):  # type: ignore[no-untyped-def]
    application = create_app()
    # Background work (uploads) opens its own sessions: on the test's connection, so that it
    # sees the test's data and is rolled back with it.
    application.state.sessionmaker = lambda: Session(
        bind=session.connection(),
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
    )

    def override() -> Iterator[Session]:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    application.dependency_overrides[get_session] = override
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


def _bearer(session: Session, role: str, epci: str | None = None) -> dict[str, str]:
    _, clear = create_key(session, role=role, epci_siren=epci, label=f"test {role} {epci or ''}")
    session.commit()  # releases the savepoint: a later rolled-back request keeps the key
    return {"Authorization": f"Bearer {clear}"}


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    return _bearer(session, "admin")


@pytest.fixture
def investor(session: Session) -> dict[str, str]:
    return _bearer(session, "investor")


@pytest.fixture
def staff(session: Session) -> dict[str, str]:
    """Staff of CA Ardenne Métropole (owner of the Charleville-Mézières friches)."""
    return _bearer(session, "territory_staff", ARDENNE_METROPOLE)


@pytest.fixture
def other_staff(session: Session) -> dict[str, str]:
    """Staff of CC du Pays Rethélois, another Ardennes EPCI."""
    return _bearer(session, "territory_staff", PAYS_RETHELOIS)


@pytest.fixture
def saclay_staff(session: Session) -> dict[str, str]:
    return _bearer(session, "territory_staff", PARIS_SACLAY)
