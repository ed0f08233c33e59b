#!/usr/bin/env bash
# fuzz.sh runs every fuzz test of the module for the given time each (30s by default).
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-30s}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for fn in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "== $pkg $fn ($time)"
    go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$time" "$pkg"
  done
done
