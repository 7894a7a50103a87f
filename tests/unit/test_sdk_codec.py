"""The codec: what is accepted comes back equal and of the same type, through JSON."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import targets
from queueable import codec

VALUES: list[Any] = [
    None, True, False, 0, -7, 2**63 - 1, -(2**63), 2**63, -(2**80), 1.5, -2.25e-300, 1e300,
    1.0, -0.0, 0.0, 1e20, "", "héllo ✓ \u2028", "\x00", [], [1, [2, [3]]], {}, {"a": {"b": [None]}},
    (1, "a"), (), {1, 2, 3}, frozenset({"x", "y"}), set(),
    dt.datetime(2026, 12, 1, 8, 30, 15, 123456),
    dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5, minutes=-30))),
    dt.datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo("Europe/Paris"), fold=1),
    dt.date(2026, 2, 28), dt.time(23, 59, 59, 999999),
    dt.time(1, 2, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    dt.timedelta(days=-3, seconds=5, microseconds=7), Decimal("1.10"), Decimal("-0E-7"),
    uuid.UUID("12345678-1234-5678-1234-567812345678"), b"\x00\xffbytes",
    {"$queueable": "datetime", "v": "not a date"}, {"$queueable": {"$queueable": 1}},
    [{"k": (1, {2.0})}],
]


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same types, recursively (1 == 1.0 == True would hide a change)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return repr(a) == repr(b)
    if isinstance(a, dt.datetime | dt.time):
        return a == b and a.tzinfo == b.tzinfo and a.fold == b.fold
    if isinstance(a, Decimal):
        return str(a) == str(b)
    return bool(a == b)


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_round_trip_through_json(value: Any) -> None:
    wire = json.loads(json.dumps(codec.encode(value, "v")))
    assert _same(codec.decode(wire), value)


def test_json_native_values_are_kept_as_they_are() -> None:
    value = {"a": [1, 2.5, "x", None, True, {"b": []}]}
    assert codec.encode(value) == value


def test_integral_floats_and_huge_ints_are_tagged_because_the_api_server_would_change_them(
) -> None:
    assert codec.encode(1.0) == {"$queueable": "float", "v": "1.0"}
    assert codec.encode(2**64) == {"$queueable": "int", "v": str(2**64)}


def test_a_user_dict_using_the_tag_key_is_escaped() -> None:
    value = {"$queueable": "bytes", "v": "AA=="}
    assert codec.encode(value) == {"$queueable": "dict", "v": value}
    assert codec.decode(codec.encode(value)) == value


def test_sets_are_encoded_in_canonical_order() -> None:
    assert codec.encode({"b", "a", "c"}) == {"$queueable": "set", "v": ["a", "b", "c"]}
    assert codec.encode({3, "a", (1,)}) == codec.encode({(1,), "a", 3})


def test_a_queueable_object_travels_as_a_reference_and_is_reloaded() -> None:
    encoded = codec.encode(targets.Report(12), "args[0]")
    assert encoded == {"$queueable": "object", "module": "targets", "qualname": "Report",
                       "id": "12"}
    loaded = codec.decode(encoded)
    assert type(loaded) is targets.Report
    assert loaded.id == 12


def test_a_plain_class_with_queueable_id_and_load_travels_too() -> None:
    loaded = codec.decode(codec.encode(targets.Plain("k1")))
    assert type(loaded) is targets.Plain
    assert loaded.key == "k1"


def test_paths_name_nested_positions() -> None:
    with pytest.raises(TypeError, match=r"^kwargs\['a'\]\[2\]\['b'\]: NaN"):
        codec.encode({"a": [0, 1, {"b": float("nan")}]}, "kwargs")


def test_check_size_counts_the_encoded_arguments() -> None:
    assert codec.check_size(["ab"], {}, 100) == len('{"args":["ab"],"kwargs":{}}')
