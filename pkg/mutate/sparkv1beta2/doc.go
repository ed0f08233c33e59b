// Package sparkv1beta2 is a small typed mirror of the Spark Operator's
// SparkApplication API (sparkoperator.k8s.io/v1beta2, as of the operator's
// v2.5 releases): the fields Strata reads and writes, no more. The
// operator's Go module is not a dependency (it would bring the operator's
// whole dependency tree into the webhook for a handful of fields).
//
// An Object keeps the application exactly as it was written, every field
// Strata does not know included: only the fields of the typed view that
// composition changed are written back, so everything else survives byte
// for byte in value.
package sparkv1beta2
