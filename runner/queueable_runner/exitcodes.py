"""The runner's exit codes: what the Job controller (and the operator) learn from a pod.

The operator can turn these into a `batch/v1` `podFailurePolicy`:

```yaml
podFailurePolicy:
  rules:
  - action: FailJob          # a refused job fails at once, whatever backoffLimit says
    onExitCodes: {operator: In, values: [2]}
```

and leave codes 1 and 3 to count against `backoffLimit` (the job's `retry.maxAttempts`).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    SUCCEEDED = 0
    """The target returned; its result is in Redis and in the status."""

    FAILED = 1
    """The target (its import, `queueable_load`, the call, or encoding its result) raised.
    Retried while attempts remain; the outcome is stored only after the last attempt."""

    REFUSED = 2
    """The job is invalid and never will run: module outside the allow-list, a target
    that does not resolve, undecodable arguments, a missing target module, an invalid
    spec, a cancelled or already finished job. Not to be retried (also argparse's code
    for a bad command line). The status says Failed with the reason."""

    RUNNER_ERROR = 3
    """The runner itself could not work: invalid settings, the API server or Redis
    unreachable. Nothing was recorded as the job's outcome; retrying may help."""
