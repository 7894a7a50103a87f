"""Arguments and results as JSON that comes back as the same value, or a refusal.

A call's arguments travel in the QueueableJob's spec (JSON, through the API server and
etcd) and a result travels in Redis; both are decoded in another process. `encode` turns
a value into JSON-native data and refuses, with a `SerializationError` naming the path
(`kwargs['params']['when']`), anything that would not come back equal and of the same
type. `decode` is its inverse.

JSON-native values (None, bool, int, float, str, list, dict with str keys) are kept as
they are, except two that the API server would change: a float with an integral value
(Go writes 1.0 back as 1) and an int outside 64 bits. Those, and the types below, use a
tagged object ``{"$queueable": <kind>, "v": ...}``:

    datetime, date, time (naive, fixed-offset or zoneinfo), timedelta, Decimal, UUID,
    bytes, tuple, set, frozenset, and objects whose class defines `queueable_id` and the
    classmethod `queueable_load` (sent as a reference, reloaded in the runner).

A user dict that contains the key "$queueable" itself is wrapped (kind "dict") so that it
round-trips too. Sets are written in a canonical order so that equal calls hash equally
in every process. Everything else is refused: lambdas, functions and classes, instances
of local classes, open files, other objects, enums, subclasses of the built-in types
(they would come back as the base type), non-string dict keys, NaN and infinities.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import io
import json
import math
import types
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from queueable.errors import SerializationError
from queueable.resolve import load_reference_in_caller, unimportable_reason

TAG = "$queueable"
"""Key marking a tagged value; a user dict using it is wrapped."""

_INT64 = 2**63


def encode(value: Any, path: str = "value") -> Any:
    """The JSON-native form of `value`; SerializationError names `path` when refused."""
    kind = type(value)
    if value is None or kind is bool:
        return value
    if kind is str:
        return _encode_str(value, path)
    if kind is int:
        return value if -_INT64 <= value < _INT64 else _tag("int", str(value))
    if kind is float:
        return _encode_float(value, path)
    if kind is dict:
        return _encode_dict(value, path)
    if kind is list:
        return [encode(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if kind is tuple:
        return _tag("tuple", [encode(item, f"{path}[{i}]") for i, item in enumerate(value)])
    if kind is set or kind is frozenset:
        return _tag(kind.__name__, _sorted_items(value, path))
    encoder = _SCALARS.get(kind)
    if encoder is not None:
        return encoder(value, path)
    return _encode_other(value, path)


def decode(obj: Any, load_object: Callable[[str, str, str], Any] | None = None) -> Any:
    """The value `encode` was given. `load_object(module, qualname, id)` rebuilds an
    object reference; by default the class is resolved by name with a target's rules and
    the caller's allow-list (`resolve.load_reference_in_caller`), and its
    `queueable_load(id)` is called."""
    if isinstance(obj, list):
        return [decode(item, load_object) for item in obj]
    if not isinstance(obj, dict):
        return obj
    if TAG not in obj:
        return {key: decode(item, load_object) for key, item in obj.items()}
    kind = obj[TAG]
    v: Any = obj.get("v")
    if kind == "dict":
        return {key: decode(item, load_object) for key, item in v.items()}
    if kind == "tuple":
        return tuple(decode(item, load_object) for item in v)
    if kind == "set":
        return {decode(item, load_object) for item in v}
    if kind == "frozenset":
        return frozenset(decode(item, load_object) for item in v)
    if kind == "object":
        loader = load_object or _load_object
        return loader(obj["module"], obj["qualname"], obj["id"])
    decoder = _DECODERS.get(kind)
    if decoder is None:
        raise ValueError(f"unknown tagged value {kind!r}")
    return decoder(obj)


def canonical_dumps(obj: Any) -> str:
    """Canonical JSON of JSON-native data: sorted keys, no whitespace, ASCII only."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)


def check_size(args: Any, kwargs: Any, limit: int) -> int:
    """The encoded size of a call's arguments; SerializationError when over `limit`."""
    size = len(canonical_dumps({"args": args, "kwargs": kwargs}))
    if size > limit:
        raise SerializationError(
            "arguments",
            f"the encoded arguments are {size} bytes, over the limit of {limit} bytes "
            "(QUEUEABLE_MAX_ARGUMENT_BYTES): pass a reference (an id, a URL) instead",
        )
    return size


def _tag(kind: str, v: Any) -> dict[str, Any]:
    return {TAG: kind, "v": v}


def _encode_str(value: str, path: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise SerializationError(
            path, "the string contains a lone surrogate, which is not valid UTF-8"
        ) from None
    return value


def _encode_float(value: float, path: str) -> Any:
    if math.isnan(value):
        raise SerializationError(path, "NaN is not a JSON number and cannot be sent")
    if math.isinf(value):
        raise SerializationError(path, f"{value} is not a JSON number and cannot be sent")
    if value.is_integer():
        return _tag("float", repr(value))
    return value


def _encode_dict(value: dict[Any, Any], path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if type(key) is not str:
            raise SerializationError(
                path, f"dict key {key!r} ({type(key).__name__}) is not a string: JSON object "
                "keys must be strings"
            )
        out[_encode_str(key, path)] = encode(item, f"{path}[{key!r}]")
    return _tag("dict", out) if TAG in out else out


def _sorted_items(items: Iterable[Any], path: str) -> list[Any]:
    encoded = [encode(item, f"{path}[<element>]") for item in items]
    return sorted(encoded, key=canonical_dumps)


def _encode_datetime(value: dt.datetime, path: str) -> Any:
    tz = value.tzinfo
    out = _tag("datetime", value.replace(tzinfo=None).isoformat())
    if tz is not None:
        if isinstance(tz, ZoneInfo):
            out["tz"] = tz.key
        elif isinstance(tz, dt.timezone):
            out["v"] = value.isoformat()
        else:
            raise SerializationError(path, _tz_refusal(tz))
    if value.fold:
        out["fold"] = 1
    return out


def _encode_time(value: dt.time, path: str) -> Any:
    tz = value.tzinfo
    if tz is not None and not isinstance(tz, dt.timezone):
        raise SerializationError(path, _tz_refusal(tz))
    out = _tag("time", value.isoformat())
    if value.fold:
        out["fold"] = 1
    return out


def _tz_refusal(tz: dt.tzinfo) -> str:
    return (f"the time zone {type(tz).__module__}.{type(tz).__qualname__} cannot be sent; "
            "use datetime.timezone or zoneinfo.ZoneInfo")


def _encode_decimal(value: Decimal, path: str) -> Any:
    if not value.is_finite():
        raise SerializationError(path, f"Decimal({str(value)!r}) is not a finite number")
    return _tag("decimal", str(value))


_SCALARS: dict[type, Callable[[Any, str], Any]] = {
    dt.datetime: _encode_datetime,
    dt.date: lambda value, path: _tag("date", value.isoformat()),
    dt.time: _encode_time,
    dt.timedelta: lambda value, path: _tag(
        "timedelta", [value.days, value.seconds, value.microseconds]
    ),
    Decimal: _encode_decimal,
    uuid.UUID: lambda value, path: _tag("uuid", str(value)),
    bytes: lambda value, path: _tag("bytes", base64.b64encode(value).decode("ascii")),
}


def _decode_datetime(obj: dict[str, Any]) -> dt.datetime:
    value = dt.datetime.fromisoformat(obj["v"])
    if "tz" in obj:
        value = value.replace(tzinfo=ZoneInfo(obj["tz"]))
    return value.replace(fold=obj.get("fold", 0))


def _decode_time(obj: dict[str, Any]) -> dt.time:
    return dt.time.fromisoformat(obj["v"]).replace(fold=obj.get("fold", 0))


_DECODERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "int": lambda obj: int(obj["v"]),
    "float": lambda obj: float(obj["v"]),
    "datetime": _decode_datetime,
    "date": lambda obj: dt.date.fromisoformat(obj["v"]),
    "time": _decode_time,
    "timedelta": lambda obj: dt.timedelta(*obj["v"]),
    "decimal": lambda obj: Decimal(obj["v"]),
    "uuid": lambda obj: uuid.UUID(obj["v"]),
    "bytes": lambda obj: base64.b64decode(obj["v"]),
}


_FUNCTIONS = (types.FunctionType, types.BuiltinFunctionType, types.MethodType,
              functools.partial)


def _encode_other(value: Any, path: str) -> Any:
    if isinstance(value, types.LambdaType) and value.__name__ == "<lambda>":
        raise SerializationError(path, "a lambda cannot be sent to a runner")
    if isinstance(value, _FUNCTIONS):
        reason = unimportable_reason(getattr(value, "__func__", value))
        if reason and "<locals>" in reason:
            raise SerializationError(
                path, "a closure (a function defined inside another function) cannot be "
                "sent to a runner")
        raise SerializationError(
            path, "a function cannot be sent as an argument: pass data, and choose the "
            "function inside the job")
    if isinstance(value, type):
        raise SerializationError(
            path, f"a class ({value.__qualname__}) cannot be sent as an argument")
    if isinstance(value, io.IOBase):
        raise SerializationError(
            path, "an open file cannot be sent to a runner: pass its path or its contents")
    if isinstance(value, Enum):
        raise SerializationError(
            path, f"the enum member {value!r} cannot be sent: pass its .value")
    for base in (str, int, float, dict, list, tuple, set, frozenset, bytes):
        if isinstance(value, base):
            raise SerializationError(
                path, f"a {type(value).__qualname__} would come back as a plain "
                f"{base.__name__}: convert it first")
    return _encode_reference(value, path)


def _encode_reference(value: Any, path: str) -> Any:
    cls = type(value)
    name = f"{cls.__module__}.{cls.__qualname__}"
    has_id = hasattr(value, "queueable_id")
    has_load = isinstance(getattr(cls, "queueable_load", None), types.MethodType)
    if not has_id and not has_load:
        if "<locals>" in cls.__qualname__:
            raise SerializationError(
                path, f"an instance of {name}, a class defined inside a function, cannot "
                "be sent to a runner")
        raise SerializationError(
            path, f"an object of type {name} cannot be sent to a runner: pass plain data, "
            "or give its class queueable_id and a classmethod queueable_load")
    if not has_load:
        raise SerializationError(
            path, f"{name} has queueable_id but no classmethod queueable_load, so a "
            "runner could not rebuild it")
    if not has_id:
        raise SerializationError(
            path, f"{name} has queueable_load but no queueable_id")
    reason = unimportable_reason(cls)
    if reason is not None:
        raise SerializationError(path, reason)
    return {TAG: "object", "module": cls.__module__, "qualname": cls.__qualname__,
            "id": object_id(value, path)}


def object_id(value: Any, path: str) -> str:
    """The `queueable_id` of an object (attribute, property or method), as a string."""
    try:
        ident = value.queueable_id
        if callable(ident):
            ident = ident()
    except AttributeError as exc:
        raise SerializationError(
            path, f"{type(value).__qualname__}.queueable_id failed: {exc} (by default it is "
            "str(self.id): set `id` or override queueable_id)") from None
    if type(ident) is int:
        ident = str(ident)
    if type(ident) is not str or not ident:
        raise SerializationError(
            path, f"{type(value).__qualname__}.queueable_id must be a non-empty str, got "
            f"{ident!r}")
    return ident


def _load_object(module: str, qualname: str, ident: str) -> Any:
    return load_reference_in_caller(module, qualname, ident)
