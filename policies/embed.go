// Package policies holds Strata's built-in Rego policies, one folder per
// policy with its tests, embedded in the binaries. A site replaces them with
// its own with --policies DIR.
package policies

import "embed"

// FS holds every policy folder: */*.rego, tests included (the loader skips
// files ending in _test.rego).
//
//go:embed */*.rego
var FS embed.FS
