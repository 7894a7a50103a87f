"""The accepted forms of `async_()`'s options."""

from __future__ import annotations

import datetime as dt

from queueable.models import WorkerOptions
from queueable.options import Options, parse_options


def test_defaults() -> None:
    options = parse_options({})
    assert options == Options()
    assert (options.tag, options.tenant, options.retries, options.dedup_window) == (
        "default", None, 0, 600)
    assert options.merge_duplicate is False
    assert options.execute_inline is False


def test_durations_take_seconds_or_whole_timedeltas() -> None:
    options = parse_options({"cache_duration": dt.timedelta(minutes=5), "timeout": 30,
                             "merge_duplicate": True, "duplicate_duration": dt.timedelta(hours=1),
                             "retry_backoff": 0})
    assert (options.cache_duration, options.timeout, options.dedup_window) == (300, 30, 3600)
    assert options.retry_backoff == 0


def test_worker_options_take_snake_or_camel_case() -> None:
    snake = parse_options({"worker_options": {"node_selector": {"a": "b"},
                                              "service_account_name": "sa"}})
    camel = parse_options({"worker_options": {"nodeSelector": {"a": "b"},
                                              "serviceAccountName": "sa"}})
    assert snake.worker_options == camel.worker_options == WorkerOptions(
        node_selector={"a": "b"}, service_account_name="sa")
