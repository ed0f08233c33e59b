package policy

import (
	"context"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/policies"
)

// platformCorpus are pods as the mutating webhook leaves them under a
// layer that injects a privileged sidecar mounting a hostPath, and the
// tenant's edits of them: the platform's parts untouched, taken over by
// the tenant, and the tenant's own privileged container beside them.
func platformCorpus(t *testing.T, c *Check) map[string]*corev1.Pod {
	t.Helper()
	privileged := true
	out := map[string]*corev1.Pod{}
	for _, role := range []string{"driver", "executor"} {
		base := composed(t, c, sparkPod(role))
		out[role] = base
		own := base.DeepCopy()
		own.Spec.InitContainers[0].Command = []string{"/bin/sh", "-c", "steal"}
		out[role+" with the sidecar taken over"] = own
		mounted := base.DeepCopy()
		mounted.Spec.Containers[0].VolumeMounts = append(mounted.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "host-logs", MountPath: "/x"})
		out[role+" with the hostPath mounted by the tenant"] = mounted
		tenant := base.DeepCopy()
		tenant.Spec.Containers = append(tenant.Spec.Containers, corev1.Container{Name: "mine", Image: "mirror.internal/x:1",
			SecurityContext: &corev1.SecurityContext{Privileged: &privileged}})
		out[role+" with a privileged container of the tenant's"] = tenant
		hostPort := base.DeepCopy()
		hostPort.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 80}}
		out[role+" with a host port"] = hostPort
	}
	return out
}

// TestPlatformOnDemandIsPlatform: a pod judged with its platform parts
// computed on demand gets exactly the decision of one judged with them
// computed always, on creation and on update, with the layers injecting
// privileged parts and without.
func TestPlatformOnDemandIsPlatform(t *testing.T) {
	ctx := context.Background()
	for name, layers := range map[string]map[string]string{
		"a privileged agent": {"agent": platformAgent},
		"harmless sidecars":  {"sidecar": `{tier: ClusterOverrides, config: {sidecars: [{name: log-shipper, image: mirror.internal/fluent-bit:3}]}}`},
	} {
		onDemand := tenantCheck(t, layers)
		if !onDemand.Engine.platformOnDemand {
			t.Fatal("the built-in policies do not compute platform parts on demand")
		}
		always := *onDemand
		eager := *onDemand.Engine
		eager.platformOnDemand = false
		always.Engine = &eager
		corpus := map[string]*corev1.Pod{}
		if name == "a privileged agent" {
			corpus = platformCorpus(t, onDemand)
		} else {
			corpus["executor"] = composed(t, onDemand, sparkPod("executor"))
			privileged := true
			p := corpus["executor"].DeepCopy()
			p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: &privileged}
			corpus["a privileged executor"] = p
		}
		denied := 0
		for what, pod := range corpus {
			for _, req := range []Request{{Operation: "CREATE"}, {Operation: "UPDATE", Old: corpus[strings.Fields(what)[0]]}} {
				_, want, err := always.Pod(ctx, pod.DeepCopy(), req, nil)
				if err != nil {
					t.Fatal(err)
				}
				_, got, err := onDemand.Pod(ctx, pod.DeepCopy(), req, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s, %s, %s: on demand %+v, always %+v", name, what, req.Operation, got.Violations, want.Violations)
				}
				if !want.Allowed() {
					denied++
				}
			}
		}
		if denied == 0 {
			t.Errorf("%s: no pod of the corpus is denied: the corpus tells nothing", name)
		}
	}
}

// TestBaselineIsMonotoneInInjected: what on demand rests on. Marking more
// of a pod as the platform's only takes the built-in baseline's violations
// away: with none marked, with the platform parts, with every container
// and volume marked, each set of violations holds the next.
func TestBaselineIsMonotoneInInjected(t *testing.T) {
	ctx := context.Background()
	c := tenantCheck(t, map[string]string{"agent": platformAgent})
	for what, pod := range platformCorpus(t, c) {
		views, _, err := c.inputs(pod, Request{Operation: "CREATE", Namespace: pod.Namespace})
		if err != nil {
			t.Fatal(err)
		}
		in := views[0]
		platform, err := mutate.PlatformParts(c.Snapshot, c.Cluster, pod)
		if err != nil {
			t.Fatal(err)
		}
		everything := mutate.Platform{Containers: map[string]bool{}, HostPathVolumes: map[string]bool{}}
		for _, l := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
			for _, ctr := range l {
				everything.Containers[ctr.Name] = true
			}
		}
		for _, v := range pod.Spec.Volumes {
			everything.HostPathVolumes[v.Name] = true
		}
		var sets []map[string]bool
		for _, p := range []mutate.Platform{{}, platform, everything} {
			marked := *in
			marked.platformOf, marked.Platform, marked.base, marked.baseValue, marked.baseUses = nil, p, nil, nil, nil
			d, err := c.Engine.evaluate(ctx, &marked)
			if err != nil {
				t.Fatal(err)
			}
			set := map[string]bool{}
			for _, v := range d.Violations {
				if c.Engine.platformReaders[v.Policy] {
					set[v.Policy+"/"+v.Message] = true
				}
			}
			sets = append(sets, set)
		}
		for i := 1; i < len(sets); i++ {
			for v := range sets[i] {
				if !sets[i-1][v] {
					t.Errorf("%s: marking more as the platform's added %q", what, v)
				}
			}
		}
	}
}

// TestPlatformOnDemandNeedsTheBuiltinReaders: on demand only while every
// policy that reads the platform parts is built-in and unchanged, and no
// policy reads another's rules.
func TestPlatformOnDemandNeedsTheBuiltinReaders(t *testing.T) {
	builtin, err := LoadModules(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	with := func(extra Modules) Modules {
		out := Modules{}
		for k, v := range builtin {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	const head = "package strata.site\n\nimport rego.v1\n\n"
	for name, tc := range map[string]struct {
		mods Modules
		want bool
	}{
		"the built-in policies":        {builtin, true},
		"a site policy of its own":     {with(Modules{"site.rego": head + "violation contains {\"message\": \"no\"} if input.pod.spec.hostNetwork\n"}), true},
		"a site policy reading them":   {with(Modules{"site.rego": head + "violation contains {\"message\": \"no\"} if not input.injected.agent\n"}), false},
		"a site policy reading it all": {with(Modules{"site.rego": head + "violation contains {\"message\": \"no\"} if count(input) == 0\n"}), false},
		"a site policy reading the baseline's rules": {with(Modules{"site.rego": head +
			"violation contains {\"message\": \"no\"} if data.strata.baseline.user_namespace_pod\n"}), false},
		"a changed baseline": {with(Modules{"baseline/baseline.rego": builtin["baseline/baseline.rego"] + "\n# changed\n"}), false},
		"a module added to the baseline": {with(Modules{"baseline/more.rego": "package strata.baseline\n\nimport rego.v1\n\n" +
			"violation contains {\"message\": \"no\"} if user_namespace_pod\n"}), false},
	} {
		if _, ok := tc.mods["baseline/baseline.rego"]; !ok {
			t.Fatalf("%s: the built-in baseline is not at baseline/baseline.rego", name)
		}
		e, err := NewEngine(context.Background(), tc.mods)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if e.platformOnDemand != tc.want {
			t.Errorf("%s: on demand %v, want %v", name, e.platformOnDemand, tc.want)
		}
		if !e.platformReaders["baseline"] {
			t.Errorf("%s: the baseline is not among the policies that read the platform parts", name)
		}
	}
}
