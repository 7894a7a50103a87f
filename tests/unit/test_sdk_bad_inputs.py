"""THE table of bad inputs: each fails at the call with its exact error, before any I/O.

The SDK is pointed at an API server and a Redis that do not exist (port 1). A bad input
that got as far as any I/O would raise ClusterUnavailableError or RedisUnavailableError
instead of its own error, so every row also shows that nothing was created. The control
rows at the end show that a good call does reach the (unreachable) servers.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import math
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import queueable
import targets
from queueable import config
from queueable.errors import (
    ClusterUnavailableError,
    ConfigurationError,
    InvalidOptionError,
    InvalidTargetError,
    SerializationError,
)

KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- name: nowhere
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: nobody
  user: {token: not-a-token}
contexts:
- name: nowhere
  context: {cluster: nowhere, user: nobody}
current-context: nowhere
"""


@pytest.fixture(autouse=True)
def unreachable(tmp_path: Path) -> Iterator[None]:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG)
    queueable.configure(kubeconfig=str(kubeconfig), redis_url="redis://127.0.0.1:1/0",
                        namespace="default")
    yield
    config.reset()


class OddZone(dt.tzinfo):
    def utcoffset(self, d: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(hours=1)


def _main_function() -> Callable[..., Any]:
    fn = types.FunctionType(targets.add.__code__, {}, "main_job")
    fn.__module__ = "__main__"
    fn.__qualname__ = "main_job"
    return fn


def _env_bad_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUEUEABLE_MAX_ARGUMENT_BYTES", "abc")
    queueable.configure()


def _configure(**overrides: Any) -> Callable[[pytest.MonkeyPatch], Any]:
    return lambda _: queueable.configure(**overrides)


def _call(fn: Callable[[], Any]) -> Callable[[pytest.MonkeyPatch], Any]:
    return lambda _: fn()


def _closure_arg() -> Any:
    return queueable.async_(targets.echo)(params={"when": targets.make_closure()})


def _open_file() -> Any:
    with open(__file__) as f:
        return queueable.async_(targets.echo_value)(f)


def _allowed_elsewhere() -> Any:
    queueable.configure(allowed_modules=["myapp"])
    return queueable.async_(targets.add)(1, 2)


def _report_async(**options: Any) -> Any:
    return targets.Report(1).async_(**options)


CASES: list[tuple[str, Callable[[pytest.MonkeyPatch], Any], type[Exception], str]] = [
    # --- arguments -------------------------------------------------------------------------
    ("lambda-argument", _call(lambda: queueable.async_(targets.echo_value)(lambda: 1)),
     SerializationError, "args[0]: a lambda cannot be sent to a runner"),
    ("closure-argument", _call(_closure_arg), SerializationError,
     "kwargs['params']['when']: a closure (a function defined inside another function) "
     "cannot be sent to a runner"),
    ("function-argument", _call(lambda: queueable.async_(targets.echo_value)(targets.add)),
     SerializationError, "args[0]: a function cannot be sent as an argument: pass data, "
     "and choose the function inside the job"),
    ("local-class-instance",
     _call(lambda: queueable.async_(targets.echo)(1, [targets.make_local_instance()])),
     SerializationError, "args[1][0]: an instance of targets.make_local_instance.<locals>."
     "Local, a class defined inside a function, cannot be sent to a runner"),
    ("open-file", _call(_open_file), SerializationError,
     "args[0]: an open file cannot be sent to a runner: pass its path or its contents"),
    ("generic-object", _call(lambda: queueable.async_(targets.echo_value)(object())),
     SerializationError, "args[0]: an object of type builtins.object cannot be sent to a "
     "runner: pass plain data, or give its class queueable_id and a classmethod "
     "queueable_load"),
    ("object-without-queueable-load",
     _call(lambda: queueable.async_(targets.echo_value)(targets.NoLoad(3))),
     SerializationError, "args[0]: targets.NoLoad has queueable_id but no classmethod "
     "queueable_load, so a runner could not rebuild it"),
    ("non-string-dict-key",
     _call(lambda: _report_async().execute(1, params={"a": {1: "x"}})),
     SerializationError, "kwargs['params']['a']: dict key 1 (int) is not a string: JSON "
     "object keys must be strings"),
    ("nan", _call(lambda: queueable.async_(targets.echo_value)(math.nan)),
     SerializationError, "args[0]: NaN is not a JSON number and cannot be sent"),
    ("infinity-in-list", _call(lambda: queueable.async_(targets.echo_value)([1.5, math.inf])),
     SerializationError, "args[0][1]: inf is not a JSON number and cannot be sent"),
    ("enum-member",
     _call(lambda: queueable.async_(targets.echo_value)(queueable.Phase.PENDING)),
     SerializationError,
     "args[0]: the enum member <Phase.PENDING: 'Pending'> cannot be sent: pass its .value"),
    ("dict-subclass",
     _call(lambda: queueable.async_(targets.echo)(d=collections.defaultdict(list))),
     SerializationError,
     "kwargs['d']: a defaultdict would come back as a plain dict: convert it first"),
    ("odd-time-zone",
     _call(lambda: queueable.async_(targets.echo)(
         params={"when": dt.datetime(2026, 1, 1, tzinfo=OddZone())})),
     SerializationError, f"kwargs['params']['when']: the time zone {__name__}."
     "OddZone cannot be sent; use datetime.timezone or zoneinfo.ZoneInfo"),
    ("lone-surrogate", _call(lambda: queueable.async_(targets.echo_value)("a\udc80")),
     SerializationError,
     "args[0]: the string contains a lone surrogate, which is not valid UTF-8"),
    ("too-large", _call(lambda: queueable.async_(targets.echo_value)("x" * 70_000)),
     SerializationError, "arguments: the encoded arguments are 70025 bytes, over the limit "
     "of 65536 bytes (QUEUEABLE_MAX_ARGUMENT_BYTES): pass a reference (an id, a URL) "
     "instead"),
    ("wrong-arguments", _call(lambda: queueable.async_(targets.add)(1)), InvalidTargetError,
     "targets.add() does not accept these arguments: missing a required argument: 'b'"),
    # --- targets ---------------------------------------------------------------------------
    ("lambda-target", _call(lambda: queueable.async_(lambda: 1)), InvalidTargetError,
     "a lambda cannot be a target: a runner cannot import it"),
    ("closure-target", _call(lambda: queueable.async_(targets.make_closure())),
     InvalidTargetError, "targets.make_closure.<locals>.inner is defined inside a function "
     "(a closure or local class), so a runner cannot import it; define it at module level"),
    ("main-module-target", _call(lambda: queueable.async_(_main_function())),
     InvalidTargetError, "main_job is defined in __main__ (the script being run), which a "
     "runner cannot import; move it into a module"),
    ("builtin-target", _call(lambda: queueable.async_(len)), InvalidTargetError,
     "<built-in function len> cannot be a target: pass a function, a method, a class or an "
     "object"),
    ("instance-method-on-class", _call(lambda: targets.Report.async_().execute),
     InvalidTargetError, "Report.execute is an instance method: call it on an object, e.g. "
     "Report(...).async_().execute(...)"),
    ("no-queueable-load", _call(lambda: targets.NoLoad(1).async_().run), InvalidTargetError,
     "NoLoad has no classmethod queueable_load(id), so a runner could not rebuild the "
     "object to call run"),
    ("private-method", _call(lambda: _report_async()._private), InvalidTargetError,
     "Report._private: names starting with an underscore are private, and a runner "
     "refuses them"),
    ("missing-method", _call(lambda: _report_async().missing), InvalidTargetError,
     "Report has no method 'missing'"),
    ("property-target", _call(lambda: _report_async().size), InvalidTargetError,
     "Report.size is not a method (it is a property)"),
    ("module-not-allowed", _call(_allowed_elsewhere), InvalidTargetError,
     "module 'targets' is not in QUEUEABLE_ALLOWED_MODULES (myapp): a runner would refuse it"),
    # --- options ---------------------------------------------------------------------------
    ("unknown-option", _call(lambda: _report_async(cache_duraton=60)), InvalidOptionError,
     "unknown option 'cache_duraton' (did you mean 'cache_duration'?); the options are: "
     "cache_duration, cache_key, cache_method, merge_duplicate, duplicate_duration, tag, "
     "tenant, worker_options, execute_inline, retries, retry_backoff, timeout"),
    ("negative-cache-duration", _call(lambda: _report_async(cache_duration=-5)),
     InvalidOptionError, "option cache_duration=-5 is invalid: cache_duration must be a "
     "positive number of seconds (int or timedelta)"),
    ("fractional-timedelta",
     _call(lambda: _report_async(cache_duration=dt.timedelta(milliseconds=1500))),
     InvalidOptionError, "option cache_duration=datetime.timedelta(seconds=1, "
     "microseconds=500000) is invalid: cache_duration must be a positive number of seconds "
     "(int or timedelta)"),
    ("cache-key-and-method",
     _call(lambda: _report_async(cache_duration=5, cache_key="k", cache_method="cache_name")),
     InvalidOptionError, "cache_key and cache_method cannot be used together: choose one "
     "way to name the cache entry"),
    ("cache-key-without-duration", _call(lambda: _report_async(cache_key="k")),
     InvalidOptionError,
     "cache_key and cache_method need cache_duration (how long the result stays fresh)"),
    ("bad-tag", _call(lambda: _report_async(tag="Report")), InvalidOptionError,
     "option tag='Report' is invalid: tag must be a lowercase RFC 1123 name (a-z, 0-9 and "
     "'-', at most 63), like 'report'"),
    ("bad-tenant", _call(lambda: _report_async(tenant="acme_corp")), InvalidOptionError,
     "option tenant='acme_corp' is invalid: tenant must be a lowercase RFC 1123 name (a-z, "
     "0-9 and '-', at most 63), like 'acme'"),
    ("unknown-worker-option", _call(lambda: _report_async(worker_options={"gpu": 1})),
     InvalidOptionError, "option worker_options has an unknown key 'gpu'; the keys are: "
     "image, resources, env, node_selector, tolerations, service_account_name, "
     "priority_class_name, ttl_seconds_after_finished"),
    ("negative-retries", _call(lambda: _report_async(retries=-1)), InvalidOptionError,
     "option retries=-1 is invalid: retries must be an int from 0 to 99 (retries after the "
     "first attempt)"),
    ("zero-timeout", _call(lambda: _report_async(timeout=0)), InvalidOptionError,
     "option timeout=0 is invalid: timeout must be a positive number of seconds (int or "
     "timedelta)"),
    ("string-bool", _call(lambda: _report_async(merge_duplicate="yes")), InvalidOptionError,
     "option merge_duplicate='yes' is invalid: merge_duplicate must be True or False"),
    ("window-without-merge", _call(lambda: _report_async(duplicate_duration=60)),
     InvalidOptionError, "duplicate_duration needs merge_duplicate=True"),
    ("cache-method-not-str",
     _call(lambda: _report_async(cache_duration=5, cache_method="bad_cache_name")
           .execute(1, {})),
     InvalidOptionError, "cache_method='bad_cache_name' must return a non-empty str of at "
     "most 512 characters, got 42"),
    ("cache-method-on-function",
     _call(lambda: queueable.async_(targets.add, cache_duration=5, cache_method="key")(1, 2)),
     InvalidOptionError,
     "cache_method needs a method target (an object or a class); use cache_key"),
    # --- configuration ---------------------------------------------------------------------
    ("bad-tenant-setting", _configure(tenant="ACME"), ConfigurationError,
     "invalid Queueable configuration: setting tenant='ACME' is invalid: must be a "
     "lowercase RFC 1123 name (a-z, 0-9 and '-'), like 'acme'"),
    ("unknown-setting", _configure(redis="redis://x"), ConfigurationError,
     "invalid Queueable configuration: unknown setting 'redis'"),
    ("bad-redis-url", _configure(redis_url="http://cache:6379"), ConfigurationError,
     "invalid Queueable configuration: setting redis_url='http://cache:6379' is invalid: "
     "'http://cache:6379' must start with redis://, rediss:// or unix://"),
    ("argument-limit-too-high", _configure(max_argument_bytes=2_000_000), ConfigurationError,
     "invalid Queueable configuration: setting max_argument_bytes=2000000 is invalid: "
     "Input should be less than or equal to 1048576"),
    ("bad-allowed-modules", _configure(allowed_modules="myapp, 1bad"), ConfigurationError,
     "invalid Queueable configuration: setting allowed_modules='myapp, 1bad' is invalid: "
     "'1bad' is not a module name or prefix"),
    ("bad-env-value", _env_bad_bytes, ConfigurationError,
     "invalid Queueable configuration: setting max_argument_bytes='abc' is invalid: Input "
     "should be a valid integer, unable to parse string as an integer"),
]


@pytest.mark.parametrize(("run", "error", "message"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_fails_at_the_call(
    run: Callable[[pytest.MonkeyPatch], Any], error: type[Exception], message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(error) as caught:
        run(monkeypatch)
    assert str(caught.value) == message
    assert isinstance(caught.value, queueable.QueueableError)


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 25
    assert len({c[0] for c in CASES}) == len(CASES)


def test_control_a_good_call_reaches_the_api_server() -> None:
    with pytest.raises(ClusterUnavailableError, match=r"^cannot reach the Kubernetes API "
                       r"server at https://127\.0\.0\.1:1: "):
        targets.Report(1).async_(tag="report").execute(1, {"a": 1})


def test_control_redis_down_does_not_lose_the_job(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="queueable")
    with pytest.raises(ClusterUnavailableError):
        targets.Report(1).async_(cache_duration=5, merge_duplicate=True).execute(1, {})
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("cache check skipped, submitting default-") and
               "cannot reach Redis at redis://127.0.0.1:1/0" in m for m in messages), messages
    assert any(m.startswith("dedup claim left to the operator for default-")
               for m in messages), messages
