"""Shared pytest fixtures: a real redis-server and a real Kubernetes control plane.

Nothing here is mocked. `redis_url` starts a `redis-server` on a free loopback port (or
uses QUEUEABLE_TEST_REDIS_URL). The cluster fixtures live in `fixtures/cluster.py`: they
start the local control plane from `cluster/` once per run, or use the cluster that
KUBECONFIG names when QUEUEABLE_TEST_USE_KUBECONFIG=1 (a kind cluster included).
A test that needs something absent fails and says what is missing; nothing is skipped.
"""

from __future__ import annotations

pytest_plugins = ["fixtures.redis_server", "fixtures.cluster"]
