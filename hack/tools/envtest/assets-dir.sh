#!/usr/bin/env bash
# assets-dir.sh prints the folder build.sh builds the control-plane binaries
# into: bin/k8s/<version of k8s.io/kubernetes pinned in go.mod>. It reads the
# version from go.mod without running go, so it is cheap enough for make.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
version=$(sed -n 's#^[[:space:]]*k8s.io/kubernetes \(v1\.[0-9.]*\).*#\1#p' "$here/go.mod" | head -n1)
echo "$root/bin/k8s/${version:?cannot read the k8s.io/kubernetes version from $here/go.mod}"
