"""An allowed module whose own dependency is missing: the runner must report that ImportError."""

from __future__ import annotations

import queueable_no_such_dependency  # type: ignore[import-not-found]  # noqa: F401


def never() -> None:
    pass
