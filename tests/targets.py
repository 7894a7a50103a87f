"""Importable targets for the SDK's tests (module `targets`: tests/ is on the path).

A runner, inline mode and testing mode import these back by name, so they must live at
module level in an importable module. Other helpers append their own; do not rewrite.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from typing import Any

from queueable import Queueable

CALLS: list[tuple[str, Any]] = []
"""What the targets were called with in this process (inline and testing modes)."""


class Report(Queueable):
    """A mixin user: instance, class and static methods."""

    def __init__(self, id: int) -> None:
        self.id = id

    @classmethod
    def queueable_load(cls, id: str) -> Report:
        return cls(int(id))

    def execute(self, user_id: int, params: dict[str, Any]) -> dict[str, Any]:
        CALLS.append(("execute", (self.id, user_id, params)))
        return {"report": self.id, "user": user_id, "params": params}

    def cache_name(self, user_id: int, params: dict[str, Any]) -> str:
        return f"report-{self.id}-{user_id}"

    def bad_cache_name(self, user_id: int, params: dict[str, Any]) -> int:
        return 42

    @classmethod
    def totals(cls, day: str) -> str:
        CALLS.append(("totals", day))
        return f"totals for {day}"

    @staticmethod
    def ping(x: Any) -> Any:
        CALLS.append(("ping", x))
        return x

    @property
    def size(self) -> int:
        return 1

    def _private(self) -> None:
        """Refused: names starting with an underscore."""


class NoLoad(Queueable):
    """Refused for instance methods: no queueable_load."""

    def __init__(self, id: int) -> None:
        self.id = id

    def run(self) -> None:
        """Never called."""


class Plain:
    """Not a Queueable subclass, but rebuildable: usable with queueable.async_()."""

    def __init__(self, key: str) -> None:
        self.key = key

    @property
    def queueable_id(self) -> str:
        return self.key

    @classmethod
    def queueable_load(cls, id: str) -> Plain:
        return cls(id)

    def shout(self, suffix: str) -> str:
        return self.key.upper() + suffix

    @staticmethod
    def add(a: int, b: int) -> int:
        return a + b


def add(a: int, b: int) -> int:
    """A module-level function."""
    CALLS.append(("add", (a, b)))
    return a + b


def echo(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """Returns its arguments, to check the round trip."""
    return {"args": list(args), "kwargs": kwargs}


def echo_value(value: Any) -> Any:
    """Returns its one argument as it came."""
    return value


def when(day: dt.date) -> str:
    return day.isoformat()


async def async_add(a: int, b: int) -> int:
    """An async function: awaited by the runner and by inline mode."""
    await asyncio.sleep(0)
    return a + b


def boom(message: str) -> None:
    """Raises, to test JobFailed."""
    raise ValueError(message)


def unserializable_result() -> object:
    """Returns what cannot be encoded: the job fails with a clear message."""
    return object()


def counted(counter_file: str, value: int) -> int:
    """Appends a line to a file each time it runs (counts executions across processes)."""
    with open(counter_file, "a") as f:
        f.write(f"{os.getpid()}\n")
    return value * 2


def make_closure() -> Any:
    def inner() -> None:
        """A closure: refused."""

    return inner


def make_local_instance() -> Any:
    class Local:
        """A local class: refused."""

    return Local()
