// Command benchreport writes the results of `make bench` into BENCHMARKS.md:
// the medians of the Go benchmarks (each handler next to the no-op floor of
// the same size) and the load tool's run (test/load --json), with the
// command, the machine and the date, between two markers it replaces on
// every run. The rest of the file, the history and analysis, is the team's.
//
//	go run ./test/benchreport --bench bench.txt --load load.json --out BENCHMARKS.md
package main
