package policy

import (
	"cmp"
	"maps"
	"slices"
	"strings"
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
	return livePodOf(pod, PodRequests(pod))
}

// livePodOf is LivePodOf of pod, which requests usage.
func livePodOf(pod *corev1.Pod, usage Usage) LivePod {
	return LivePod{
		Key:       pod.Namespace + "/" + pod.Name,
		Namespace: pod.Namespace,
		App:       pod.Labels["spark-app-selector"],
		Executor:  pod.Labels[v1alpha1.RoleLabel] == string(v1alpha1.RoleExecutor),
		Usage:     usage,
	}
}

// HoldsResources reports whether a pod counts against quota: every pod
// that has not finished (pending pods count, as the scheduler will place
// them).
func HoldsResources(pod *corev1.Pod) bool {
	return pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed
}

// Ledger reserves what admitted pods take until the live state holds
// them, so that admissions running at the same time in one webhook process
// see each other and cannot jointly overshoot a limit. A reservation ends
// when the pod appears among the live pods, when the API server is found
// to hold no such pod (Release: it refused the pod after the webhook
// admitted it, the ResourceQuota admission say), or after the TTL.
//
// Every limit is per namespace (or per app, inside one), so each namespace
// has its own lock: admissions in different namespaces never wait for one
// another.
type Ledger struct {
	mu         sync.Mutex
	ttl        time.Duration
	now        func() time.Time
	namespaces map[string]*namespaceLedger
}

type namespaceLedger struct {
	mu       sync.Mutex
	reserved map[string]reservation
}

type reservation struct {
	pod     LivePod
	made    time.Time
	expires time.Time
}

// NewLedger returns a ledger whose reservations last at most ttl.
func NewLedger(ttl time.Duration) *Ledger {
	return &Ledger{ttl: ttl, now: time.Now, namespaces: map[string]*namespaceLedger{}}
}

func (l *Ledger) namespace(name string) *namespaceLedger {
	l.mu.Lock()
	defer l.mu.Unlock()
	ns, ok := l.namespaces[name]
	if !ok {
		ns = &namespaceLedger{reserved: map[string]reservation{}}
		l.namespaces[name] = ns
	}
	return ns
}

// Admit computes the inventory pod is checked against — the live pods of
// its namespace plus the reservations live does not hold yet, less the pod
// itself — and calls decide with it. When decide allows the pod and
// reserve is set (not a dry run), the pod is reserved. It returns the
// final verdict.
//
// decide runs outside the namespace's lock, so a slow policy evaluation
// does not hold up the namespace's other admissions; the verdict is then
// confirmed under the lock: when the inventory changed in between, decide
// runs again, under the lock, on the inventory as it is. The pod is only
// ever reserved on a verdict for the current inventory.
func (l *Ledger) Admit(pod LivePod, live LiveState, reserve bool, decide func(Inventory) (bool, error)) (bool, error) {
	ns := l.namespace(pod.Namespace)
	ns.mu.Lock()
	inv := l.inventory(ns, pod, live)
	ns.mu.Unlock()
	allowed, err := decide(inv)
	if err != nil || !reserve {
		return allowed, err
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if now := l.inventory(ns, pod, live); now != inv {
		if allowed, err = decide(now); err != nil {
			return false, err
		}
	}
	if allowed {
		now := l.now()
		ns.reserved[pod.Key] = reservation{pod: pod, made: now, expires: now.Add(l.ttl)}
	}
	return allowed, nil
}

// inventory is what pod is checked against; the caller holds ns.mu. It
// drops the reservations live now holds, and those that expired. Live
// totals and the lookup that retires reservations are read in one view, so
// a pod the cache delivers meanwhile is counted exactly once.
func (l *Ledger) inventory(ns *namespaceLedger, pod LivePod, live LiveState) Inventory {
	now := l.now()
	var inv Inventory
	live.Read(pod.Namespace, pod.App, func(usage Usage, app AppUsage, get func(string) (LivePod, bool)) {
		inv = Inventory{Namespace: usage, AppExecutors: app.Executors, App: app.Usage}
		if self, ok := get(pod.Key); ok {
			inv.subtract(self, pod.App)
		}
		for key, r := range ns.reserved {
			if _, seen := get(key); seen || now.After(r.expires) {
				delete(ns.reserved, key) // the cache has it, or it never came
				continue
			}
			if key != pod.Key {
				inv.add(r.pod, pod.App)
			}
		}
	})
	return inv
}

func (inv *Inventory) add(p LivePod, app string) {
	inv.Namespace = inv.Namespace.plus(p.Usage)
	if app == "" || p.App != app {
		return
	}
	inv.App = inv.App.plus(p.Usage)
	if p.Executor {
		inv.AppExecutors++
	}
}

func (inv *Inventory) subtract(p LivePod, app string) {
	inv.Namespace = inv.Namespace.minus(p.Usage)
	if app == "" || p.App != app {
		return
	}
	inv.App = inv.App.minus(p.Usage)
	if p.Executor && inv.AppExecutors > 0 {
		inv.AppExecutors--
	}
}

// MadeBefore returns the keys (namespace/name) of the reservations made
// before t that live does not hold, oldest first, at most limit of them:
// pods the live state has not shown, which the API server may have refused
// after the webhook admitted them (Release). The reservations live holds,
// and those past the TTL, end here, as an admission would end them.
func (l *Ledger) MadeBefore(t time.Time, limit int, live LiveState) []string {
	type made struct {
		key string
		at  time.Time
	}
	var out []made
	now := l.now()
	for namespace, ns := range l.ledgers() {
		ns.mu.Lock()
		live.Read(namespace, "", func(_ Usage, _ AppUsage, get func(string) (LivePod, bool)) {
			for key, r := range ns.reserved {
				if _, seen := get(key); seen || now.After(r.expires) {
					delete(ns.reserved, key)
					continue
				}
				if r.made.Before(t) {
					out = append(out, made{key, r.made})
				}
			}
		})
		ns.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b made) int { return cmp.Or(a.at.Compare(b.at), strings.Compare(a.key, b.key)) })
	keys := make([]string, 0, min(len(out), limit))
	for _, m := range out[:min(len(out), limit)] {
		keys = append(keys, m.key)
	}
	return keys
}

// Release ends the reservation of key (namespace/name) if it was made
// before t: the caller learned at t that the API server holds no such pod,
// so the pod it stood for was refused after the webhook admitted it. A
// reservation made since (a pod of the same name created again) stays.
func (l *Ledger) Release(key string, t time.Time) bool {
	namespace, _, _ := strings.Cut(key, "/")
	ns := l.namespace(namespace)
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if r, ok := ns.reserved[key]; ok && r.made.Before(t) {
		delete(ns.reserved, key)
		return true
	}
	return false
}

// ledgers are the namespaces' ledgers, by namespace.
func (l *Ledger) ledgers() map[string]*namespaceLedger {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.namespaces)
}

// Reserved is the number of reservations held.
func (l *Ledger) Reserved() int {
	n := 0
	for _, ns := range l.ledgers() {
		ns.mu.Lock()
		n += len(ns.reserved)
		ns.mu.Unlock()
	}
	return n
}
