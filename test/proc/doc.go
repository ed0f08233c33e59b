// Package proc reads what a process has used so far from Linux's /proc:
// its CPU time and its resident memory. The load tool measures the webhook
// with it, and the end-to-end benchmarks the API server, etcd and their own
// process, so a ratio of two runs can be split by who did the work.
package proc
