"""Where the SDK keeps outcomes, cache entries and dedup claims: Redis, or memory in tests.

`Store` is the protocol; `RedisStore` implements it with `queueable.results` (shared with
the runner) and turns connection failures into RedisUnavailableError naming the server;
`queueable.testing.MemoryStore` implements the same semantics in memory. `current()` is
the store in force: the testing override when `queueable.testing` is active, else the
Redis of the settings.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import redis
import redis.asyncio

from queueable import config, results
from queueable.errors import RedisUnavailableError
from queueable.models import CacheSpec, DedupSpec
from queueable.results import Envelope, HeldClaim

T = TypeVar("T")


class Store(Protocol):
    """Outcomes, cache and dedup claims, with the semantics of `queueable.results`."""

    def get_cached(self, namespace: str, tenant: str, key: str) -> Envelope | None: ...

    def claim_dedup(
        self, namespace: str, tenant: str, call_hash: str, job: str, window: int
    ) -> HeldClaim | None: ...

    def take_over_dedup(
        self, namespace: str, tenant: str, call_hash: str, previous: str, job: str,
        window: int,
    ) -> bool: ...

    def release_dedup(self, namespace: str, tenant: str, call_hash: str, job: str) -> None: ...

    def store_outcome(
        self, namespace: str, job: str, envelope: Envelope, *, tenant: str,
        cache: CacheSpec | None, dedup: DedupSpec | None, ttl: int,
    ) -> None: ...

    def get_outcome(self, namespace: str, job: str) -> Envelope | None: ...

    def wait_outcome(self, namespace: str, job: str, timeout: float) -> Envelope | None: ...

    async def wait_outcome_async(
        self, namespace: str, job: str, timeout: float
    ) -> Envelope | None: ...


def _safe_url(url: str) -> str:
    """The URL without its password, for error messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urllib.parse.urlunsplit(parts._replace(netloc=user + netloc))


_SOCKET_TIMEOUT = results.BLOCK_SECONDS + 10


class RedisStore:
    """The store on a real Redis."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client: redis.Redis = redis.Redis.from_url(
            url, socket_connect_timeout=5, socket_timeout=_SOCKET_TIMEOUT,
        )

    def _unavailable(self, exc: Exception) -> RedisUnavailableError:
        return RedisUnavailableError(
            f"cannot reach Redis at {_safe_url(self.url)} (QUEUEABLE_REDIS_URL): {exc}"
        )

    def _run(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise self._unavailable(exc) from None

    async def _run_async(self, fn: Callable[[redis.asyncio.Redis], Awaitable[T]]) -> T:
        client = redis.asyncio.Redis.from_url(
            self.url, socket_connect_timeout=5, socket_timeout=_SOCKET_TIMEOUT
        )
        try:
            return await fn(client)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise self._unavailable(exc) from None
        finally:
            await client.aclose()

    def get_cached(self, namespace: str, tenant: str, key: str) -> Envelope | None:
        return self._run(lambda: results.get_cached(self.client, namespace, tenant, key))

    def claim_dedup(
        self, namespace: str, tenant: str, call_hash: str, job: str, window: int
    ) -> HeldClaim | None:
        return self._run(lambda: results.try_claim_dedup(
            self.client, namespace, tenant, call_hash, job, window))

    def take_over_dedup(
        self, namespace: str, tenant: str, call_hash: str, previous: str, job: str,
        window: int,
    ) -> bool:
        return self._run(lambda: results.take_over_dedup(
            self.client, namespace, tenant, call_hash, previous, job, window))

    def release_dedup(self, namespace: str, tenant: str, call_hash: str, job: str) -> None:
        self._run(lambda: results.release_dedup(self.client, namespace, tenant, call_hash, job))

    def store_outcome(
        self, namespace: str, job: str, envelope: Envelope, *, tenant: str,
        cache: CacheSpec | None, dedup: DedupSpec | None, ttl: int,
    ) -> None:
        self._run(lambda: results.store_outcome(
            self.client, namespace, job, envelope, tenant=tenant, cache=cache, dedup=dedup,
            ttl=ttl))

    def get_outcome(self, namespace: str, job: str) -> Envelope | None:
        return self._run(lambda: results.get_outcome(self.client, namespace, job))

    def wait_outcome(self, namespace: str, job: str, timeout: float) -> Envelope | None:
        return self._run(lambda: results.wait_outcome(self.client, namespace, job, timeout))

    async def wait_outcome_async(
        self, namespace: str, job: str, timeout: float
    ) -> Envelope | None:
        return await self._run_async(
            lambda client: results.wait_outcome_async(client, namespace, job, timeout))


_lock = threading.Lock()
_redis_store: RedisStore | None = None
_override: Store | None = None


def _drop() -> None:
    global _redis_store
    with _lock:
        _redis_store = None


config.on_change(_drop)


def current() -> Store:
    """The store in force: the testing override, else the settings' Redis."""
    global _redis_store
    with _lock:
        if _override is not None:
            return _override
        if _redis_store is None:
            _redis_store = RedisStore(config.get_settings().redis_url)
        return _redis_store


def testing_active() -> bool:
    """True while `queueable.testing` runs every job inline in memory."""
    return _override is not None


def set_override(store: Store | None) -> Store | None:
    """Install (or remove, with None) the testing store; returns the previous one."""
    global _override
    with _lock:
        previous, _override = _override, store
        return previous


def describe(_: Any = None) -> str:
    """A short description of the store in force, for logs."""
    store = current()
    return f"redis {_safe_url(store.url)}" if isinstance(store, RedisStore) else "memory"
