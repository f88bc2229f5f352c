"""A value per organization that is built again only when its knowledge changed.

Each worker keeps what it derived from an organization's knowledge (the passage matrix, the
words for spelling, the languages) with the version it was built from; a version read from
the database on each use says whether it is still current, and a change made by any process
is seen by the next use in every other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerVersion(Generic[T]):
    def __init__(self) -> None:
        self._values: dict[int, tuple[Hashable, T]] = {}
        self._building = threading.Lock()

    def get(self, organization_id: int, version: Hashable, build: Callable[[], T]) -> T:
        """The value for this version, built (once, whatever the threads) when it is not."""
        cached = self._values.get(organization_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        with self._building:
            cached = self._values.get(organization_id)
            if cached is None or cached[0] != version:
                cached = (version, build())
                self._values[organization_id] = cached
        return cached[1]

    def put(self, organization_id: int, version: Hashable, value: T) -> None:
        self._values[organization_id] = (version, value)

    def forget(self, organization_id: int) -> None:
        self._values.pop(organization_id, None)
