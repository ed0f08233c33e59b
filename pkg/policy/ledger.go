package policy

import (
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// LivePod is what one Spark pod takes, for the inventory.
type LivePod struct {
	// Key is namespace/name.
	Key       string
	Namespace string
	// App is the pod's spark-app-selector.
	App      string
	Executor bool
	Usage    Usage
}

// LivePodOf describes pod for the inventory.
func LivePodOf(pod *corev1.Pod) LivePod {
	return LivePod{
		Key:       pod.Namespace + "/" + pod.Name,
		Namespace: pod.Namespace,
		App:       pod.Labels["spark-app-selector"],
		Executor:  pod.Labels[v1alpha1.RoleLabel] == string(v1alpha1.RoleExecutor),
		Usage:     PodRequests(pod),
	}
}

// HoldsResources reports whether a pod counts against quota: every pod
// that has not finished (pending pods count, as the scheduler will place
// them).
func HoldsResources(pod *corev1.Pod) bool {
	return pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed
}

// Ledger reserves what admitted pods take until the informer cache sees
// them, so that admissions running at the same time in one webhook process
// see each other and cannot jointly overshoot a limit. A reservation ends
// when the pod appears among the live pods, or after the TTL (the API
// server may still refuse a pod after the webhook admitted it).
type Ledger struct {
	mu       sync.Mutex
	ttl      time.Duration
	now      func() time.Time
	reserved map[string]reservation
}

type reservation struct {
	pod     LivePod
	expires time.Time
}

// NewLedger returns a ledger whose reservations last at most ttl.
func NewLedger(ttl time.Duration) *Ledger {
	return &Ledger{ttl: ttl, now: time.Now, reserved: map[string]reservation{}}
}

// Admit computes the inventory pod is checked against — the live pods of
// its namespace plus the reservations the cache has not caught up with —
// and calls decide with it. When decide allows the pod and reserve is set
// (not a dry run), the pod is reserved. All of it happens under one lock.
func (l *Ledger) Admit(pod LivePod, live []LivePod, reserve bool, decide func(Inventory) (bool, error)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	seen := make(map[string]bool, len(live))
	var inv Inventory
	count := func(p LivePod) {
		if p.Key == pod.Key || p.Namespace != pod.Namespace {
			return
		}
		inv.Namespace.CPUMilli += p.Usage.CPUMilli
		inv.Namespace.MemoryBytes += p.Usage.MemoryBytes
		inv.Namespace.Pods += p.Usage.Pods
		if p.Executor && pod.App != "" && p.App == pod.App {
			inv.AppExecutors++
		}
	}
	for _, p := range live {
		seen[p.Key] = true
		count(p)
	}
	for key, r := range l.reserved {
		switch {
		case seen[key] || now.After(r.expires):
			delete(l.reserved, key) // the cache has it, or it never came
		default:
			count(r.pod)
		}
	}
	allowed, err := decide(inv)
	if err != nil || !allowed || !reserve {
		return err
	}
	l.reserved[pod.Key] = reservation{pod: pod, expires: now.Add(l.ttl)}
	return nil
}

// Reserved is the number of reservations held.
func (l *Ledger) Reserved() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.reserved)
}
