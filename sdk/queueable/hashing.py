"""The canonical hash of a call: the dedup key, and the default cache key.

Computed over the call's *encoded* form (what the spec holds), so that the SDK, before
it creates a resource, and the operator, from a resource created any other way, get the
same hash. Canonical JSON (sorted keys, no whitespace, ASCII) makes it independent of dict
order, of PYTHONHASHSEED (sets are encoded in a canonical order by `codec`), of the
process and of the machine.
"""

from __future__ import annotations

import hashlib
from typing import Any

from queueable.codec import canonical_dumps
from queueable.models import Target

HASH_VERSION = 1
"""Bumped if the hashed form ever changes, so that old and new keys never collide."""


def canonical_json(obj: Any) -> str:
    """Canonical JSON of JSON-native data (see `codec.canonical_dumps`)."""
    return canonical_dumps(obj)


def call_hash(
    namespace: str, tenant: str, target: Target, args: list[Any], kwargs: dict[str, Any]
) -> str:
    """Hex SHA-256 of a call: namespace, tenant, target, encoded args and kwargs."""
    document = {
        "version": HASH_VERSION,
        "namespace": namespace,
        "tenant": tenant,
        "target": {
            "module": target.module,
            "qualname": target.qualname,
            "method": target.method,
            "objectId": target.object_id,
        },
        "args": args,
        "kwargs": kwargs,
    }
    return hashlib.sha256(canonical_json(document).encode("ascii")).hexdigest()
