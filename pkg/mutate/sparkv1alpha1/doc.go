// Package sparkv1alpha1 is a small typed mirror of the Spark Operator's
// SparkConnect API (sparkoperator.k8s.io/v1alpha1): the fields Strata
// reads and writes of one, the Spark configuration the operator starts
// the Spark Connect server with. A SparkConnect is decoded twice, as JSON
// values that keep every field as written and as that typed view, so
// that what composition changes is written back and nothing else is
// touched. The operator's Go module is not a dependency.
package sparkv1alpha1
