"""Kubeconfig files: client-certificate ones for the components, token ones for pods."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def _document(server: str, ca_file: Path, user: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "local", "cluster": {
            "server": server, "certificate-authority": str(ca_file)}}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": "local", "context": {"cluster": "local", "user": name}}],
        "current-context": "local",
    }


def write_cert_kubeconfig(path: Path, server: str, ca_file: Path, cert: Path, key: Path,
                          user: str) -> None:
    doc = _document(server, ca_file, {
        "client-certificate": str(cert), "client-key": str(key)}, user)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    path.chmod(0o600)


def write_token_kubeconfig(path: Path, server: str, ca_file: Path, token_file: Path,
                           user: str) -> None:
    """A kubeconfig whose token is read from a file, so the node can rotate it in place."""
    doc = _document(server, ca_file, {"tokenFile": str(token_file)}, user)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    path.chmod(0o600)
