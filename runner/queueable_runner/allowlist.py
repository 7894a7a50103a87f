"""The module allow-list as the runner enforces it. Pure; no module is imported here.

Whoever can create a QueueableJob can run code in a runner pod, so the runner imports a
module only if it matches the allow-list (ARCHITECTURE.md, "Security"); the operator and
the SDK check the same list. The list is the setting `allowed_modules`
(QUEUEABLE_ALLOWED_MODULES, comma-separated module prefixes, validated by
`queueable.config.Settings`), and prefix matching is `queueable.config.module_allowed`,
so every part of Queueable matches alike:

- the prefix `app` allows `app` and its submodules (`app.x`, `app.x.y`), not `apple`;
  `app.` allows the submodules only;
- an empty list allows nothing (there is no wildcard: a runner must be told what it runs).

On top of the prefix, the runner requires an absolute dotted name whose every part is an
identifier, and refuses a part starting with `__` (`app.__main__`) under any prefix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from queueable.config import Settings, module_allowed


@dataclass(frozen=True)
class AllowList:
    """Module prefixes; `allows(module)` says whether the runner may import `module`."""

    prefixes: tuple[str, ...]

    @classmethod
    def of(cls, prefixes: Iterable[str]) -> AllowList:
        return cls(tuple(prefixes))

    @classmethod
    def from_settings(cls, settings: Settings) -> AllowList:
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
