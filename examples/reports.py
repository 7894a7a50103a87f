"""Example application code: a report whose `execute` runs in the background.

Nothing here knows about workers or queues: the class only says how a runner gets the
object back from its id (`queueable_load`).
"""

from __future__ import annotations

import statistics
from typing import Any

from queueable import Queueable

SALES = {
    "emea": [120, 80, 95, 130, 101],
    "apac": [70, 65, 90, 88],
    "amer": [150, 140, 160, 155, 149, 170],
}


class Report(Queueable):
    def __init__(self, id: int) -> None:
        self.id = id

    @classmethod
    def queueable_load(cls, id: str) -> Report:
        return cls(int(id))

    def execute(self, user_id: int, params: dict[str, Any]) -> dict[str, Any]:
        figures = SALES[params["region"]]
        return {"report": self.id, "user": user_id, "region": params["region"],
                "total": sum(figures), "median": statistics.median(figures)}


def ping(message: str) -> str:
    return f"pong: {message}"
