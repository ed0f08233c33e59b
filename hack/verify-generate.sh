#!/usr/bin/env bash
# verify-generate.sh fails when the checked-in generated files (deepcopy code
# and the CRD) differ from what `make generate` produces from the Go types.
# It leaves the tree as it found it.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
packages=(pkg/overlay/v1alpha1 pkg/mutate/sparkv1beta2)
for p in "${packages[@]}"; do
  mkdir -p "$tmp/$p"
  cp "$p/zz_generated.deepcopy.go" "$tmp/$p/"
done
restore() {
  for p in "${packages[@]}"; do cp "$tmp/$p/zz_generated.deepcopy.go" "$p/"; done
  rm -rf "$tmp"
}
trap restore EXIT
for p in "${packages[@]}"; do go tool controller-gen object paths="./$p/..."; done
go tool controller-gen crd paths=./pkg/overlay/v1alpha1/... output:crd:artifacts:config="$tmp/crd"
go run ./hack/crd-items "$tmp"/crd/*.yaml
status=0
for p in "${packages[@]}"; do
  diff -u "$tmp/$p/zz_generated.deepcopy.go" "$p/zz_generated.deepcopy.go" || status=1
done
diff -ru -x kustomization.yaml manifests/crd "$tmp/crd" || status=1
if [ $status -ne 0 ]; then
  echo "generated files are stale: run 'make generate' and commit the result" >&2
fi
exit $status
