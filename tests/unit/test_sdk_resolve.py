"""Target resolution (`queueable.resolve`): only classes and functions an allowed module
defines are reachable. One implementation serves the runner, inline and testing modes and
the codec's object references; the last tests check that inline mode and the runner agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import queueable
import queueable.testing
import targets_runner
from queueable import codec, config, inline
from queueable.config import Settings
from queueable.errors import InvalidTargetError
from queueable.models import QueueableJobSpec, Target
from queueable.resolve import (
    AllowList,
    Kind,
    RefusedTarget,
    caller_allow_list,
    check_names,
    load_reference_in_caller,
    loader,
    own_package,
    resolve,
    unimportable_reason,
)
from queueable_runner.invoke import Reason
from queueable_runner.invoke import run as run_in_runner

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


def test_the_objects_kind_must_match_objectid() -> None:
    found = resolve(targets_runner, "Counter", "plus", ALLOW)
    found.check_object_id("1")
    with pytest.raises(RefusedTarget, match="instance method: the job needs objectId"):
        found.check_object_id(None)
    with pytest.raises(RefusedTarget, match="is a classmethod: objectId must not be set"):
        resolve(targets_runner, "Counter", "named", ALLOW).check_object_id("1")
    with pytest.raises(RefusedTarget, match="NoLoader has no queueable_load"):
        resolve(targets_runner, "NoLoader", "work", ALLOW).check_object_id("1")
    assert found.callable_for("4")(1) == 5


# -- Which allow-list the caller's own process uses ------------------------------------


def test_the_caller_uses_the_configured_allow_list_else_the_targets_own_package() -> None:
    assert caller_allow_list("app.jobs", Settings(allowed_modules="a,b")).prefixes == ("a", "b")
    assert caller_allow_list("app.jobs", Settings(allowed_modules="")) == own_package("app")
    assert own_package("app.jobs.mail").prefixes == ("app",)


def test_a_reference_in_the_callers_process_follows_the_same_rules() -> None:
    settings = Settings(allowed_modules="")
    assert load_reference_in_caller("targets_runner", "Counter", "3", settings).start == 3
    with pytest.raises(RefusedTarget, match="refers to targets_runner:add, which is not a class"):
        load_reference_in_caller("targets_runner", "add", "3", settings)
    with pytest.raises(RefusedTarget, match="'__class__' starts with an underscore"):
        load_reference_in_caller("targets_runner", "Counter.__class__", "3", settings)
    with pytest.raises(RefusedTarget, match="module 'targets_runner', which is not allowed"):
        load_reference_in_caller("targets_runner", "Counter", "3",
                                 Settings(allowed_modules="elsewhere"))


@pytest.fixture
def no_allow_list() -> Iterator[None]:
    queueable.configure(allowed_modules="", kubeconfig="/nonexistent/kubeconfig",
                        redis_url="redis://127.0.0.1:1/0")
    yield
    config.reset()


@pytest.mark.usefixtures("no_allow_list")
def test_decoding_a_reference_by_default_uses_the_callers_rules() -> None:
    ref = {codec.TAG: "object", "module": "targets_runner", "qualname": "Counter", "id": "5"}
    assert codec.decode(ref).start == 5
    with pytest.raises(RefusedTarget, match="'dumps' comes from module 'json'"):
        codec.decode({**ref, "qualname": "dumps"})


def test_a_plain_function_that_is_an_instance_method_cannot_be_a_target() -> None:
    assert unimportable_reason(targets_runner.Counter) is None
    assert unimportable_reason(targets_runner.Counter.ping) is None  # the staticmethod's function
    assert unimportable_reason(targets_runner.add) is None
    reason = unimportable_reason(targets_runner.Counter.plus)
    assert reason is not None
    assert "is an instance method" in reason


# -- Inline mode and the runner agree ------------------------------------------------


def spec(qualname: str, method: str | None = None, object_id: str | None = None,
         *args: object) -> QueueableJobSpec:
    return QueueableJobSpec(
        target=Target(module="targets_runner", qualname=qualname, method=method,
                      object_id=object_id),
        args=codec.encode(list(args), "args"), kwargs={},
    )


def test_inline_mode_refuses_a_metaclass_method_exactly_as_the_runner_does() -> None:
    # The SDK's former resolver called `qualname: Counter, method: mro`.
    job = spec("Counter", "mro")
    in_runner = run_in_runner(job, ALLOW)
    assert in_runner.reason == Reason.INVALID_TARGET
    for allowed in ("targets_runner", ""):
        envelope = inline.execute(job, Settings(allowed_modules=allowed))
        assert envelope == in_runner.envelope() == {"ok": False, "error": {
            "type": "queueable.resolve.RefusedTarget",
            "message": "targets_runner:Counter.mro: 'mro' is not defined by Counter",
            "traceback": "",
        }}


@pytest.mark.parametrize("allowed", ["targets_runner", ""])
@pytest.mark.parametrize(
    ("qualname", "method", "object_id"),
    [
        ("Report", "mro", None),
        ("Counter", "__init__", None),
        ("Counter.__class__", None, None),
        ("Counter", "_x", None),
        ("os", "system", None),
        ("system", None, None),
        ("dumps", None, None),
        ("invented", None, None),
        ("CALLS", None, None),
        ("Counter", "plus", None),
        ("add", None, "1"),
        ("Counter", "ping", "1"),
        ("NoLoader", "work", "1"),
    ],
)
def test_inline_mode_refuses_what_the_runner_refuses(
    qualname: str, method: str | None, object_id: str | None, allowed: str
) -> None:
    job = spec(qualname, method, object_id)
    expected = run_in_runner(job, ALLOW).envelope()["error"]
    assert expected["type"] == "queueable.resolve.RefusedTarget"
    envelope = inline.execute(job, Settings(allowed_modules=allowed))
    assert envelope == {"ok": False, "error": expected}


@pytest.mark.parametrize(
    ("job", "value"),
    [
        (spec("add", None, None, 2, 3), 5),
        (spec("Counter", "plus", "10", 5), 15),
        (spec("Counter", "aplus", "10", 5), 15),
        (spec("SubCounter", "named", None, "!"), "SubCounter!"),
        (spec("Counter.Inner", "deep"), "deep"),
    ],
)
def test_inline_mode_runs_what_the_runner_runs(job: QueueableJobSpec, value: object) -> None:
    in_runner = run_in_runner(job, ALLOW)
    assert in_runner.value == value
    assert inline.execute(job, Settings(allowed_modules="")) == {"ok": True, "value": value}


def test_inline_mode_obeys_a_configured_allow_list_as_the_runner_does() -> None:
    # With `json` allowed too, the name `dumps` that targets_runner imported resolves.
    job = spec("dumps", None, None, [1])
    wide = AllowList.of(["targets_runner", "json"])
    assert run_in_runner(job, wide).value == "[1]"
    assert inline.execute(job, Settings(allowed_modules="targets_runner,json")) == {
        "ok": True, "value": "[1]"}
    narrow = inline.execute(job, Settings(allowed_modules="targets_runner.sub"))
    assert narrow["error"]["message"] == run_in_runner(job, AllowList.of(
        ["targets_runner.sub"])).envelope()["error"]["message"]


def test_testing_mode_refuses_metaclass_and_instance_method_targets_at_the_call() -> None:
    with queueable.testing.inline_jobs() as memory:
        with pytest.raises(InvalidTargetError, match="is not a method"):
            queueable.async_(targets_runner.Counter).mro()
        with pytest.raises(InvalidTargetError, match="is an instance method"):
            queueable.async_(targets_runner.Counter.plus)(1)
        assert memory.submitted == []
