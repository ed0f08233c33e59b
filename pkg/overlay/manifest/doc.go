// Package manifest reads Kubernetes manifests from files: a layer repository
// (a Kustomize tree, built in-process exactly as `kubectl kustomize` builds
// it, or a plain directory of YAML and JSON files) and pod files.
//
// Every decoder is strict and every error names the file, the object and the
// field, and what was expected. Files are read through kustomize's
// filesys.FileSystem, so tests run on an in-memory filesystem.
package manifest
