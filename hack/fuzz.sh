#!/usr/bin/env bash
# fuzz.sh runs every fuzz test of the module for the given time each (30s by default).
#
# Each new interesting input is minimized for at most FUZZMINIMIZE (100x: a hundred runs) rather
# than go test's 60s: a handler's fuzz test (an AdmissionReview through the webhook's code, some
# milliseconds each) otherwise spends a 30s run minimizing its first find and runs a few dozen
# inputs (FuzzValidateReview, 45s: 24 inputs with the default, 46,000 with 100x).
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-30s}
minimize=${FUZZMINIMIZE:-100x}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for fn in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "== $pkg $fn ($time)"
    go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$time" -fuzzminimizetime "$minimize" "$pkg"
  done
done
