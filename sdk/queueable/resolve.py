"""What a job may name, and how a name becomes the callable: the one implementation.

A runner, inline mode, testing mode and the codec's object references all resolve names
here, with the same rules, so that a test fails where production would. Resolution is
static (`vars()` of the module, `inspect.getattr_static` on classes): no module
`__getattr__`, property or metaclass hook runs while resolving. Importing the module is
the caller's step (the runner checks the allow-list before it imports anything).

The allow-list must not be walkable (ARCHITECTURE.md, "Security"), so resolution refuses:

- any part of `qualname` or `method` that starts with an underscore (no `__globals__`,
  `__class__`, `_private`), checked before any lookup;
- a first part that the module's own namespace does not hold (no module `__getattr__`);
- anything on the path that is not a class or a plain Python function (a module such as
  `os` that the allowed module imported, a builtin such as `os.system`, a property, data);
- a class or function whose `__module__` is not itself allowed (a name imported from an
  outside package into an allowed module);
- a name that only the metaclass provides (`Report.mro`);
- walking past a function (functions have no attributes worth calling).

`method` is looked up on the class the qualname resolves to (its MRO included, so an
inherited method works). An instance method needs `objectId` (the object is rebuilt with
`queueable_load`) and is bound through the checked descriptor; a classmethod or
staticmethod is called on the class.

Which allow-list: a runner uses QUEUEABLE_ALLOWED_MODULES (`AllowList.from_settings`).
The caller's own process (inline mode, testing mode, decoding a result) uses
`caller_allow_list`: the configured list when there is one, otherwise the top-level
package of the module being resolved. In the caller the list is not a security boundary
(the code is already the caller's), but the name rules still apply, and a name from
another package (`from json import dumps`) is refused as a runner allowing only the
application's package would refuse it.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from types import FunctionType, ModuleType
from typing import Any

from queueable.config import Settings, get_settings, module_allowed
from queueable.errors import InvalidTargetError
from queueable.models import Target


class RefusedTarget(InvalidTargetError):
    """The job names something that will not be called; the job is invalid, not failed."""


@dataclass(frozen=True)
class AllowList:
    """Module prefixes; `allows(module)` says whether a module's names may be resolved.

    Prefix matching is `queueable.config.module_allowed` (`app` allows `app` and `app.x`,
    not `apple`; `app.` allows the submodules only); an empty list allows nothing. On top
    of the prefix, a module name must be dotted identifiers, none starting with `__`
    (`app.__main__` is refused under any prefix).
    """

    prefixes: tuple[str, ...]

    @classmethod
    def of(cls, prefixes: Iterable[str]) -> AllowList:
        return cls(tuple(prefixes))

    @classmethod
    def from_settings(cls, settings: Settings) -> AllowList:
        """QUEUEABLE_ALLOWED_MODULES, as a runner enforces it."""
        return cls.of(settings.allowed_modules)

    def allows(self, module: str) -> bool:
        """True if `module` is a well-formed module name under one of the prefixes."""
        parts = module.split(".")
        if not module or not all(part.isidentifier() for part in parts):
            return False
        if any(part.startswith("__") for part in parts):
            return False
        return module_allowed(module, self.prefixes)

    def describe(self) -> str:
        """The list, for an error message."""
        return ", ".join(self.prefixes) if self.prefixes else "(empty: nothing is allowed)"


def own_package(module: str) -> AllowList:
    """The allow-list of just `module`'s top-level package (`app` for `app.jobs`)."""
    return AllowList.of([module.partition(".")[0]])


def caller_allow_list(module: str, settings: Settings | None = None) -> AllowList:
    """The allow-list for resolving `module`'s names in the caller's own process.

    QUEUEABLE_ALLOWED_MODULES when it is set (then inline code obeys exactly what a
    runner obeys); otherwise `own_package(module)`, which is what a runner allowing the
    application's package would accept.
    """
    settings = settings or get_settings()
    if settings.allowed_modules:
        return AllowList.from_settings(settings)
    return own_package(module)


class Kind(StrEnum):
    """What the resolved target is, which decides how it is called."""

    FUNCTION = "function"          # a module-level (or nested-class) function
    CLASS = "class"                # a class called as it is: constructs an instance
    STATIC = "staticmethod"        # method given: a staticmethod of the class
    CLASSMETHOD = "classmethod"    # method given: a classmethod of the class
    INSTANCE = "instance method"   # method given: a plain function; needs the object


@dataclass(frozen=True)
class Resolved:
    """A target found and checked; `bind()` turns it into the callable to invoke."""

    kind: Kind
    owner: type | None          # the class the method belongs to (or the class itself)
    attribute: Any              # the raw attribute (function, classmethod, staticmethod, class)
    path: str                   # `module:qualname[.method]`, for messages

    def bind(self, obj: object | None = None) -> Callable[..., Any]:
        """The callable: bound to `obj` for an instance method, to the class otherwise.

        Binding goes through the attribute that was checked (its descriptor), so an
        instance attribute of the same name cannot replace the method.
        """
        if self.kind is Kind.INSTANCE:
            if obj is None:
                raise RefusedTarget(f"{self.path} is an instance method: the job needs objectId")
            bound: Callable[..., Any] = self.attribute.__get__(obj, self.owner)
            return bound
        if obj is not None:
            raise RefusedTarget(f"{self.path} is a {self.kind}: objectId must not be set")
        if self.kind in (Kind.STATIC, Kind.CLASSMETHOD):
            method: Callable[..., Any] = self.attribute.__get__(None, self.owner)
            return method
        target: Callable[..., Any] = self.attribute
        return target

    @property
    def loads_object(self) -> bool:
        """True if the object must be rebuilt with `queueable_load(objectId)` first."""
        return self.kind is Kind.INSTANCE

    @property
    def function(self) -> Any:
        """The class or plain function found (a static/classmethod unwrapped)."""
        return _unwrap(self.attribute)

    def check_object_id(self, object_id: str | None) -> None:
        """Refuse an `objectId` that does not fit the kind (needed exactly for an instance
        method, whose class must then have `queueable_load`). No user code runs."""
        if self.loads_object:
            if object_id is None:
                raise RefusedTarget(f"{self.path} is an instance method: the job needs objectId")
            loader(self.owner, self.path)
        elif object_id is not None:
            raise RefusedTarget(f"{self.path} is a {self.kind}: objectId must not be set")

    def callable_for(self, object_id: str | None) -> Callable[..., Any]:
        """The callable to invoke: for an instance method, bound to the object that
        `queueable_load(object_id)` rebuilds (user code runs there; its errors propagate),
        which must be an instance of the class."""
        self.check_object_id(object_id)
        if object_id is None:
            return self.bind()
        owner = self.owner
        obj = loader(owner, self.path)(object_id)
        if owner is None or not isinstance(obj, owner):
            raise TypeError(
                f"{self.path}: queueable_load({object_id!r}) returned a "
                f"{type(obj).__qualname__}, not a {getattr(owner, '__qualname__', owner)}"
            )
        return self.bind(obj)


def check_names(qualname: str, method: str | None) -> list[str]:
    """The dotted parts of `qualname` (then `method`), each an identifier without a leading `_`."""
    parts = qualname.split(".")
    if method is not None:
        if "." in method:
            raise RefusedTarget(f"method {method!r} must be a single name")
        parts.append(method)
    for part in parts:
        if not part.isidentifier():
            raise RefusedTarget(f"{part!r} in {qualname!r} is not a Python identifier")
        if part.startswith("_"):
            raise RefusedTarget(
                f"{part!r} starts with an underscore: private and dunder names are never resolved"
            )
    return parts


def _unwrap(attribute: Any) -> Any:
    if isinstance(attribute, staticmethod | classmethod):
        return attribute.__func__
    return attribute


def _check_defined(obj: Any, name: str, where: str, allow: AllowList) -> None:
    if not (inspect.isclass(obj) or isinstance(obj, FunctionType)):
        raise RefusedTarget(
            f"{where}: {name!r} is a {type(obj).__name__}, not a class or function "
            "defined in an allowed module"
        )
    module = getattr(obj, "__module__", None)
    if not isinstance(module, str) or not allow.allows(module):
        raise RefusedTarget(
            f"{where}: {name!r} comes from module {module!r}, which is not allowed"
        )


def resolve(module: ModuleType, qualname: str, method: str | None, allow: AllowList) -> Resolved:
    """Walk `qualname` (then `method`) from `module`; raise `RefusedTarget` on any doubt."""
    path = f"{module.__name__}:{qualname}" + (f".{method}" if method else "")
    if not allow.allows(module.__name__):
        raise RefusedTarget(f"{path}: module {module.__name__!r} is not allowed")
    parts = check_names(qualname, method)
    namespace = vars(module)
    first = parts[0]
    if first not in namespace:
        raise RefusedTarget(f"{path}: module {module.__name__!r} defines no {first!r}")
    current: Any = namespace[first]
    _check_defined(current, first, path, allow)
    owner: type | None = None
    attribute: Any = current
    for part in parts[1:]:
        if not inspect.isclass(current):
            raise RefusedTarget(f"{path}: cannot look up {part!r} on a function")
        try:
            attribute = inspect.getattr_static(current, part)
        except AttributeError:
            raise RefusedTarget(f"{path}: {current.__qualname__} has no {part!r}") from None
        if part not in {n for klass in current.__mro__ for n in vars(klass)}:
            # getattr_static also finds the metaclass's attributes (type.mro, ...).
            raise RefusedTarget(f"{path}: {part!r} is not defined by {current.__qualname__}")
        owner = current
        current = _unwrap(attribute)
        _check_defined(current, part, path, allow)

    if inspect.isclass(current):
        return Resolved(Kind.CLASS, current, current, path)
    if owner is None:
        return Resolved(Kind.FUNCTION, None, current, path)
    if isinstance(attribute, staticmethod):
        return Resolved(Kind.STATIC, owner, attribute, path)
    if isinstance(attribute, classmethod):
        return Resolved(Kind.CLASSMETHOD, owner, attribute, path)
    return Resolved(Kind.INSTANCE, owner, attribute, path)


def loader(cls: type | None, path: str) -> Callable[[str], Any]:
    """The class's `queueable_load` classmethod, which rebuilds an object from its id."""
    if cls is None:
        raise RefusedTarget(f"{path}: only a class's objects can be rebuilt from an id")
    attribute = inspect.getattr_static(cls, "queueable_load", None)
    if attribute is None:
        raise RefusedTarget(
            f"{path}: {cls.__qualname__} has no queueable_load(id) to rebuild the object with"
        )
    if not isinstance(attribute, classmethod | staticmethod):
        raise RefusedTarget(
            f"{path}: {cls.__qualname__}.queueable_load must be a classmethod"
        )
    load: Callable[[str], Any] = attribute.__get__(None, cls)
    return load


def not_allowed(module: str, allow: AllowList) -> RefusedTarget | None:
    """The refusal of a job whose module is outside the allow-list (checked before import)."""
    if allow.allows(module):
        return None
    return RefusedTarget(
        f"module {module!r} is not in the allow-list "
        f"(QUEUEABLE_ALLOWED_MODULES: {allow.describe()}); it was not imported"
    )


def resolve_target(target: Target, allow: AllowList) -> Resolved:
    """Check, import and resolve a job's target, in a runner's order: allow-list and names
    before the import, then static resolution and the `objectId` check.

    An exception raised by importing the module propagates as it is. (The runner makes
    these steps one by one, to report each its own way.)
    """
    refusal = not_allowed(target.module, allow)
    if refusal is not None:
        raise refusal
    check_names(target.qualname, target.method)
    found = resolve(importlib.import_module(target.module), target.qualname, target.method,
                    allow)
    found.check_object_id(target.object_id)
    return found


def load_reference(module: str, qualname: str, object_id: str, allow: AllowList) -> Any:
    """The object an encoded reference names (`codec`'s tagged object): the class is
    resolved with the same rules as a target, then `queueable_load(object_id)` is called."""
    if not allow.allows(module):
        raise RefusedTarget(
            f"an argument refers to an object of module {module!r}, which is not allowed"
        )
    check_names(qualname, None)
    found = resolve(importlib.import_module(module), qualname, None, allow)
    if found.kind is not Kind.CLASS or found.owner is None:
        raise RefusedTarget(f"an argument refers to {found.path}, which is not a class")
    return loader(found.owner, found.path)(object_id)


def load_reference_in_caller(
    module: str, qualname: str, object_id: str, settings: Settings | None = None
) -> Any:
    """`load_reference` with the caller's allow-list (`caller_allow_list`)."""
    return load_reference(module, qualname, object_id, caller_allow_list(module, settings))


def unimportable_reason(obj: Any) -> str | None:
    """Why a runner could not import `obj` back by module and qualname; None if it can.

    The name rules above are applied with `own_package` of the object's module: the
    allow-list itself is checked separately, at the call, when it is configured.
    """
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        return f"{obj!r} has no __module__ and __qualname__, so a runner cannot import it"
    if "<lambda>" in qualname:
        return f"a lambda ({module}.{qualname}) cannot be imported by a runner"
    if "<locals>" in qualname:
        return (f"{module}.{qualname} is defined inside a function (a closure or local "
                "class), so a runner cannot import it; define it at module level")
    if module == "__main__":
        return (f"{qualname} is defined in __main__ (the script being run), which a runner "
                "cannot import; move it into a module")
    for part in qualname.split("."):
        if part.startswith("_"):
            return (f"{module}.{qualname}: names starting with an underscore are private, "
                    "and a runner refuses them")
    try:
        found = resolve(importlib.import_module(module), qualname, None, own_package(module))
    except (ImportError, RefusedTarget) as exc:
        return f"{module}.{qualname} cannot be imported back by name: {exc}"
    if found.function is not obj:
        return (f"{module}.{qualname} names another object than this one (was it "
                "redefined or wrapped by a decorator without functools.wraps?)")
    if found.loads_object:
        return (f"{module}.{qualname} is an instance method: a runner needs the object, so "
                "call it on one, e.g. obj.async_().method(...)")
    return None
