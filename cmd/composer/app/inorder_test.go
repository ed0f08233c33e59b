package app

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestInOrder: results come back in index order however the calls
// finish, and the error is the first failure's in that order, not in time,
// with the results before it.
func TestInOrder(t *testing.T) {
	// Later indices finish first.
	square := func(i int) (int, error) {
		time.Sleep(time.Duration(50-i) * 100 * time.Microsecond)
		return i * i, nil
	}
	for _, workers := range []int{1, 4, 64} {
		got, err := inOrder(50, workers, square)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range got {
			if v != i*i {
				t.Fatalf("%d workers: result %d is %d, want %d", workers, i, v, i*i)
			}
		}
	}
	if got, err := inOrder(0, 4, square); err != nil || len(got) != 0 {
		t.Errorf("no indices: %v, %v", got, err)
	}

	// Index 3 fails late, index 40 at once: the answer is index 3's.
	var mu sync.Mutex
	var called []int
	failing := func(i int) (int, error) {
		mu.Lock()
		called = append(called, i)
		mu.Unlock()
		switch i {
		case 3:
			time.Sleep(20 * time.Millisecond)
			return 0, errors.New("object 3")
		case 40:
			return 0, errors.New("object 40")
		}
		return i, nil
	}
	for range 5 {
		called = nil
		got, err := inOrder(100, 8, failing)
		if err == nil || err.Error() != "object 3" || !slices.Equal(got, []int{0, 1, 2}) {
			t.Fatalf("%v, error %v; want the results before index 3 and its error", got, err)
		}
		for i := range 3 {
			if !slices.Contains(called, i) {
				t.Fatalf("index %d, before the first failure, was not computed (called %v)", i, called)
			}
		}
	}
}

// TestInOrderStopsAtTheFirstFailure: no index past a failure is handed
// out, so with one worker nothing after the first failure runs.
func TestInOrderStopsAtTheFirstFailure(t *testing.T) {
	var called []int
	_, err := inOrder(10, 1, func(i int) (struct{}, error) {
		called = append(called, i)
		if i == 2 {
			return struct{}{}, fmt.Errorf("object %d", i)
		}
		return struct{}{}, nil
	})
	if err == nil || !slices.Equal(called, []int{0, 1, 2}) {
		t.Errorf("error %v, called %v; want object 2's after 0, 1, 2", err, called)
	}
}
