"""`async_()`: record a call of a method or function instead of making it.

``obj.async_(**options).method(*args, **kwargs)`` and
``queueable.async_(function, **options)(*args, **kwargs)`` split the options from the
call's own arguments, so no argument name is reserved. Options are validated when
`async_()` is called; the target when the method is picked; the arguments when the call
is made, all before anything is created (see `queueable.submit`).

A target must be something a runner can import back by name: a module-level function
(sync or async), or a method, classmethod or staticmethod of a module-level class. For an
instance method, the object travels as its `queueable_id` and is rebuilt in the runner by
the class's classmethod `queueable_load(id)`. Refused at the call: lambdas, closures and
local classes (`<locals>`), anything defined in `__main__` (the runner has another
`__main__`: move it into a module), and names that start with an underscore.
"""

from __future__ import annotations

import asyncio
import inspect
import types
from collections.abc import Callable
from typing import Any, overload

from queueable import submit
from queueable.codec import object_id
from queueable.errors import InvalidTargetError, SerializationError
from queueable.job import Job
from queueable.models import Target
from queueable.options import Options, parse_options
from queueable.resolve import unimportable_reason


class BoundCall:
    """A target with its options: call it to submit the job."""

    def __init__(self, target: Target, function: Callable[..., Any], owner: Any,
                 options: Options) -> None:
        self.target = target
        self._function = function
        self._owner = owner
        self._options = options

    def __repr__(self) -> str:
        return f"<queueable call {self.target.module}.{self.target.qualname}" + (
            f".{self.target.method}>" if self.target.method else ">")

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> submit.Call:
        return submit.Call(target=self.target, function=self._function, owner=self._owner,
                           args=args, kwargs=kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Job:
        """Submit the job; returns its handle at once."""
        return submit.submit(self._call(args, kwargs), self._options)

    async def submit_async(self, *args: Any, **kwargs: Any) -> Job:
        """Submit the job from asyncio code, without blocking the event loop."""
        call = self._call(args, kwargs)
        return await asyncio.to_thread(submit.submit, call, self._options)


def _check_class(cls: type) -> None:
    reason = unimportable_reason(cls)
    if reason is not None:
        raise InvalidTargetError(reason)


class Delegator:
    """What `async_()` returns on an object or a class: pick the method to run."""

    def __init__(self, owner: Any, options: Options) -> None:
        self._owner = owner
        self._options = options

    def __getattr__(self, name: str) -> BoundCall:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # protocols (copy, pickle, ...) probe for these
        owner = self._owner
        cls = owner if isinstance(owner, type) else type(owner)
        if name.startswith("_"):
            raise InvalidTargetError(
                f"{cls.__qualname__}.{name}: names starting with an underscore are private, "
                "and a runner refuses them")
        try:
            raw = inspect.getattr_static(cls, name)
        except AttributeError:
            raise InvalidTargetError(f"{cls.__qualname__} has no method {name!r}") from None
        object_ref: str | None = None
        if isinstance(raw, staticmethod | classmethod):
            pass
        elif isinstance(raw, types.FunctionType):
            if owner is cls:
                raise InvalidTargetError(
                    f"{cls.__qualname__}.{name} is an instance method: call it on an "
                    f"object, e.g. {cls.__qualname__}(...).async_().{name}(...)")
            if not isinstance(getattr(cls, "queueable_load", None), types.MethodType):
                raise InvalidTargetError(
                    f"{cls.__qualname__} has no classmethod queueable_load(id), so a runner "
                    f"could not rebuild the object to call {name}")
            try:
                object_ref = object_id(owner, "object")
            except SerializationError as exc:
                raise InvalidTargetError(exc.reason) from None
        else:
            raise InvalidTargetError(
                f"{cls.__qualname__}.{name} is not a method "
                f"(it is a {type(raw).__qualname__})")
        _check_class(cls)
        target = Target(module=cls.__module__, qualname=cls.__qualname__, method=name,
                        object_id=object_ref)
        return BoundCall(target, getattr(owner, name), owner, self._options)


class _AsyncDescriptor:
    """Makes `async_` work on instances (instance, class and static methods) and on the
    class (class and static methods)."""

    def __get__(self, obj: Any, cls: type | None = None) -> Callable[..., Delegator]:
        owner = cls if obj is None else obj

        def async_(**options: Any) -> Delegator:
            return Delegator(owner, parse_options(options))

        return async_


class Queueable:
    """Mixin that gives a class `async_()`.

    For instance methods the class must define the classmethod `queueable_load(id)`
    (how a runner gets the object back); the object's id is `queueable_id`, by default
    ``str(self.id)``.
    """

    async_ = _AsyncDescriptor()

    @property
    def queueable_id(self) -> str:
        """The object's identity for `queueable_load`; default ``str(self.id)``."""
        return str(self.id)  # type: ignore[attr-defined]


@overload
def async_(target: types.FunctionType, **options: Any) -> BoundCall: ...
@overload
def async_(target: types.MethodType, **options: Any) -> BoundCall: ...
@overload
def async_(target: object, **options: Any) -> Delegator: ...


def async_(target: object, **options: Any) -> BoundCall | Delegator:
    """Record a call of a module-level function, a bound method, or a method of any class
    or object (which need not inherit Queueable):

        queueable.async_(send_email, tag="mail")("a@b")
        queueable.async_(report.execute, cache_duration=60)(1, {})
        queueable.async_(Reports).totals("2026-12-01")
    """
    parsed = parse_options(options)
    if isinstance(target, types.MethodType):
        delegator = Delegator(target.__self__, parsed)
        return getattr(delegator, target.__func__.__name__)  # type: ignore[no-any-return]
    if isinstance(target, types.FunctionType):
        if target.__name__ == "<lambda>":
            raise InvalidTargetError("a lambda cannot be a target: a runner cannot import it")
        reason = unimportable_reason(target)
        if reason is not None:
            raise InvalidTargetError(reason)
        return BoundCall(Target(module=target.__module__, qualname=target.__qualname__),
                         target, None, parsed)
    if isinstance(target, types.BuiltinFunctionType | types.ModuleType):
        raise InvalidTargetError(
            f"{target!r} cannot be a target: pass a function, a method, a class or an object")
    if isinstance(target, type):
        return Delegator(target, parsed)
    if callable(target) and not hasattr(target, "queueable_id"):
        raise InvalidTargetError(
            f"{type(target).__qualname__} object cannot be a target: pass a function, a "
            "method, a class or an object with queueable_id")
    return Delegator(target, parsed)
