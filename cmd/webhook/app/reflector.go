package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// watched is one resource the webhook keeps in a store of its own (the
// pod watch, the Layer watch) rather than in controller-runtime's cache:
// client-go's Reflector lists it, watches it, lists again when the watch
// expires and backs off on errors, handing each object to the store on the
// goroutine that decoded it.
type watched struct {
	// name names the Reflector in client-go's logs.
	name string
	// apiPath and group are where the resource is served; resource its
	// plural name.
	apiPath  string
	group    schema.GroupVersion
	resource string
	// contentType is what the webhook asks for; decode decodes what comes.
	contentType string
	decode      runtime.NegotiatedSerializer
	// params encodes list options for the group.
	params runtime.ParameterCodec
	// expected is an empty object of the resource's type.
	expected runtime.Object
	// failures counts the lists and watches that fail (the Reflector
	// retries them, and the webhook serves what it last read meanwhile);
	// nil counts nothing.
	failures prometheus.Counter
}

// run adds to mgr a Reflector of w feeding store. It reads with mgr's
// client configuration, accepting JSON too when it asks for another
// content type.
func (w watched) run(mgr manager.Manager, store toolscache.ReflectorStore) error {
	cfg := rest.CopyConfig(mgr.GetConfig())
	cfg.ContentType, cfg.AcceptContentTypes = w.contentType, w.contentType
	if w.contentType != runtime.ContentTypeJSON {
		cfg.AcceptContentTypes += "," + runtime.ContentTypeJSON
	}
	cfg.APIPath, cfg.GroupVersion, cfg.NegotiatedSerializer = w.apiPath, &w.group, w.decode
	if cfg.UserAgent == "" {
		cfg.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	c, err := rest.RESTClientFor(cfg)
	if err != nil {
		return fmt.Errorf("creating the client of %s: %w", w.resource, err)
	}
	lw := toolscache.ToListWatcherWithWatchListSemantics(w.listWatch(c), c)
	backoff := watchBackoff()
	r := toolscache.NewReflectorWithOptions(lw, w.expected, store, toolscache.ReflectorOptions{Name: w.name, Backoff: &backoff})
	return mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		r.RunWithContext(ctx)
		return nil
	}))
}

// listWatch lists and watches w through c, counting in w.failures each
// call that fails but for the end of the watch's own context.
func (w watched) listWatch(c rest.Interface) *toolscache.ListWatch {
	count := func(ctx context.Context, err error) {
		if err != nil && ctx.Err() == nil && w.failures != nil {
			w.failures.Inc()
		}
	}
	return &toolscache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			obj, err := c.Get().Resource(w.resource).VersionedParams(&opts, w.params).
				Timeout(timeoutOf(opts)).Do(ctx).Get()
			count(ctx, err)
			return obj, err
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			opts.Watch = true
			wi, err := c.Get().Resource(w.resource).VersionedParams(&opts, w.params).
				Timeout(timeoutOf(opts)).Watch(ctx)
			count(ctx, err)
			return wi, err
		},
	}
}

// informerWatchError is the manager's informers' handler of a failed list
// or watch: it logs as client-go's default does and counts the failure by
// the kind watched, but for a watch that ended as watches do (expired, or
// closed) and for the end of the informer's own context.
func (m *Metrics) informerWatchError(ctx context.Context, r *toolscache.Reflector, err error) {
	toolscache.DefaultWatchErrorHandler(ctx, r, err)
	if m == nil || ctx.Err() != nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
		return
	}
	m.watchFailures.WithLabelValues(kindOf(r.TypeDescription())).Inc()
}

// kindOf is the kind a Reflector's type description names: Namespace of
// "*v1.Namespace".
func kindOf(typeDescription string) string {
	return typeDescription[strings.LastIndex(typeDescription, ".")+1:]
}

// watchBackoff is how long a watch waits to list or watch again after an
// error: 0.5 s, doubling to at most 4 s, each wait up to half again at
// random (so at most 6 s), reset after two minutes without an error.
// client-go's default, 0.8 s doubling to 30 s with each wait up to twice
// that, spreads the retries of a cluster's thousands of informers; this
// webhook keeps two watches per replica, and while one is away its Layers
// or quota's inventory of live pods go stale. After the API server
// restarts, a watch that had reached the default's cap would catch up
// after up to a minute; this one does in seconds.
func watchBackoff() wait.Backoff {
	const initial, most = 500 * time.Millisecond, 4 * time.Second
	return wait.Backoff{Duration: initial, Factor: 2, Jitter: 0.5, Cap: most, Steps: int(most / initial)}
}

// timeoutOf is the timeout a list or watch asks for, as client-go's typed
// clients take it; none when it asks for none.
func timeoutOf(opts metav1.ListOptions) time.Duration {
	if opts.TimeoutSeconds == nil {
		return 0
	}
	return time.Duration(*opts.TimeoutSeconds) * time.Second
}
