package policy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy/volcanov1beta1"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestPodGroupPriorityClass: a PodGroup's class is held to
// allowedPriorityClasses, except the classes the layers give the pods of
// either role and the cluster's default, under isolation's enforcement;
// only the PodGroup rules run (no quota of a pod that does not exist).
func TestPodGroupPriorityClass(t *testing.T) {
	c := tenantCheck(t, map[string]string{
		"iso": `{tier: ClusterOverrides, config: {isolation: {allowedPriorityClasses: [spark-low]}, limits: {namespacePods: 0}}}`,
		"drv": `{tier: ClusterOverrides, match: {roles: [driver]}, config: {priorityClassName: platform-critical}}`,
	}, schedulingClasses()...)
	ctx := context.Background()
	for class, want := range map[string]string{
		"system-cluster-critical": `isolation: PodGroup "spark-pi-pg": spec.priorityClassName "system-cluster-critical" is not allowed for tenants; allowed: spark-low (ClusterOverrides layer "iso")`,
		"platform-critical":       "", // the layers' drivers'
		"spark-low":               "",
		"default":                 "", // the cluster's globalDefault
		"":                        "",
	} {
		d, err := c.PodGroup(ctx, volcanov1beta1.PodGroup{Name: "spark-pi-pg", Namespace: "etl", PriorityClassName: class, Queue: "default"}, Request{Operation: "CREATE"})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if len(d.Violations) > 0 {
			got = d.Violations[0].Message
		}
		if got != want || len(d.Violations) > 1 || (want != "" && d.Violations[0].Enforcement != v1alpha1.EnforcementDeny) {
			t.Errorf("class %q: %+v, want %q", class, d.Violations, want)
		}
	}

	warned := tenantCheck(t, map[string]string{
		"iso": `{tier: ClusterOverrides, config: {isolation: {allowedPriorityClasses: [spark-low]}, enforcement: {isolation: warn}}}`,
	}, schedulingClasses()...)
	d, err := warned.PodGroup(ctx, volcanov1beta1.PodGroup{Name: "pg", Namespace: "etl", PriorityClassName: "platform-critical"}, Request{Operation: "CREATE"})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Violations) != 1 || d.Violations[0].Enforcement != v1alpha1.EnforcementWarn || !d.Allowed() {
		t.Errorf("where isolation warns: %+v", d.Violations)
	}
}

// TestPodGroupQueue: where the annotation pods take their Volcano queue
// from is reserved, a PodGroup takes only a queue the layers give the pods
// of either role, or Volcano's default.
func TestPodGroupQueue(t *testing.T) {
	c := tenantCheck(t, map[string]string{
		"iso": `{tier: ClusterOverrides, config: {isolation: {reservedLabelPrefixes: [scheduling.volcano.sh/]}}}`,
		"exe": `{tier: ClusterOverrides, match: {roles: [executor]}, config: {annotations: {scheduling.volcano.sh/queue-name: etl}}}`,
	})
	ctx := context.Background()
	for queue, want := range map[string]string{
		"other-team": `isolation: PodGroup "pg": spec.queue "other-team" is reserved for the platform: pods take their queue from annotation "scheduling.volcano.sh/queue-name", and keys starting with "scheduling.volcano.sh/" only layers may set (ClusterOverrides layer "iso")`,
		"etl":        "", // the layers' executors'
		"default":    "", // Volcano's own
		"":           "",
	} {
		d, err := c.PodGroup(ctx, volcanov1beta1.PodGroup{Name: "pg", Namespace: "etl", Queue: queue}, Request{Operation: "CREATE"})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if len(d.Violations) > 0 {
			got = d.Violations[0].Message
		}
		if got != want || len(d.Violations) > 1 {
			t.Errorf("queue %q: %+v, want %q", queue, d.Violations, want)
		}
	}
	// A request that names no namespace is the PodGroup's own namespace's:
	// the queue a layer of that namespace gives.
	byNamespace := tenantCheck(t, map[string]string{
		"iso": `{tier: ClusterOverrides, config: {isolation: {reservedLabelPrefixes: [scheduling.volcano.sh/]}}}`,
		"exe": `{tier: NamespaceOverrides, match: {namespaces: [etl], roles: [executor]}, config: {annotations: {scheduling.volcano.sh/queue-name: etl-queue}}}`,
	})
	if d, err := byNamespace.PodGroup(ctx, volcanov1beta1.PodGroup{Name: "pg", Namespace: "etl", Queue: "etl-queue"}, Request{Operation: "CREATE"}); err != nil || len(d.Violations) != 0 {
		t.Errorf("the queue of the PodGroup's namespace's layer: %+v, %v", d.Violations, err)
	}
	free := tenantCheck(t, map[string]string{"iso": `{tier: ClusterOverrides, config: {isolation: {reservedLabelPrefixes: [platform/]}}}`})
	if d, err := free.PodGroup(ctx, volcanov1beta1.PodGroup{Name: "pg", Namespace: "etl", Queue: "other-team"}, Request{Operation: "CREATE"}); err != nil || len(d.Violations) != 0 {
		t.Errorf("where the queue annotation is the tenant's: %+v, %v", d.Violations, err)
	}
}

// TestPodGroupMinResources: what a PodGroup has Volcano hold for its gang
// before any of its pods is placed is held to what one application and
// the namespace may request, counted as a pod's requests are (a quantity
// past what Strata counts counts as the most), under quota's enforcement.
func TestPodGroupMinResources(t *testing.T) {
	c := tenantCheck(t, map[string]string{
		"quota": `{tier: ClusterOverrides, config: {limits: {maxAppCPU: "20", maxAppMemory: 40Gi, namespaceCPU: "100", namespaceMemory: 200Gi}}}`,
	})
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		min  corev1.ResourceList
		want []string
	}{
		{name: "none"},
		{name: "at the limits", min: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("20"), corev1.ResourceMemory: resource.MustParse("40Gi"), "nvidia.com/gpu": resource.MustParse("8")}},
		{name: "over an app's", min: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("20001m"), corev1.ResourceMemory: resource.MustParse("41Gi")},
			want: []string{
				`quota: PodGroup "pg": spec.minResources has Volcano hold 20001m CPU for the gang before it places any of its pods; namespace "etl" allows at most 20 per app (ClusterOverrides layer "quota")`,
				`quota: PodGroup "pg": spec.minResources has Volcano hold 41Gi memory for the gang before it places any of its pods; namespace "etl" allows at most 40Gi per app (ClusterOverrides layer "quota")`,
			}},
		{name: "past what Strata counts", min: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("9e18")},
			want: []string{
				`quota: PodGroup "pg": spec.minResources has Volcano hold 9e18 memory for the gang before it places any of its pods; namespace "etl" allows at most 40Gi per app (ClusterOverrides layer "quota")`,
				`quota: PodGroup "pg": spec.minResources has Volcano hold 9e18 memory for the gang before it places any of its pods; namespace "etl" allows at most 200Gi for the whole namespace (ClusterOverrides layer "quota")`,
			}},
		{name: "negative holds nothing", min: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("-1000")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := c.PodGroup(ctx, volcanov1beta1.PodGroup{Name: "pg", Namespace: "etl", MinResources: tc.min}, Request{Operation: "CREATE"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range d.Violations {
				got = append(got, v.Message)
				if v.Enforcement != v1alpha1.EnforcementDeny {
					t.Errorf("%q: enforcement %s, want deny", v.Message, v.Enforcement)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestPodGroupWithTheNamespacesWaitingGangs: gangs each within bounds hold
// no more together than the namespace may run; a gang any of whose pods
// is placed (Running, Unknown, Completed) counts by its pods, no longer by
// its hold, and the PodGroup judged is never counted twice; a namespace whose PodGroups cannot be listed is
// an error, never a hold left out.
func TestPodGroupWithTheNamespacesWaitingGangs(t *testing.T) {
	c := tenantCheck(t, map[string]string{
		"quota": `{tier: ClusterOverrides, config: {limits: {namespaceCPU: "100"}}}`,
	})
	ctx := context.Background()
	gang := func(name, phase, cpu string) volcanov1beta1.PodGroup {
		return volcanov1beta1.PodGroup{Name: name, Namespace: "etl", Phase: phase, MinResources: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}}
	}
	judge := func(others []volcanov1beta1.PodGroup, err error) ([]string, error) {
		c.PodGroups = func(_ context.Context, namespace string) ([]volcanov1beta1.PodGroup, error) {
			if namespace != "etl" {
				t.Errorf("listed namespace %q", namespace)
			}
			return others, err
		}
		d, err := c.PodGroup(ctx, gang("pg", "", "40"), Request{Operation: "CREATE"})
		var got []string
		for _, v := range d.Violations {
			got = append(got, v.Message)
		}
		return got, err
	}
	const over = `quota: PodGroup "pg": spec.minResources has Volcano hold 40 CPU for the gang, 100100m with the namespace's other gangs waiting to run; namespace "etl" allows at most 100 for the whole namespace (ClusterOverrides layer "quota")`
	for _, tc := range []struct {
		name   string
		others []volcanov1beta1.PodGroup
		want   []string
	}{
		{name: "none"},
		{name: "waiting gangs that leave room", others: []volcanov1beta1.PodGroup{gang("a", "Pending", "30"), gang("b", "Inqueue", "30")}},
		{name: "waiting gangs that do not", others: []volcanov1beta1.PodGroup{gang("a", "", "30"), gang("b", "Inqueue", "30"), gang("c", "Pending", "100m")}, want: []string{over}},
		{name: "gangs placed count by their pods", others: []volcanov1beta1.PodGroup{gang("a", "Running", "60"), gang("b", "Completed", "60"),
			gang("c", "Unknown", "60"), gang("d", "Pending", "60")}},
		{name: "the PodGroup judged, as stored", others: []volcanov1beta1.PodGroup{gang("pg", "Pending", "40"), gang("a", "Pending", "60")}},
		{name: "holds past what Strata counts", others: []volcanov1beta1.PodGroup{gang("a", "Pending", "9e18"), gang("b", "Pending", "9e18")},
			want: []string{`quota: PodGroup "pg": spec.minResources has Volcano hold 40 CPU for the gang, 1099511667776m with the namespace's other gangs waiting to run; namespace "etl" allows at most 100 for the whole namespace (ClusterOverrides layer "quota")`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := judge(tc.others, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	if _, err := judge(nil, errors.New("forbidden")); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("an unreadable namespace: %v, want its error", err)
	}
}

// BenchmarkPodGroup judges a PodGroup with its namespace's other gangs
// (what the lookup lists): none, and 10,000 waiting. The work grows with
// them only by summing their holds.
func BenchmarkPodGroup(b *testing.B) {
	c := &Check{Engine: builtinEngine(b), Cluster: mutate.Cluster{Name: "c", Pool: "p"},
		Snapshot: fixtures.SnapshotOf(b, map[string]string{"quota": `{tier: ClusterOverrides, config: {limits: {maxAppCPU: "64", namespaceCPU: "100000"}}}`})}
	pg := volcanov1beta1.PodGroup{Name: "pg", Namespace: "etl", MinResources: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8")}}
	for _, n := range []int{0, 10000} {
		others := make([]volcanov1beta1.PodGroup, n)
		for i := range others {
			others[i] = volcanov1beta1.PodGroup{Name: fmt.Sprintf("pg-%d", i), Namespace: "etl", Phase: "Pending",
				MinResources: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi")}}
		}
		c.PodGroups = func(context.Context, string) ([]volcanov1beta1.PodGroup, error) { return others, nil }
		b.Run(fmt.Sprintf("others=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.PodGroup(context.Background(), pg, Request{Operation: "CREATE"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// pagedPodGroups is a client.Reader serving PodGroups n at a time, as the
// API server pages a list.
type pagedPodGroups struct {
	client.Reader
	items []map[string]any
	asked []int64
}

func (p *pagedPodGroups) List(_ context.Context, list client.ObjectList, opts ...client.ListOption) error {
	o := (&client.ListOptions{}).ApplyOptions(opts)
	p.asked = append(p.asked, o.Limit)
	start := 0
	if o.Continue != "" {
		start, _ = strconv.Atoi(o.Continue)
	}
	end := min(start+int(o.Limit), len(p.items))
	u := list.(*unstructured.UnstructuredList)
	for _, item := range p.items[start:end] {
		u.Items = append(u.Items, unstructured.Unstructured{Object: item})
	}
	if end < len(p.items) {
		u.SetContinue(strconv.Itoa(end))
	}
	return nil
}

// TestPodGroupsInReadsEveryPage: the lookup reads a namespace's PodGroups
// page by page to the last, each decoded as a review's is; one it cannot
// decode is an error naming it.
func TestPodGroupsInReadsEveryPage(t *testing.T) {
	item := func(i int, cpu string) map[string]any {
		return map[string]any{"apiVersion": volcanov1beta1.APIVersion, "kind": volcanov1beta1.Kind,
			"metadata": map[string]any{"name": fmt.Sprintf("pg-%d", i), "namespace": "etl"},
			"spec":     map[string]any{"minResources": map[string]any{"cpu": cpu}}, "status": map[string]any{"phase": "Pending"}}
	}
	r := &pagedPodGroups{}
	for i := range 2*podGroupPage + 1 {
		r.items = append(r.items, item(i, "1"))
	}
	pgs, err := PodGroupsIn(r)(context.Background(), "etl")
	if err != nil {
		t.Fatal(err)
	}
	if len(pgs) != len(r.items) || len(r.asked) != 3 || r.asked[0] != podGroupPage {
		t.Fatalf("%d PodGroups in %d pages of %v, want %d in 3 of %d", len(pgs), len(r.asked), r.asked, len(r.items), podGroupPage)
	}
	if held := waitingHeld(pgs, ""); held.CPUMilli != int64(len(r.items))*1000 {
		t.Errorf("held %d millicores, want %d", held.CPUMilli, len(r.items)*1000)
	}
	r = &pagedPodGroups{items: []map[string]any{item(0, "1"), item(1, "1e999999999")}}
	if _, err := PodGroupsIn(r)(context.Background(), "etl"); err == nil || !strings.Contains(err.Error(), "PodGroup etl/pg-1") {
		t.Errorf("an undecodable PodGroup: %v", err)
	}
}
