"""Target resolution: only classes and functions an allowed module defines are reachable."""

from __future__ import annotations

import json

import pytest
import targets_runner
from queueable_runner.allowlist import AllowList
from queueable_runner.resolve import Kind, RefusedTarget, check_names, loader, resolve

ALLOW = AllowList.of(["targets_runner"])


@pytest.mark.parametrize(
    ("qualname", "method", "kind"),
    [
        ("add", None, Kind.FUNCTION),
        ("slow_double", None, Kind.FUNCTION),
        ("Counter", None, Kind.CLASS),
        ("Counter", "plus", Kind.INSTANCE),
        ("Counter", "aplus", Kind.INSTANCE),
        ("Counter", "named", Kind.CLASSMETHOD),
        ("Counter", "ping", Kind.STATIC),
        ("Counter.ping", None, Kind.STATIC),
        ("Counter.Inner", "deep", Kind.STATIC),
        ("SubCounter", "plus", Kind.INSTANCE),
        ("SubCounter", "named", Kind.CLASSMETHOD),
    ],
)
def test_resolves_each_kind_of_target(qualname: str, method: str | None, kind: Kind) -> None:
    assert resolve(targets_runner, qualname, method, ALLOW).kind is kind


def test_binds_each_kind_to_the_right_callable() -> None:
    assert resolve(targets_runner, "add", None, ALLOW).bind()(2, 3) == 5
    assert resolve(targets_runner, "Counter", "ping", ALLOW).bind()("x") == "x"
    assert resolve(targets_runner, "SubCounter", "named", ALLOW).bind()("!") == "SubCounter!"
    plus = resolve(targets_runner, "Counter", "plus", ALLOW)
    assert plus.loads_object
    assert plus.bind(targets_runner.Counter(10))(5) == 15


def test_an_instance_attribute_cannot_replace_the_checked_method() -> None:
    obj = targets_runner.Counter(1)
    obj.plus = json.dumps  # type: ignore[method-assign]
    assert resolve(targets_runner, "Counter", "plus", ALLOW).bind(obj)(1) == 2


def test_an_instance_method_needs_an_object_and_others_refuse_one() -> None:
    with pytest.raises(RefusedTarget, match="instance method: the job needs objectId"):
        resolve(targets_runner, "Counter", "plus", ALLOW).bind()
    with pytest.raises(RefusedTarget, match="objectId must not be set"):
        resolve(targets_runner, "add", None, ALLOW).bind(object())


@pytest.mark.parametrize(
    ("qualname", "method", "message"),
    [
        # An underscore anywhere is refused before any lookup.
        ("_private", None, "'_private' starts with an underscore"),
        ("add.__globals__", None, "'__globals__' starts with an underscore"),
        ("boom.__globals__.os.system", None, "'__globals__' starts with an underscore"),
        ("Counter", "__init__", "'__init__' starts with an underscore"),
        ("Counter.__class__", None, "'__class__' starts with an underscore"),
        ("Counter", "_x", "'_x' starts with an underscore"),
        ("__builtins__", None, "'__builtins__' starts with an underscore"),
        # Names the module imported rather than defined.
        ("os.system", None, "'os' is a module, not a class or function"),
        ("os", None, "'os' is a module, not a class or function"),
        ("system", None, "'system' is a builtin_function_or_method, not a class or function"),
        ("dumps", None, "'dumps' comes from module 'json', which is not allowed"),
        ("CALLS", None, "'CALLS' is a list, not a class or function"),
        # Names that do not exist, or exist only through hooks.
        ("missing", None, "module 'targets_runner' defines no 'missing'"),
        ("invented", None, "module 'targets_runner' defines no 'invented'"),
        ("Counter", "missing", "Counter has no 'missing'"),
        ("Counter", "mro", "'mro' is not defined by Counter"),
        ("add.x", None, "cannot look up 'x' on a function"),
        # Malformed names.
        ("add", "a.b", "method 'a.b' must be a single name"),
        ("add-1", None, "'add-1' in 'add-1' is not a Python identifier"),
        ("a..b", None, "'' in 'a..b' is not a Python identifier"),
    ],
)
def test_refusals(qualname: str, method: str | None, message: str) -> None:
    with pytest.raises(RefusedTarget) as caught:
        resolve(targets_runner, qualname, method, ALLOW)
    assert message in str(caught.value)


def test_a_class_from_a_module_that_is_not_allowed_is_refused() -> None:
    # Counter is defined in targets_runner; an allow-list naming only a re-exporting
    # module must not let it through.
    allow = AllowList.of(["targets_runner.sub"])
    with pytest.raises(RefusedTarget, match="module 'targets_runner' is not allowed"):
        resolve(targets_runner, "Counter", None, allow)


def test_a_name_defined_in_a_submodule_of_an_allowed_prefix_resolves() -> None:
    # json.JSONDecoder is defined in json.decoder, which the prefix `json` also allows.
    assert resolve(json, "JSONDecoder", None, AllowList.of(["json"])).kind is Kind.CLASS


def test_a_name_whose_module_is_not_allowed_is_refused_even_from_an_allowed_module() -> None:
    # The job names an allowed module, but the class it holds was defined elsewhere.
    module = type(targets_runner)("targets_runner.fake")
    module.Thing = json.JSONDecoder  # type: ignore[attr-defined]
    with pytest.raises(RefusedTarget, match=r"'Thing' comes from module 'json\.decoder'"):
        resolve(module, "Thing", None, ALLOW)


def test_check_names_returns_the_parts() -> None:
    assert check_names("A.B", "c") == ["A", "B", "c"]


def test_loader_needs_a_queueable_load_classmethod() -> None:
    assert loader(targets_runner.Counter, "p")("4").start == 4
    with pytest.raises(RefusedTarget, match="NoLoader has no queueable_load"):
        loader(targets_runner.NoLoader, "p")
