"""bench/submit: what the SDK adds to a submission, against raw calls in the same run.

1. `queueable.async_(ping)("x")` (validate, encode, hash, create the QueueableJob) against
   a raw `create_namespaced_custom_object` of the same body, same API server. Goal: p50
   ratio at most 1.15.
2. A cache-hit submission (`cache_duration=...`, a fresh result in Redis, nothing created)
   against a raw Redis `GET` of the same key. Goal: at most 2x.

Samples alternate between the measured call and its baseline, so drift on a shared
2-core machine hits both alike.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import redis
from kubernetes import client, config
from queueable import keys, results, submit
from queueable.delegator import async_
from queueable.models import GROUP, JOB_PLURAL, VERSION, Target
from queueable.options import parse_options

from bench.stats import Summary, compare

NAMESPACE = f"queueable-bench-{secrets.token_hex(3)}"  # fresh: the last run's may be terminating


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter_ns()
    fn()
    return (time.perf_counter_ns() - start) / 1e6


def _alternate(a: Callable[[], Any], b: Callable[[], Any], n: int, warmup: int
               ) -> tuple[list[float], list[float]]:
    for _ in range(warmup):
        a()
        b()
    xs, ys = [], []
    for _ in range(n):
        xs.append(_timed(a))
        ys.append(_timed(b))
    return xs, ys


def _prepared(target: Callable[..., Any], **options: Any) -> submit.Prepared:
    """The body and keys the SDK makes for `async_(target, **options)("x")`."""
    call = submit.Call(target=Target(module=target.__module__, qualname=target.__qualname__),
                       function=target, owner=None, args=("x",), kwargs={})
    return submit.prepare(call, parse_options(options))


def submission(kubeconfig: str, target: Callable[..., Any], n: int) -> str:
    api = client.CustomObjectsApi(config.new_client_from_config(config_file=kubeconfig))
    body_template = _prepared(target).body
    counter = iter(range(10**9))

    def raw() -> None:
        body = {**body_template, "metadata": {**body_template["metadata"],
                                              "name": f"raw-{next(counter)}"}}
        api.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, JOB_PLURAL, body)

    def sdk() -> None:
        async_(target)("x")

    xs, ys = _alternate(sdk, raw, n, warmup=20)
    return compare(Summary("SDK submission (async_(ping)('x'))", tuple(xs)),
                   Summary("raw create_namespaced_custom_object", tuple(ys)), goal=1.15)


def cache_hit(redis_url: str, target: Callable[..., Any], n: int) -> str:
    r = redis.Redis.from_url(redis_url)
    call = async_(target, cache_duration=3600)
    prepared = _prepared(target, cache_duration=3600)
    if prepared.spec.cache is None:
        raise RuntimeError("cache_duration did not give the call a cache key")
    key = keys.cache(NAMESPACE, prepared.tenant, prepared.spec.cache.key)
    # Seed a fresh result exactly as a finished job leaves it.
    results.store_outcome(r, NAMESPACE, "bench-seed", {"ok": True, "value": "pong: x"},
                          tenant=prepared.tenant, cache=prepared.spec.cache, dedup=None,
                          ttl=3600)
    if call("x").phase.value != "Succeeded":
        raise RuntimeError("the seeded cache entry was not served: the benchmark is invalid")

    def sdk() -> None:
        call("x")

    def raw() -> None:
        r.get(key)

    xs, ys = _alternate(sdk, raw, n, warmup=50)
    return compare(Summary("SDK cache-hit submission", tuple(xs)),
                   Summary("raw Redis GET of the cache key", tuple(ys)), goal=2.0)
