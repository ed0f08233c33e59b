// Package jsonform describes how encoding/json encodes a Go type: a
// struct's fields by JSON name with their omitempty and omitzero options
// (embedded structs inlined, the shallower field winning a name), and
// whether a type encodes itself (MarshalJSON, MarshalText). Code that
// works on typed values as their JSON (the typed pod patch, the policy
// input built without JSON) reads types through it, so the two agree with
// encoding/json and with each other.
//
// What it learns of a type is cached for the life of the process, as
// encoding/json caches its own: types do not change.
package jsonform
