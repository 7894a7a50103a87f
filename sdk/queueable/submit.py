"""Submission: from a recorded call to a QueueableJob (or a cached or merged handle).

In this order, so that a bad call fails before anything is created or sent:

1. `prepare` (no I/O): check the target and the arguments against the target's
   signature, encode the arguments (`codec`), check their size, hash the call, compute the
   cache key, generate the job's name and build the resource.
2. Cache: a fresh cached result returns a finished handle; no resource is created.
3. Dedup (`merge_duplicate`): claim the call's hash in Redis for the generated name
   *before* creating the resource; a lost claim returns the older job's handle and
   creates nothing, unless the claim is abandoned: older than `claim_grace` while its
   owner has neither a resource nor an outcome (the process that took it died before
   creating its resource). Such a claim is taken over with a compare-and-set and the
   call is submitted normally.
4. Create the QueueableJob (or run it inline); if creation fails, the claim is released.

Redis down at submission: the job is not lost. The cache check counts as a miss and the
SDK's dedup claim is skipped (the operator makes the same claim when it admits the
resource); both are logged as warnings on the "queueable" logger, and the resource is
created. A missing CRD or an unreachable API server raise, with nothing left behind.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import inspect
import logging
import secrets
import types
from collections.abc import Callable
from typing import Any, Final

from queueable import codec, hashing, inline, kube, labels, store
from queueable.config import Settings, get_settings, module_allowed
from queueable.errors import (
    InvalidOptionError,
    InvalidTargetError,
    JobNotFoundError,
    QueueableError,
    RedisUnavailableError,
)
from queueable.job import Job
from queueable.models import (
    API_VERSION,
    JOB_KIND,
    CacheSpec,
    DedupSpec,
    QueueableJobSpec,
    RetrySpec,
    Target,
    WorkerOptions,
)
from queueable.options import Options
from queueable.results import HeldClaim

log = logging.getLogger("queueable")

NAME_SUFFIX_LENGTH = 10

DEDUP_CLAIM_GRACE_SECONDS: Final = 30.0
"""How long a dedup claim is trusted without looking for its owner's resource, on top of
QUEUEABLE_API_TIMEOUT_SECONDS (see `claim_grace`).

The SDK claims *before* it creates the resource, so a claim whose owner does not exist
yet is normal for as long as the owner is between the two steps: building the body and
sending the create, whose request may itself take up to the API timeout. A claim older
than that whose owner has no resource (and no outcome) was left by a process that died
in between; without a takeover, identical calls would get a handle to a job that never
exists for the whole dedup window. The margin covers a slow or paused caller (GC,
scheduling, a loaded node); a longer one only delays the takeover of a dead claim.
"""

TAKE_OVER_TRIES: Final = 3
"""Rounds of claim-then-take-over before the claim's owner is trusted as it is."""


@dataclasses.dataclass(frozen=True)
class Call:
    """One recorded call: what to run and with what, before any check."""

    target: Target
    function: Callable[..., Any]
    """The callable as the caller sees it (bound when it is a method): for the signature."""
    owner: Any
    """The object or class the method belongs to (for cache_method), or None."""
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Prepared:
    """A checked and encoded call, ready to be submitted."""

    name: str
    namespace: str
    tenant: str
    call_hash: str
    spec: QueueableJobSpec
    options: Options
    settings: Settings

    @functools.cached_property
    def body(self) -> dict[str, Any]:
        """The resource; built on first use, so a cache hit never pays for it."""
        return build_body(self.name, self.namespace, self.spec)


def generate_name(tag: str) -> str:
    """A fresh QueueableJob name, `{tag}-{random}`: a DNS label of at most 63 characters,
    made here so that the dedup claim can hold it before the resource exists."""
    # 50 random bits in base32 (a-z, 2-7): one read of the OS's random source.
    suffix = base64.b32encode(secrets.token_bytes(7)).decode().lower()[:NAME_SUFFIX_LENGTH]
    return f"{tag[: 62 - NAME_SUFFIX_LENGTH].rstrip('-')}-{suffix}"


def build_body(name: str, namespace: str, spec: QueueableJobSpec) -> dict[str, Any]:
    """The QueueableJob resource (a pure builder)."""
    return {
        "apiVersion": API_VERSION,
        "kind": JOB_KIND,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels.job_labels(spec.tenant, spec.tag),
        },
        "spec": spec.model_dump(by_alias=True, exclude_none=True, mode="json"),
    }


@functools.lru_cache(maxsize=1024)
def _signature(function: Callable[..., Any]) -> inspect.Signature:
    """Signatures are looked up once per function: submission is a hot path."""
    return inspect.signature(function)


def _check_arguments(call: Call) -> None:
    function, args = call.function, call.args
    if isinstance(call.function, types.MethodType):  # bound: check it with its first argument
        function, args = call.function.__func__, (call.function.__self__, *args)
    try:
        signature = _signature(function)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(*args, **call.kwargs)
    except TypeError as exc:
        raise InvalidTargetError(
            f"{_describe_target(call.target)}() does not accept these arguments: {exc}"
        ) from None


def _describe_target(target: Target) -> str:
    name = f"{target.module}.{target.qualname}"
    return f"{name}.{target.method}" if target.method else name


def _cache_key(call: Call, options: Options, call_hash: str) -> str:
    if options.cache_key is not None:
        return options.cache_key
    if options.cache_method is None:
        return call_hash
    if call.owner is None:
        raise InvalidOptionError(
            "cache_method needs a method target (an object or a class); use cache_key"
        )
    method = getattr(call.owner, options.cache_method, None)
    if not callable(method):
        raise InvalidOptionError(
            f"cache_method={options.cache_method!r}: {_owner_name(call.owner)} has no "
            "such method"
        )
    key = method(*call.args, **call.kwargs)
    if type(key) is not str or not 1 <= len(key) <= 512:
        raise InvalidOptionError(
            f"cache_method={options.cache_method!r} must return a non-empty str of at most "
            f"512 characters, got {key!r}"
        )
    return key


def _owner_name(owner: Any) -> str:
    cls = owner if isinstance(owner, type) else type(owner)
    return cls.__qualname__


def prepare(call: Call, options: Options) -> Prepared:
    """Check and encode a call without any I/O (step 1 of the module docstring)."""
    settings = get_settings()
    target = call.target
    if settings.allowed_modules and not module_allowed(target.module,
                                                       settings.allowed_modules):
        raise InvalidTargetError(
            f"module {target.module!r} is not in QUEUEABLE_ALLOWED_MODULES "
            f"({', '.join(settings.allowed_modules)}): a runner would refuse it"
        )
    _check_arguments(call)
    args = [codec.encode(value, f"args[{i}]") for i, value in enumerate(call.args)]
    kwargs = {key: codec.encode(value, f"kwargs[{key!r}]") for key, value in call.kwargs.items()}
    codec.check_size(args, kwargs, settings.max_argument_bytes)
    namespace, tenant = settings.namespace, options.tenant or settings.tenant
    call_hash = hashing.call_hash(namespace, tenant, target, args, kwargs)
    cache = None
    if options.cache_duration is not None:
        cache = CacheSpec(key=_cache_key(call, options, call_hash),
                          duration_seconds=options.cache_duration)
    dedup = None
    if options.merge_duplicate:
        dedup = DedupSpec(key=call_hash, window_seconds=options.dedup_window)
    retry = RetrySpec(max_attempts=options.retries + 1)
    if options.retry_backoff is not None:
        retry.backoff_seconds = options.retry_backoff
    spec = QueueableJobSpec(
        target=target, args=args, kwargs=kwargs, tenant=tenant, tag=options.tag,
        cache=cache, dedup=dedup, retry=retry, timeout_seconds=options.timeout,
        worker_options=options.worker_options or WorkerOptions(),
        execute_inline=options.execute_inline or store.testing_active(),
    )
    name = generate_name(options.tag)
    return Prepared(name=name, namespace=namespace, tenant=tenant, call_hash=call_hash,
                    spec=spec, options=options,
                    settings=settings)


def submit(call: Call, options: Options) -> Job:
    """Submit a call (the whole module docstring); returns its handle at once."""
    prepared = prepare(call, options)
    backend = store.current()
    testing = store.testing_active()
    ns, tenant, spec = prepared.namespace, prepared.tenant, prepared.spec
    if spec.cache is not None:
        try:
            cached = backend.get_cached(ns, tenant, spec.cache.key)
        except RedisUnavailableError as exc:
            log.warning("cache check skipped, submitting %s: %s", prepared.name, exc)
            cached = None
        if cached is not None:
            return Job(str(cached.get("job") or prepared.name), ns, outcome=cached,
                       cache_hit=True, has_resource=False)
    claimed = False
    if spec.dedup is not None:
        try:
            owner = _claim(backend, prepared, spec.dedup)
        except RedisUnavailableError as exc:
            log.warning("dedup claim left to the operator for %s: %s", prepared.name, exc)
        else:
            if owner is not None:
                if testing:
                    return Job(owner, ns, outcome=backend.get_outcome(ns, owner),
                               has_resource=False)
                return Job(owner, ns)
            claimed = True
    try:
        if spec.execute_inline:
            return inline.run(prepared, backend, record=not testing)
        kube.create_job(ns, prepared.body)
    except BaseException:
        if claimed:
            _release(backend, prepared)
        raise
    return Job(prepared.name, ns)


def claim_grace(settings: Settings) -> float:
    """Age below which a claim is trusted as it is (`DEDUP_CLAIM_GRACE_SECONDS`)."""
    return DEDUP_CLAIM_GRACE_SECONDS + settings.api_timeout_seconds


def _claim(backend: store.Store, prepared: Prepared, dedup: DedupSpec) -> str | None:
    """Claim the call for `prepared.name`: None when it holds the claim, else the owner
    whose handle to return. An abandoned claim (`_abandoned`) is taken over atomically
    (compare-and-set on the owner's name): of many callers, one takes it, and the others
    find its young claim on their next round and merge into it."""
    ns, tenant, window = prepared.namespace, prepared.tenant, dedup.window_seconds
    owner: str | None = None
    for _ in range(TAKE_OVER_TRIES):
        held = backend.claim_dedup(ns, tenant, dedup.key, prepared.name, window)
        if held is None:
            return None
        owner = held.owner
        if not _abandoned(backend, prepared, held):
            return held.owner
        if backend.take_over_dedup(ns, tenant, dedup.key, held.owner, prepared.name,
                                   window):
            log.warning("dedup claim of job %s (%.0f s old) taken over by %s: that job "
                        "was never created", held.owner, held.age, prepared.name)
            return None
    return owner


def _abandoned(backend: store.Store, prepared: Prepared, held: HeldClaim) -> bool:
    """True when the claim's owner died between its claim and its create: the claim is
    older than `claim_grace`, the owner stored no outcome (an inline job without a record
    has one), and the API server answers that its QueueableJob does not exist. When the
    owner cannot be looked up, the claim is trusted, as a young one is."""
    if store.testing_active() or held.age <= claim_grace(prepared.settings):
        return False
    if backend.get_outcome(prepared.namespace, held.owner) is not None:
        return False
    try:
        kube.get_job(prepared.namespace, held.owner)
    except JobNotFoundError:
        return True
    except QueueableError as exc:
        log.warning("dedup claim of job %s kept: cannot check that it exists: %s",
                    held.owner, exc)
    return False


def _release(backend: store.Store, prepared: Prepared) -> None:
    if prepared.spec.dedup is None:
        return
    try:
        backend.release_dedup(prepared.namespace, prepared.tenant, prepared.spec.dedup.key,
                              prepared.name)
    except RedisUnavailableError as exc:
        log.warning("could not release the dedup claim of %s: %s", prepared.name, exc)
