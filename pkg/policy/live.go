package policy

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
)

// LiveState is what quota counts against: the Spark pods that hold
// resources.
type LiveState interface {
	// Read calls fn with one consistent view: what the namespace's live
	// Spark pods request, what the app's live pods hold, and a lookup of
	// live pods by namespace/name. Totals and lookup come from the same
	// moment, so a pod is never counted in one and missed in the other.
	Read(namespace, app string, fn func(usage Usage, app AppUsage, get func(key string) (LivePod, bool)))
}

// AppUsage is what one application's live pods (those that name it in
// spark-app-selector) hold.
type AppUsage struct {
	// Executors is the number of its live executors.
	Executors int64
	// Usage is what all its live pods, driver and executors, request.
	Usage Usage
}

type appKey struct{ namespace, app string }

// appTotal is the exact running AppUsage of an application.
type appTotal struct {
	executors int64
	usage     usageTotal
}

// Tracker is a LiveState kept up to date from pod events (the webhook feeds
// it from its watch of pods), so an admission reads totals instead of walking
// every pod of the namespace. It is safe for concurrent use.
type Tracker struct {
	mu    sync.RWMutex
	pods  map[string]LivePod
	usage map[string]*usageTotal
	apps  map[appKey]*appTotal
}

// NewTracker returns an empty tracker.
func NewTracker() *Tracker {
	return &Tracker{pods: map[string]LivePod{}, usage: map[string]*usageTotal{}, apps: map[appKey]*appTotal{}}
}

// TrackerOf returns a tracker holding pods (for the CLI and tests).
func TrackerOf(pods []LivePod) *Tracker {
	t := NewTracker()
	for _, p := range pods {
		t.put(p)
	}
	return t
}

// Upsert records a pod's latest state: counted while it holds resources.
func (t *Tracker) Upsert(pod *corev1.Pod) { t.Set(LivePodOf(pod), HoldsResources(pod)) }

// Set records the latest state of the pod p describes: counted when holds
// (it holds resources, see HoldsResources), forgotten otherwise.
func (t *Tracker) Set(p LivePod, holds bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.remove(p.Key)
	if holds {
		t.add(p)
	}
}

// Replace makes pods, the pods that hold resources, all the tracker holds
// (a watch listed again: a pod it no longer lists is gone). The new totals
// are built before the lock is taken, so admissions reading the tracker
// wait for a swap, not for a list of every pod of the cluster.
func (t *Tracker) Replace(pods []LivePod) {
	next := NewTracker()
	next.pods = make(map[string]LivePod, len(pods))
	for _, p := range pods {
		next.remove(p.Key)
		next.add(p)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pods, t.usage, t.apps = next.pods, next.usage, next.apps
}

// Delete forgets the pod with key namespace/name.
func (t *Tracker) Delete(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.remove(key)
}

func (t *Tracker) put(p LivePod) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.remove(p.Key)
	t.add(p)
}

func (t *Tracker) add(p LivePod) {
	t.pods[p.Key] = p
	u, ok := t.usage[p.Namespace]
	if !ok {
		u = &usageTotal{}
		t.usage[p.Namespace] = u
	}
	u.add(p.Usage)
	if p.App == "" {
		return
	}
	k := appKey{p.Namespace, p.App}
	a, ok := t.apps[k]
	if !ok {
		a = &appTotal{}
		t.apps[k] = a
	}
	a.usage.add(p.Usage)
	if p.Executor {
		a.executors++
	}
}

func (t *Tracker) remove(key string) {
	p, ok := t.pods[key]
	if !ok {
		return
	}
	delete(t.pods, key)
	if u := t.usage[p.Namespace]; u != nil {
		u.sub(p.Usage)
		if u.zero() {
			delete(t.usage, p.Namespace)
		}
	}
	if p.App == "" {
		return
	}
	k := appKey{p.Namespace, p.App}
	if a := t.apps[k]; a != nil {
		a.usage.sub(p.Usage)
		if p.Executor {
			a.executors--
		}
		if a.executors <= 0 && a.usage.zero() {
			delete(t.apps, k)
		}
	}
}

// Read implements LiveState; fn runs under the tracker's read lock.
func (t *Tracker) Read(namespace, app string, fn func(Usage, AppUsage, func(string) (LivePod, bool))) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var au AppUsage
	if a := t.apps[appKey{namespace, app}]; app != "" && a != nil {
		au = AppUsage{Executors: a.executors, Usage: a.usage.usage()}
	}
	var usage Usage
	if u := t.usage[namespace]; u != nil {
		usage = u.usage()
	}
	fn(usage, au, func(key string) (LivePod, bool) {
		p, ok := t.pods[key]
		return p, ok
	})
}

// Usage is what the namespace's live Spark pods request.
func (t *Tracker) Usage(namespace string) (u Usage) {
	t.Read(namespace, "", func(usage Usage, _ AppUsage, _ func(string) (LivePod, bool)) { u = usage })
	return u
}

// AppExecutors is the number of live executors of the app.
func (t *Tracker) AppExecutors(namespace, app string) (n int64) {
	return t.App(namespace, app).Executors
}

// App is what the app's live pods hold.
func (t *Tracker) App(namespace, app string) (a AppUsage) {
	t.Read(namespace, app, func(_ Usage, au AppUsage, _ func(string) (LivePod, bool)) { a = au })
	return a
}

// Get returns the live pod with key namespace/name.
func (t *Tracker) Get(key string) (p LivePod, ok bool) {
	t.Read("", "", func(_ Usage, _ AppUsage, get func(string) (LivePod, bool)) { p, ok = get(key) })
	return p, ok
}
