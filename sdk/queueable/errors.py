"""Every exception the SDK raises, so an application can catch one family.

The argument and option errors also derive from the built-in `TypeError` and `ValueError`
so that code written against plain Python conventions keeps working. Errors that stand for
an unreachable dependency name the dependency and what to check.
"""

from __future__ import annotations


class QueueableError(Exception):
    """Base of every error raised by Queueable."""


class SerializationError(QueueableError, TypeError):
    """An argument (or a result) would not come back as the same value in the runner.

    `path` names where it sits in the call, e.g. ``kwargs['params']['when']``.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class InvalidOptionError(QueueableError, ValueError):
    """An `async_()` option, or the target of the call, is invalid."""


class InvalidTargetError(QueueableError, TypeError):
    """The call's target cannot run in a runner, or does not accept these arguments."""


class ConfigurationError(QueueableError, ValueError):
    """The settings (environment, `queueable.configure()`, kubeconfig) are invalid."""


class CRDNotInstalledError(QueueableError):
    """The API server does not know the QueueableJob resource."""


class ClusterUnavailableError(QueueableError):
    """The Kubernetes API server cannot be reached."""


class KubernetesAPIError(QueueableError):
    """The API server answered with an error the SDK has no better name for."""

    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class RedisUnavailableError(QueueableError):
    """Redis cannot be reached (results, cache and dedup live there)."""


class JobNotFoundError(QueueableError, LookupError):
    """No QueueableJob of that name exists in the namespace."""


class JobFailed(QueueableError):
    """The job raised: carries the remote exception's type, message and traceback."""

    def __init__(
        self, job_id: str, remote_type: str, message: str, remote_traceback: str = ""
    ) -> None:
        self.job_id = job_id
        self.remote_type = remote_type
        self.message = message
        self.remote_traceback = remote_traceback
        super().__init__(f"job {job_id} failed: {remote_type}: {message}")

    def __str__(self) -> str:
        text = super().__str__()
        if self.remote_traceback:
            text += "\n\nRemote traceback:\n" + self.remote_traceback.rstrip()
        return text


class JobCancelled(QueueableError):
    """The job was cancelled before it produced a result."""

    def __init__(self, job_id: str, message: str = "") -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id} was cancelled" + (f": {message}" if message else ""))


class ResultExpiredError(QueueableError):
    """The job finished, but its result is no longer in Redis (its TTL passed)."""
