"""Queueable: run any method in the background on Kubernetes, without a worker class.

    from queueable import Queueable

    job = report.async_(cache_duration=60, tag="report").execute(1, {"a": 1})
    job.result(timeout=30)

The public surface is re-exported here; the modules behind it are `delegator` (the
mixin and `async_`), `submit` (checks and submission), `job` (the handle), `options`,
`config`, `codec`, `hashing`, `results` (Redis outcomes, shared with the runner), `kube`
(the only module that talks to the API server), `inline` and `testing`.
"""

from queueable import errors
from queueable.config import Settings, configure, get_settings
from queueable.delegator import Queueable, async_
from queueable.errors import (
    ClusterUnavailableError,
    ConfigurationError,
    CRDNotInstalledError,
    InvalidOptionError,
    InvalidTargetError,
    JobCancelled,
    JobFailed,
    JobNotFoundError,
    QueueableError,
    RedisUnavailableError,
    SerializationError,
)
from queueable.job import Job, get_job
from queueable.models import Phase

__all__ = [
    "CRDNotInstalledError",
    "ClusterUnavailableError",
    "ConfigurationError",
    "InvalidOptionError",
    "InvalidTargetError",
    "Job",
    "JobCancelled",
    "JobFailed",
    "JobNotFoundError",
    "Phase",
    "Queueable",
    "QueueableError",
    "RedisUnavailableError",
    "SerializationError",
    "Settings",
    "async_",
    "configure",
    "errors",
    "get_job",
    "get_settings",
]
