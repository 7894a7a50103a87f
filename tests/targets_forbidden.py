"""A module outside every test's allow-list: importing it leaves a marker file.

The runner's tests point QUEUEABLE_TEST_IMPORT_MARKER at a path and check that the path
was never created, which proves the runner refused the module before importing it.
"""

from __future__ import annotations

import os
from pathlib import Path

_marker = os.environ.get("QUEUEABLE_TEST_IMPORT_MARKER")
if _marker:
    Path(_marker).write_text("imported\n")


def steal() -> str:
    return "stolen"
