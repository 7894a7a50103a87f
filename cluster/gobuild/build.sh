#!/usr/bin/env bash
# Build the control-plane binaries (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, helm) from the official Go modules, into a cache outside the
# repository keyed by version, so a second run costs nothing.
#
#   cluster/gobuild/build.sh            prints the bin directory, building what is missing
#
# Environment: QUEUEABLE_CACHE (default ~/.cache/queueable).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

cache=${QUEUEABLE_CACHE:-$HOME/.cache/queueable}
bin="$cache/bin/k8s-$KUBERNETES_VERSION-etcd-$ETCD_VERSION-helm-$HELM_VERSION"
mkdir -p "$bin"

export CGO_ENABLED=0 GOFLAGS=-trimpath

minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
k8s_ldflags="-s -w \
 -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION \
 -X k8s.io/component-base/version.gitMajor=1 \
 -X k8s.io/component-base/version.gitMinor=$minor \
 -X k8s.io/component-base/version.gitTreeState=clean \
 -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z \
 -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION \
 -X k8s.io/client-go/pkg/version.gitMajor=1 \
 -X k8s.io/client-go/pkg/version.gitMinor=$minor"

build() { # build NAME MODULE_DIR PACKAGE LDFLAGS
  local name=$1 dir=$2 pkg=$3 ldflags=$4
  if [ -x "$bin/$name" ]; then return 0; fi
  echo "building $name ($pkg) ..." >&2
  local start=$SECONDS
  (cd "$here/$dir" && go build -ldflags "$ldflags" -o "$bin/$name.tmp" "$pkg")
  mv "$bin/$name.tmp" "$bin/$name"
  echo "built $name in $((SECONDS - start))s" >&2
}

build etcd etcd . "-s -w"
for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  build "$cmd" kubernetes "k8s.io/kubernetes/cmd/$cmd" "$k8s_ldflags"
done
build helm helm helm.sh/helm/v4/cmd/helm "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION"

echo "$bin"
