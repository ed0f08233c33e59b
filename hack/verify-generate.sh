#!/usr/bin/env bash
# verify-generate.sh fails when the checked-in generated files (deepcopy code
# and the CRD) differ from what `make generate` produces from the Go types.
# It leaves the tree as it found it.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
deepcopy=pkg/overlay/v1alpha1/zz_generated.deepcopy.go
cp "$deepcopy" "$tmp/deepcopy.go"
restore() { cp "$tmp/deepcopy.go" "$deepcopy"; rm -rf "$tmp"; }
trap restore EXIT
go tool controller-gen object paths=./pkg/overlay/v1alpha1/...
go tool controller-gen crd paths=./pkg/overlay/v1alpha1/... output:crd:artifacts:config="$tmp/crd"
go run ./hack/crd-items "$tmp"/crd/*.yaml
status=0
diff -u "$tmp/deepcopy.go" "$deepcopy" || status=1
diff -ru -x kustomization.yaml manifests/crd "$tmp/crd" || status=1
if [ $status -ne 0 ]; then
  echo "generated files are stale: run 'make generate' and commit the result" >&2
fi
exit $status
