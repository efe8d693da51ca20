"""What lives across `mkdocs serve` rebuilds (the cache, the arXiv client, the
summarizers and their threads, the renderer), kept while the settings it was
made from stay the same and closed when they change or the server stops."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

_T = TypeVar("_T")


class Resources:
    def __init__(self) -> None:
        self._held: dict[str, tuple[Hashable, Any, Callable[[Any], None] | None]] = {}

    def get(
        self, name: str, made_from: Hashable, make: Callable[[], _T], close: Callable[[_T], None] | None = None
    ) -> _T:
        """The resource called `name`, made anew (the old one closed) when `made_from` changed."""
        held = self._held.get(name)
        if held is not None and held[0] == made_from:
            value: _T = held[1]
            return value
        self.drop(name)
        value = make()
        self._held[name] = (made_from, value, close)
        return value

    def peek(self, name: str) -> Any:
        """The resource called `name` as it is, or `None`."""
        held = self._held.get(name)
        return held[1] if held is not None else None

    def drop(self, name: str) -> None:
        """Close the resource called `name`, if it is held."""
        held = self._held.pop(name, None)
        if held is not None and held[2] is not None:
            held[2](held[1])

    def close(self) -> None:
        """Close everything, last made first."""
        for name in reversed(list(self._held)):
            self.drop(name)
