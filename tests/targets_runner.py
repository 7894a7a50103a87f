"""Targets for the runner's tests: what a QueueableJob may name, and what it must not reach.

The tests allow the prefix `targets_runner`; `targets_forbidden` and `json` stay outside
the allow-list, so the names imported from them below must never resolve.
"""

from __future__ import annotations

import asyncio
import os  # noqa: F401  (a QueueableJob naming `os.system` through this module is refused)
from json import dumps  # noqa: F401  (a function whose __module__ is not allowed)
from os import system  # noqa: F401  (a builtin: never resolved)
from typing import Any

from queueable import Queueable

CALLS: list[str] = []


def add(a: int, b: int) -> int:
    return a + b


def echo(*args: Any, **kwargs: Any) -> dict[str, Any]:
    return {"args": list(args), "kwargs": kwargs}


async def slow_double(x: int) -> int:
    await asyncio.sleep(0)
    return 2 * x


def boom(message: str) -> None:
    raise ValueError(message)


def unserializable() -> object:
    return object()


def big(size: int) -> str:
    return "x" * size


def _private() -> str:
    return "private"


class Counter:
    """A class whose objects are rebuilt from an id, with every kind of method."""

    def __init__(self, start: int) -> None:
        self.start = start

    @property
    def queueable_id(self) -> str:
        return str(self.start)

    @classmethod
    def queueable_load(cls, object_id: str) -> Counter:
        return cls(int(object_id))

    def plus(self, n: int) -> int:
        return self.start + n

    async def aplus(self, n: int) -> int:
        await asyncio.sleep(0)
        return self.start + n

    @classmethod
    def named(cls, suffix: str) -> str:
        return cls.__name__ + suffix

    @staticmethod
    def ping(x: Any) -> Any:
        return x

    class Inner:
        @staticmethod
        def deep() -> str:
            return "deep"


class SubCounter(Counter):
    """Inherits every method from Counter."""


class NoLoader:
    def work(self) -> int:
        return 1


class BadLoader:
    @classmethod
    def queueable_load(cls, object_id: str) -> BadLoader:
        raise LookupError(f"no BadLoader {object_id}")

    def work(self) -> int:
        return 1


class Report(Queueable):
    """The SDK's mixin: `Report(7).async_().execute(...)`, identity `str(self.id)`."""

    def __init__(self, id: int) -> None:
        self.id = id

    @classmethod
    def queueable_load(cls, id: str) -> Report:
        return cls(int(id))

    def execute(self, user_id: int, params: dict[str, Any]) -> dict[str, Any]:
        return {"report": self.id, "user": user_id, "params": params}


def __getattr__(name: str) -> Any:
    """A module-level hook: names it invents must never resolve."""
    if name == "invented":
        return add
    raise AttributeError(name)
