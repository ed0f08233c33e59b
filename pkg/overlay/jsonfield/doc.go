// Package jsonfield names the field of a JSON document that a decoder
// refused, with every list index and map key on its way: the path of a
// Layer's, a pod's or a SparkApplication's wrong value, as Strata's
// messages name a field (spec.config.env[1].value), and what was wrong
// with it (Refused).
//
// encoding/json's UnmarshalTypeError (and sigs.k8s.io/json's, the same
// type) names the field by the Go struct fields it went through alone
// (spec.config.env.value), so which of a list's elements or which of a
// map's keys held the value is lost, and a Layer or an application may
// hold dozens of either. Its byte offset into the document is kept, and
// reading the document's tokens up to that offset gives the path whole.
// resource.Quantity's error of a string it cannot parse names no field
// at all: the document is read as its Go type to find the quantity
// (quantity.InvalidJSON).
package jsonfield
