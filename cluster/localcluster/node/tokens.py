"""Service-account credentials for a local pod, made with the TokenRequest API.

Each pod gets a kubeconfig whose token is bound to the pod (it stops working when the
pod is deleted), so code in the "pod" authenticates as its service account and RBAC
applies to it exactly as in a real cluster.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubernetes import client

from .. import kubeconfigs

TOKEN_SECONDS = 24 * 3600
REFRESH_EVERY = 3600.0
"""A running pod's token file is rewritten this often (kubelet refreshes at 80% of the
lifetime; we refresh far earlier), so long-lived pods such as an operator keep working."""
AUDIENCE = "https://kubernetes.default.svc.cluster.local"


def request_token(core: client.CoreV1Api, pod: dict[str, Any]) -> str:
    meta = pod["metadata"]
    account = pod["spec"].get("serviceAccountName") or "default"
    body = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(
        audiences=[AUDIENCE], expiration_seconds=TOKEN_SECONDS,
        bound_object_ref=client.V1BoundObjectReference(
            kind="Pod", api_version="v1", name=meta["name"], uid=meta["uid"])))
    resp = core.create_namespaced_service_account_token(account, meta["namespace"], body)
    if resp.status is None:
        raise RuntimeError(f"TokenRequest for {meta['namespace']}/{account} returned no token")
    return str(resp.status.token)


def write_token(core: client.CoreV1Api, pod: dict[str, Any], pod_dir: Path) -> Path:
    """(Re)write the pod's token file atomically; clients that read it get a valid token."""
    token_file = pod_dir / "token"
    tmp = pod_dir / "token.tmp"
    tmp.write_text(request_token(core, pod))
    tmp.chmod(0o600)
    tmp.replace(token_file)
    return token_file


def write_pod_kubeconfig(core: client.CoreV1Api, pod: dict[str, Any], pod_dir: Path,
                         server: str, ca_file: Path) -> Path:
    token_file = write_token(core, pod, pod_dir)
    path = pod_dir / "kubeconfig"
    account = pod["spec"].get("serviceAccountName") or "default"
    kubeconfigs.write_token_kubeconfig(
        path, server, ca_file, token_file,
        f"system:serviceaccount:{pod['metadata']['namespace']}:{account}")
    return path
