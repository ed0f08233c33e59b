package app

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
)

// TestGrownStack: the handler behind withGrownStack is served as it is,
// on a goroutine whose stack holds requestStack: goroutines blocked in
// such handlers hold that much stack each (runtime.MemStats.StackInuse),
// where a goroutine's own starts at a few KiB. It fails when the
// compiler leaves growStack's frame out.
func TestGrownStack(t *testing.T) {
	const n = 32
	// No collection meanwhile: it shrinks the stacks of goroutines that
	// use a quarter of theirs, as these, blocked, do.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var started sync.WaitGroup
	release := make(chan struct{})
	h := withGrownStack(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		started.Done()
		<-release
		w.WriteHeader(http.StatusTeapot)
	}))
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	started.Add(n)
	codes := make(chan int, n)
	for range n {
		go func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
			codes <- rec.Code
		}()
	}
	started.Wait()
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	close(release)
	for range n {
		if code := <-codes; code != http.StatusTeapot {
			t.Fatalf("the handler answered %d, want %d", code, http.StatusTeapot)
		}
	}
	grown := int64(during.StackInuse) - int64(before.StackInuse)
	if want := int64(n * requestStack * 3 / 4); grown < want {
		t.Fatalf("%d goroutines in grown handlers hold %d bytes more stack, want at least %d (%d each)", n, grown, want, requestStack)
	}
}
