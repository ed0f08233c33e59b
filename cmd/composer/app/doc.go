// Package app is the composer command: `composer compose` builds a layer
// repository in-process and prints the composed pods, the JSON Patch the
// webhook would return, or a table of which layer set every value.
//
// Run executes the command with explicit arguments and streams and returns an
// ExitCode instead of exiting, so every path is testable in-process.
package app
