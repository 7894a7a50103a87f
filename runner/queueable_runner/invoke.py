"""Import the job's module, rebuild its object, call the target and encode what it returned.

No Kubernetes and no Redis here: `run(spec, allow)` turns a QueueableJob spec into an
`Outcome`, which `report` then writes. The order is what makes the allow-list hold:

1. the module name is checked against the allow-list and every qualname/method part is
   checked (no leading underscore) *before* anything is imported;
2. the module is imported; an exception raised while importing it is the job's failure
   with its real type (a missing dependency stays `ModuleNotFoundError: No module named
   'dep'`), except that a target module that does not exist at all is a refused job;
3. the target is resolved statically (`queueable.resolve`, the one implementation that
   inline and testing modes use too), the arguments are decoded with `queueable.codec`
   (object references inside them are resolved with the same allow-list and rules), the
   object is rebuilt with `queueable_load(objectId)`;
4. the callable is called; an awaitable result is awaited with `asyncio.run`;
5. the return value is encoded with `queueable.codec.encode`; a value that cannot be
   encoded is a failure that says so.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

from queueable import codec, results
from queueable.models import QueueableJobSpec
from queueable.resolve import (
    AllowList,
    RefusedTarget,
    check_names,
    load_reference,
    not_allowed,
    resolve,
)

from queueable_runner.exitcodes import ExitCode

_PACKAGE_DIR = str(Path(__file__).resolve().parent)


class ResultNotSerializable(Exception):
    """The target returned a value that `queueable.codec` cannot encode."""


class Reason:
    """Values of `status.reason` (and of `Outcome.reason`) that the runner writes."""

    SUCCEEDED = "Succeeded"
    FAILED = "TargetFailed"              # the call (or queueable_load) raised
    IMPORT_FAILED = "ImportFailed"       # importing the module raised
    NOT_SERIALIZABLE = "ResultNotSerializable"
    NOT_ALLOWED = "ModuleNotAllowed"     # outside the allow-list: never imported
    MODULE_NOT_FOUND = "ModuleNotFound"  # the target module itself does not exist
    INVALID_TARGET = "InvalidTarget"     # the target does not resolve, or is refused
    INVALID_ARGUMENTS = "InvalidArguments"
    INVALID_SPEC = "InvalidSpec"          # the spec does not validate against the models


REFUSAL_REASONS = frozenset({
    Reason.NOT_ALLOWED, Reason.MODULE_NOT_FOUND, Reason.INVALID_TARGET,
    Reason.INVALID_ARGUMENTS, Reason.INVALID_SPEC,
})
"""The reasons of a refused job (`ExitCode.REFUSED`); every other failure is FAILED."""


@dataclass(frozen=True)
class Outcome:
    """What running the job gave: an encoded value, or an error and whether to retry."""

    code: ExitCode
    reason: str
    value: Any = None                  # the codec-encoded return value, on success
    error: BaseException | None = None
    traceback: str = ""
    recorded: results.Envelope | None = None
    """The envelope an earlier attempt stored, when the outcome comes from Redis."""

    @classmethod
    def from_envelope(cls, envelope: results.Envelope) -> Outcome:
        """The outcome an earlier attempt stored in Redis (`report.store`), for a runner
        that finds it there: a success, or a failure with its stored reason (its exit
        code follows from the reason; TargetFailed when none was stored)."""
        recorded: results.Envelope = {
            key: envelope[key] for key in ("ok", "value", "error") if key in envelope
        }
        if envelope.get("ok") is True:
            return cls(ExitCode.SUCCEEDED, Reason.SUCCEEDED, value=envelope.get("value"),
                       recorded=recorded)
        reason = str(envelope.get("reason") or Reason.FAILED)
        code = ExitCode.REFUSED if reason in REFUSAL_REASONS else ExitCode.FAILED
        return cls(code, reason, recorded=recorded)

    @property
    def ok(self) -> bool:
        return self.code is ExitCode.SUCCEEDED

    def envelope(self) -> results.Envelope:
        """The outcome envelope that `queueable.results.store_outcome` stores."""
        if self.recorded is not None:
            return dict(self.recorded)
        if self.error is None:
            return results.ok_envelope(self.value)
        return results.exception_envelope(self.error, self.traceback)


def _user_traceback(exc: BaseException) -> str:
    """The exception's traceback without the runner's own frames at its top."""
    tb: TracebackType | None = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _failed(code: ExitCode, reason: str, exc: BaseException) -> Outcome:
    return Outcome(code=code, reason=reason, error=exc, traceback=_user_traceback(exc))


def _refused(reason: str, exc: BaseException) -> Outcome:
    # A refusal's traceback would show the runner's code, not the user's: leave it out.
    return Outcome(code=ExitCode.REFUSED, reason=reason, error=exc)


def _is_missing(exc: ModuleNotFoundError, module: str) -> bool:
    """True if `module` itself (or a parent package of it) does not exist."""
    name = exc.name or ""
    return bool(name) and (module == name or module.startswith(name + "."))


def _import(module: str) -> ModuleType:
    return importlib.import_module(module)


def _object_loader(allow: AllowList) -> Callable[[str, str, str], Any]:
    """`load_object` for `codec.decode`: object references obey the allow-list too."""

    def load_object(module: str, qualname: str, object_id: str) -> Any:
        return load_reference(module, qualname, object_id, allow)

    return load_object


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def run(spec: QueueableJobSpec, allow: AllowList) -> Outcome:
    """Run the job that `spec` describes, once; never raises for the job's own errors."""
    target = spec.target
    refusal = not_allowed(target.module, allow)
    if refusal is not None:
        return _refused(Reason.NOT_ALLOWED, refusal)
    try:
        check_names(target.qualname, target.method)
    except RefusedTarget as exc:
        return _refused(Reason.INVALID_TARGET, exc)

    try:
        module = _import(target.module)
    except ModuleNotFoundError as exc:
        if _is_missing(exc, target.module):
            return _failed(ExitCode.REFUSED, Reason.MODULE_NOT_FOUND, exc)
        return _failed(ExitCode.FAILED, Reason.IMPORT_FAILED, exc)
    except (Exception, SystemExit) as exc:  # noqa: BLE001  (any error of user code is the job's)
        return _failed(ExitCode.FAILED, Reason.IMPORT_FAILED, exc)

    try:
        found = resolve(module, target.qualname, target.method, allow)
        found.check_object_id(target.object_id)
    except RefusedTarget as exc:
        return _refused(Reason.INVALID_TARGET, exc)

    try:
        load_object = _object_loader(allow)
        args = codec.decode(spec.args, load_object)
        kwargs = codec.decode(spec.kwargs, load_object)
    except RefusedTarget as exc:
        return _refused(Reason.INVALID_ARGUMENTS, exc)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return _failed(ExitCode.REFUSED, Reason.INVALID_ARGUMENTS, exc)
    except (Exception, SystemExit) as exc:  # noqa: BLE001  (an argument's queueable_load raised)
        return _failed(ExitCode.FAILED, Reason.FAILED, exc)
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        return _refused(Reason.INVALID_ARGUMENTS,
                        RefusedTarget("args must decode to a list and kwargs to an object"))

    try:
        value = found.callable_for(target.object_id)(*args, **kwargs)
        if inspect.isawaitable(value):
            value = asyncio.run(_await(value))
    except (Exception, SystemExit) as exc:  # noqa: BLE001  (any error of user code is the job's)
        return _failed(ExitCode.FAILED, Reason.FAILED, exc)

    try:
        encoded = codec.encode(value, "result")
    except Exception as exc:  # noqa: BLE001  (SerializationError, or a queueable_id that raised)
        error = ResultNotSerializable(
            f"{found.path} returned a {type(value).__qualname__}, which cannot be stored "
            f"as its result: {exc}"
        )
        error.__cause__ = exc
        return Outcome(code=ExitCode.FAILED, reason=Reason.NOT_SERIALIZABLE, error=error)
    return Outcome(code=ExitCode.SUCCEEDED, reason=Reason.SUCCEEDED, value=encoded)
