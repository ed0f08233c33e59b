// Package jsonfield names the field of a JSON document that a decoder
// refused, with every list index and map key on its way: the path of a
// Layer's, a pod's or a SparkApplication's wrong value, as Strata's
// messages name a field (spec.config.env[1].value).
//
// encoding/json's UnmarshalTypeError (and sigs.k8s.io/json's, the same
// type) names the field by the Go struct fields it went through alone
// (spec.config.env.value), so which of a list's elements or which of a
// map's keys held the value is lost, and a Layer or an application may
// hold dozens of either. Its byte offset into the document is kept, and
// reading the document's tokens up to that offset gives the path whole.
package jsonfield
