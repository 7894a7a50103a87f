"""Find the callable a QueueableJob names inside an imported module, without walking out of it.

Pure: given an already imported module, no I/O and no user code runs here. Attribute
lookups are static (`vars()` of the module, `inspect.getattr_static` on classes), so no
module `__getattr__`, property or metaclass hook is triggered while resolving.

The allow-list must not be walkable (ARCHITECTURE.md, "Security"), so resolution refuses:

- any part of `qualname` or `method` that starts with an underscore (no `__globals__`,
  `__class__`, `_private`), checked before any lookup;
- a first part that the module's own namespace does not hold (no module `__getattr__`);
- anything on the path that is not a class or a plain Python function (a module such as
  `os` that the allowed module imported, a builtin such as `os.system`, a property, data);
- a class or function whose `__module__` is not itself allowed (a name imported from an
  outside package into an allowed module);
- walking past a function (functions have no attributes worth calling).

`method` is looked up on the class the qualname resolves to (its MRO included, so an
inherited method works). An instance method needs `objectId` (the object is rebuilt with
`queueable_load`); a classmethod or staticmethod is called on the class.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from types import FunctionType, ModuleType
from typing import Any

from queueable_runner.allowlist import AllowList


class RefusedTarget(Exception):
    """The job names something the runner will not call; the job is invalid, not failed."""


class Kind(StrEnum):
    """What the resolved target is, which decides how the runner calls it."""

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
        """True if the runner must rebuild the object with `queueable_load(objectId)`."""
        return self.kind is Kind.INSTANCE


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
