"""What every writer of a QueueableJob's status shares: the runner and inline mode.

- `now()`: the time as the API server writes it, for `startedAt`, `finishedAt` and the
  conditions' `lastTransitionTime`;
- `INLINE_RESULT_MAX_BYTES` and `inline_result()`: whether a result is also copied into
  `status.result`. The size is that of the result's JSON as Redis holds it (compact,
  non-ASCII characters escaped, as `queueable.results.dumps` writes it), in UTF-8 bytes:
  the same value gives the same answer in a runner and in the caller.

`status.resultInline` records the answer: true when `status.result` holds the whole
result (`null` included, which a merge patch can only write by leaving the field
absent), false when the result is only in Redis. A reader that finds the Redis outcome
expired answers from the status when `resultInline` is true.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Final

INLINE_RESULT_MAX_BYTES: Final = 4096
"""Largest result (`result_size` of the codec-encoded value) also written into
`status.result`; a larger one is only in Redis (etcd objects should stay small)."""


def now() -> str:
    """The current time as the API server writes it (RFC 3339, UTC, seconds)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def result_size(encoded_value: Any) -> int:
    """UTF-8 bytes of the compact JSON of a codec-encoded result, as stored in Redis."""
    return len(json.dumps(encoded_value, separators=(",", ":"), allow_nan=False).encode())


def inline_result(encoded_value: Any) -> tuple[bool, Any]:
    """(True, value) when the encoded result fits in the status, else (False, None)."""
    if result_size(encoded_value) <= INLINE_RESULT_MAX_BYTES:
        return True, encoded_value
    return False, None
