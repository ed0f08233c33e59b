// Command load measures the webhook's handlers under load and against a
// floor: a no-op handler (decode the review and the pod, allow it) served by
// the same binary with the same TLS setup.
//
// It starts etcd and kube-apiserver, applies a layer repository (the bundled
// example by default), builds and starts the webhook as its own process
// (--serve-noop), and sends it AdmissionReviews over HTTPS on loopback,
// built from the example pods with unique names and uids: closed loop at a
// concurrency, or open loop at a rate, for a count of requests or a time.
// For each handler it prints requests/s, latency percentiles, errors and
// denials, the webhook process's CPU seconds per request (from /proc) and
// its peak RSS, and every ratio to the floor measured in the same run.
// --target points it at a webhook already running instead; --client-auth
// has the started webhook serve only a client certificate, which the load
// presents, as the API server does; --policies DIR has it judge pods with a
// site's policies instead of the built-in ones; --large-apps N sends N
// reviews of a SparkApplication of almost 3 MiB at once and reports the
// webhook's peak memory and the requests it shed.
//
//	go run ./test/load                            # closed loop, 8 at a time
//	go run ./test/load --rate 500 --duration 10s  # open loop, 500 pods/s
//	go run ./test/load --handlers noop --large-apps 8
package main
