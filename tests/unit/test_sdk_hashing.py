"""The call hash is canonical: dict order, hash seed, process and machine do not change it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from queueable import codec, hashing
from queueable.models import Target

TARGET = Target(module="targets", qualname="Report", method="execute", object_id="7")
KWARGS = {"params": {"b": 2, "a": 1, "tags": {"x", "y", "z", "w"}}, "user_id": 1}

# The hash of the call below, pinned: a change of the hashed form must bump HASH_VERSION.
PINNED = "2f4a79d9637ce6a51455357d4d715e065694d3746f98062cfb7482bc90d318b8"

SCRIPT = """
import json, sys
from queueable import codec, hashing
from queueable.models import Target
target = Target(module="targets", qualname="Report", method="execute", object_id="7")
kwargs = {"params": {"b": 2, "a": 1, "tags": {"x", "y", "z", "w"}}, "user_id": 1}
encoded = {k: codec.encode(v, k) for k, v in kwargs.items()}
print(hashing.call_hash("ns", "acme", target, [codec.encode(1.5)], encoded))
"""


def _hash(kwargs: dict[str, object]) -> str:
    encoded = {k: codec.encode(v, k) for k, v in kwargs.items()}
    return hashing.call_hash("ns", "acme", TARGET, [codec.encode(1.5)], encoded)


def test_dict_order_does_not_matter() -> None:
    reordered = {"user_id": 1, "params": {"tags": {"w", "z", "y", "x"}, "a": 1, "b": 2}}
    assert _hash(KWARGS) == _hash(reordered)


def test_every_part_of_the_call_matters() -> None:
    base = _hash(KWARGS)
    assert _hash({**KWARGS, "user_id": 2}) != base
    encoded = {k: codec.encode(v, k) for k, v in KWARGS.items()}
    args = [codec.encode(1.5)]
    assert hashing.call_hash("other", "acme", TARGET, args, encoded) != base
    assert hashing.call_hash("ns", "beta", TARGET, args, encoded) != base
    other = TARGET.model_copy(update={"object_id": "8"})
    assert hashing.call_hash("ns", "acme", other, args, encoded) != base


def test_the_same_in_other_processes_with_other_hash_seeds() -> None:
    here = _hash(KWARGS)
    sdk = str(Path(__file__).resolve().parents[2] / "sdk")
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": sdk}
        out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                             text=True, check=True, timeout=120)
        assert out.stdout.strip() == here


def test_pinned_value() -> None:
    assert _hash(KWARGS) == PINNED


def test_canonical_json_is_compact_sorted_ascii() -> None:
    assert hashing.canonical_json({"b": 1, "a": "é"}) == '{"a":"\\u00e9","b":1}'
    assert json.loads(hashing.canonical_json({"x": [1, 2]})) == {"x": [1, 2]}
