"""A container's environment, resolved as the kubelet resolves it.

Plain values, `valueFrom` (secretKeyRef, configMapKeyRef, fieldRef) and `envFrom`, then
`$(VAR)` references expanded in values, command and args. Lookups of Secrets and
ConfigMaps go through the callables given, so the resolution itself is pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Lookup = Callable[[str, str], Mapping[str, str] | None]  # (namespace, name) -> data or None


class EnvError(ValueError):
    """The environment cannot be built (kubelet: CreateContainerConfigError)."""


_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")
_FIELD_PATH = re.compile(r"^metadata\.(labels|annotations)\['([^']+)'\]$")


def expand(text: str, env: Mapping[str, str]) -> str:
    """Expand `$(VAR)` from env; `$$` is a literal `$`; unknown references stay as written."""
    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env.get(name, m.group(0))
    return _REF.sub(sub, text)


def field_value(pod: Mapping[str, Any], path: str) -> str:
    meta, spec, status = pod["metadata"], pod["spec"], pod.get("status") or {}
    simple = {
        "metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"), "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName"),
        "status.podIP": status.get("podIP") or "127.0.0.1",
        "status.hostIP": status.get("hostIP") or "127.0.0.1",
    }
    if path in simple:
        return str(simple[path] or "")
    if m := _FIELD_PATH.match(path):
        return str((meta.get(m.group(1)) or {}).get(m.group(2), ""))
    raise EnvError(f"fieldRef {path!r} is not supported by the local node")


def _from_source(kind: str, ref: Mapping[str, Any], namespace: str, lookup: Lookup,
                 var: str) -> str | None:
    data = lookup(namespace, ref["name"])
    optional = bool(ref.get("optional"))
    if data is None:
        if optional:
            return None
        raise EnvError(f"{kind} {namespace}/{ref['name']} (for env {var}) not found")
    if ref["key"] not in data:
        if optional:
            return None
        raise EnvError(f"key {ref['key']!r} not in {kind} {namespace}/{ref['name']} "
                       f"(for env {var})")
    return data[ref["key"]]


def container_env(pod: Mapping[str, Any], container: Mapping[str, Any], *,
                  secrets: Lookup, config_maps: Lookup) -> dict[str, str]:
    """The variables the pod spec gives the container, in kubelet order (envFrom, then env)."""
    namespace = pod["metadata"]["namespace"]
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix") or ""
        kind, ref = (("Secret", source["secretRef"]) if source.get("secretRef")
                     else ("ConfigMap", source["configMapRef"]))
        data = (secrets if kind == "Secret" else config_maps)(namespace, ref["name"])
        if data is None:
            if ref.get("optional"):
                continue
            raise EnvError(f"{kind} {namespace}/{ref['name']} (envFrom) not found")
        env.update({prefix + k: v for k, v in data.items()})
    for item in container.get("env") or []:
        name = item["name"]
        if "valueFrom" not in item or item["valueFrom"] is None:
            env[name] = expand(item.get("value") or "", env)
            continue
        source = item["valueFrom"]
        value: str | None
        if source.get("secretKeyRef"):
            value = _from_source("Secret", source["secretKeyRef"], namespace, secrets, name)
        elif source.get("configMapKeyRef"):
            value = _from_source("ConfigMap", source["configMapKeyRef"], namespace,
                                 config_maps, name)
        elif source.get("fieldRef"):
            value = field_value(pod, source["fieldRef"]["fieldPath"])
        else:
            raise EnvError(f"env {name}: only secretKeyRef, configMapKeyRef and fieldRef "
                           "are supported by the local node")
        if value is not None:
            env[name] = value
    return env


def argv(container: Mapping[str, Any], env: Mapping[str, str]) -> list[str]:
    """command + args with `$(VAR)` expanded; the local node needs an explicit command."""
    command = list(container.get("command") or [])
    if not command:
        raise EnvError(f"container {container['name']!r} has no command: the local node runs "
                       "the command, not the image's entrypoint")
    return [expand(a, env) for a in command + list(container.get("args") or [])]
