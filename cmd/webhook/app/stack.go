package app

import "net/http"

// requestStack is the stack a request's goroutine is grown to before its
// handler runs: more than judging the example executor reaches (OPA's
// evaluation is the deepest), a power of two, as Go's stacks are.
const requestStack = 64 << 10

// withGrownStack grows the stack of each request's goroutine to
// requestStack at once, before the handler runs. It goes behind the
// client check and the in-flight limit, so only requests being served
// hold such a stack: at most MaxInFlight of them (16 MiB at the default),
// however many a client opens.
//
// The HTTP/2 server runs each request on a new goroutine, whose stack
// starts small (a few KiB: the runtime's average over every goroutine,
// most of them idle). Decoding, composing and evaluating then grow it by
// doubling, and each growth copies the stack and walks every frame on it
// to move its pointers, deeper each time. Grown here, near the bottom of
// the stack, there is one copy of a few frames instead. Measured on
// per-request goroutines (BenchmarkServeOnNewGoroutines): 5–7% of a
// mutation's, a validation's and the no-op's CPU; in the load tool's
// profiles, growing stacks fell from 6–13% of the webhook's CPU to 1–2%.
// The Go runtime has no setting for a goroutine's first stack;
// CockroachDB grows its request goroutines the same way.
func withGrownStack(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		growStack(0)
		h.ServeHTTP(w, r)
	})
}

// growStack has a frame of requestStack bytes, so calling it grows the
// caller's stack to hold it (the runtime doubles a stack until the frame
// fits, in one copy). i, always 0, keeps the compiler from leaving the
// array out; it stays on the stack, as it does not escape.
//
//go:noinline
func growStack(i int) byte {
	var frame [requestStack - 8<<10]byte // room for the frames below it
	return frame[i]
}
