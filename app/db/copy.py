"""Bulk loading through PostgreSQL COPY into temporary staging tables."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.orm import Session


def copy_into_temp(
    session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Create ``table`` as a temporary all-text table and COPY ``rows`` into it; return count.

    ``table`` and ``columns`` are code constants, never user input; values go through COPY.
    """
    conn = session.connection().connection.driver_connection
    count = 0
    with conn.cursor() as cur:  # type: ignore[union-attr]
        cols = ", ".join(f"{c} text" for c in columns)
        cur.execute(f"DROP TABLE IF EXISTS {table}")
        cur.execute(f"CREATE TEMP TABLE {table} ({cols}) ON COMMIT DROP")
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count
