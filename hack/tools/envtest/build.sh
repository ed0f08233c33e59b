#!/usr/bin/env bash
# build.sh builds the control-plane binaries the end-to-end tests run
# (kube-apiserver, etcd, kubectl) from source, once, into OUT (default
# bin/k8s/<version>), and prints OUT. Nothing but Go modules is downloaded.
# A second run with the binaries present does nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)

K8S_VERSION=$(cd "$here" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
ETCD_VERSION=$(cd "$here" && go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
case "$K8S_VERSION" in v1.*) ;; *) echo "envtest: cannot read the k8s.io/kubernetes version from $here/go.mod" >&2; exit 1;; esac
OUT=${1:-$("$here/assets-dir.sh")}

if [ -x "$OUT/kube-apiserver" ] && [ -x "$OUT/etcd" ] && [ -x "$OUT/kubectl" ]; then
  echo "$OUT"
  exit 0
fi
mkdir -p "$OUT"

ver=${K8S_VERSION#v}; major=${ver%%.*}; rest=${ver#*.}; minor=${rest%%.*}
stamp=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp+=" -X ${pkg}.gitVersion=${K8S_VERSION} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
  stamp+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
done

cd "$here"
build() { # name package ldflags
  local name=$1 pkg=$2 flags=$3 start=$SECONDS
  echo "envtest: building $name ($pkg); the first build takes several minutes..." >&2
  # A heartbeat, so a long first build shows it is alive.
  ( while sleep 30; do echo "envtest: still building $name ($((SECONDS - start))s)" >&2; done ) &
  local beat=$! status=0
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $flags" -o "$OUT/$name.tmp" "$pkg" || status=$?
  kill "$beat" 2>/dev/null || true
  wait "$beat" 2>/dev/null || true
  [ "$status" -eq 0 ] || { echo "envtest: building $name failed" >&2; exit "$status"; }
  mv "$OUT/$name.tmp" "$OUT/$name"
  echo "envtest: built $name in $((SECONDS - start))s" >&2
}
[ -x "$OUT/kube-apiserver" ] || build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$stamp"
[ -x "$OUT/kubectl" ] || build kubectl k8s.io/kubernetes/cmd/kubectl "$stamp"
[ -x "$OUT/etcd" ] || build etcd go.etcd.io/etcd/server/v3 "-X go.etcd.io/etcd/api/v3/version.GitSHA=${ETCD_VERSION}"
echo "$OUT"
