// Package sparkvalue reads the Spark settings Strata sizes a
// SparkApplication by (its pods' CPU and memory, how many executors it may
// run) as Spark reads them, so that no spelling of a value Spark runs with
// is counted as something smaller.
//
// Spark trims a number or a switch as Java's String.trim does (every
// character up to the space, no other), takes a switch as true or false in
// any case, a size as a whole number with an optional binary unit, and
// reads a setting's deprecated alternates when the setting itself is unset
// (spark.yarn.executor.memoryOverhead for spark.executor.memoryOverhead).
// Settings lists every setting Strata reads, with its Kind; Conf reads a
// Spark configuration through that table, so a setting read as a kind the
// table does not give it is an error, and Problem validates a Layer's
// value of any key in the table, alternates included.
//
// It also reads the files a SparkApplication names as spark-submit does
// (Files, SubmitterLocal), to tell those it would read where it runs: in
// the Spark Operator's pod, with the operator; and properties files
// (spark-defaults.conf) as Spark reads them (ReadProperties, a port of
// java.util.Properties' reading) and writes them back (PropertiesLine).
package sparkvalue
