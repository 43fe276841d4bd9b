"""``Closing``: something that holds a connection or a file and lets it go when a
``with`` block ends. One base instead of the same ``__enter__``/``__exit__`` pair in
every client and door."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Self


class Closing(ABC):
    """``with thing:`` closes ``thing`` at the end, whatever happened inside."""

    __slots__ = ()

    @abstractmethod
    def close(self) -> None:
        """Let go of what is held (connections, files); safe to call twice."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
