"""The module allow-list (`queueable.resolve.AllowList`, what a runner enforces): prefix
matching on dotted names, nothing else."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from queueable.config import Settings
from queueable.resolve import AllowList


def allow_list(value: str) -> AllowList:
    """The allow-list the runner builds from QUEUEABLE_ALLOWED_MODULES=value."""
    return AllowList.from_settings(Settings(allowed_modules=value))


@pytest.mark.parametrize(
    ("prefixes", "module", "allowed"),
    [
        ("app", "app", True),
        ("app", "app.x", True),
        ("app", "app.x.y", True),
        ("app", "apple", False),
        ("app", "ap", False),
        ("app", "myapp", False),
        ("app.tasks", "app", False),
        ("app.tasks", "app.tasks", True),
        ("app.tasks", "app.tasks.mail", True),
        ("app.tasks", "app.tasksx", False),
        ("app.", "app", False),
        ("app.", "app.x", True),
        ("app,billing", "billing.invoices", True),
        (" app , billing ", "billing", True),
        ("app", "app.", False),
        ("app", ".app", False),
        ("app", "app..x", False),
        ("app", "app.x-y", False),
        ("app", "app.x y", False),
        ("app", "app.__main__", False),
        ("app", "app.__init__", False),
        ("app", "app._internal", True),
        ("app", "", False),
        ("", "app", False),
        (",,", "app", False),
    ],
)
def test_prefix_matching(prefixes: str, module: str, allowed: bool) -> None:
    assert allow_list(prefixes).allows(module) is allowed


def test_an_empty_list_allows_nothing_and_says_so() -> None:
    allow = allow_list("")
    assert allow.prefixes == ()
    assert allow.describe() == "(empty: nothing is allowed)"
    assert allow_list("a,b").describe() == "a, b"


@pytest.mark.parametrize("entry", ["a-b", "app..x", "1app", "app.*", "*"])
def test_an_entry_that_is_not_a_module_prefix_is_a_configuration_error(entry: str) -> None:
    with pytest.raises(ValidationError, match="is not a module name or prefix"):
        Settings(allowed_modules=f"ok,{entry}")
