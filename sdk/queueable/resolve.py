"""From a target's names to the callable, and the check that a runner can do the same.

The SDK checks at the call that a target (or an object passed as an argument) can be
imported back by name; inline and testing modes then resolve it by name exactly as a
runner does, so that a test fails where production would. Resolution follows only names
that the module itself defines: every qualname part is an attribute lookup, parts that
start with an underscore are refused, and each class or function met must have been
defined in that module (`__module__`), so that an allowed module that imported `os`
cannot be used to reach `os.system`.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Sequence
from typing import Any

from queueable.config import module_allowed
from queueable.errors import InvalidOptionError
from queueable.models import Target


def unimportable_reason(obj: Any) -> str | None:
    """Why a runner could not import `obj` back by module and qualname; None if it can."""
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
        found = resolve(module, qualname)
    except (ImportError, InvalidOptionError, AttributeError) as exc:
        return f"{module}.{qualname} cannot be imported back by name: {exc}"
    if found is not obj:
        return (f"{module}.{qualname} names another object than this one (was it "
                "redefined or wrapped by a decorator without functools.wraps?)")
    return None


def resolve(module: str, qualname: str, allowed: Sequence[str] | None = None) -> Any:
    """Import `module` and follow `qualname` in it, as a runner does.

    `allowed` is the module allow-list (prefixes, see `config.module_allowed`); None skips
    that check (the caller's own process). The module's ImportError is not hidden.
    """
    if allowed is not None and not module_allowed(module, allowed):
        raise InvalidOptionError(
            f"module {module!r} is not in the allow-list (QUEUEABLE_ALLOWED_MODULES)"
        )
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        if not part.isidentifier() or part.startswith("_"):
            raise InvalidOptionError(f"{module}.{qualname}: name part {part!r} is refused")
        try:
            obj = inspect.getattr_static(obj, part)
        except AttributeError:
            raise AttributeError(f"module {module!r} has no attribute {qualname!r}") from None
        if isinstance(obj, classmethod | staticmethod):
            obj = obj.__func__
        if getattr(obj, "__module__", None) != module:
            raise InvalidOptionError(
                f"{module}.{qualname}: {part!r} is not defined in {module!r}"
            )
    return obj


def load_target(target: Target, allowed: Sequence[str] | None = None) -> Any:
    """The callable a target names: function, class attribute, or a loaded object's method."""
    owner = resolve(target.module, target.qualname, allowed)
    if target.method is None:
        return owner
    if not target.method.isidentifier() or target.method.startswith("_"):
        raise InvalidOptionError(f"method {target.method!r} is refused")
    if target.object_id is not None:
        owner = owner.queueable_load(target.object_id)
    return getattr(owner, target.method)
