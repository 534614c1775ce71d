"""The progress callback shared by long services: ``progress(iterable, label) -> iterable``.

Services take one so that the CLI can show a tqdm bar while the API and the tests pass nothing.
"""

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")
Progress = Callable[[Iterable[Any], str], Iterable[Any]]


def no_progress(items: Iterable[T], _: str) -> Iterable[T]:
    """Report nothing: return the items unchanged."""
    return items
