package app

import (
	"sync"
	"sync/atomic"
)

// inOrder returns fn(0), ..., fn(n-1), computed on up to workers
// goroutines at once; fn must be safe to call concurrently. When some
// calls fail, the error is the first's in index order, whichever failed
// first in time, and the results are those before it: every index before
// the first failure is computed, those after it may be skipped. So a run
// answers as a loop over the indices that stops at an error would, byte
// for byte. (errgroup answers with the first error in time
// and cancels the calls still running, which would make the answer depend
// on scheduling.)
func inOrder[T any](n, workers int, fn func(i int) (T, error)) ([]T, error) {
	out := make([]T, n)
	errs := make([]error, n)
	// next is the next index to compute; failed the lowest index that
	// failed so far, n while none has.
	var next, failed atomic.Int64
	failed.Store(int64(n))
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= failed.Load() { // past the end, or past a failure
					return
				}
				v, err := fn(int(i))
				if err == nil {
					out[i] = v
					continue
				}
				errs[i] = err
				for f := failed.Load(); i < f && !failed.CompareAndSwap(f, i); f = failed.Load() {
				}
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f < int64(n) {
		return out[:f], errs[f]
	}
	return out, nil
}
