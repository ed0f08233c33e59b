package policy

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy/volcanov1beta1"
)

// podGroupQuery collects the violations of a PodGroup: each policy's
// podgroup_violation rules, and only those, since a PodGroup is no pod
// (quota's live totals, judged on one, would speak of a pod that does not
// exist).
const podGroupQuery = "data.strata[policy].podgroup_violation[v]"

// podGroupDocument is input.podGroup.
type podGroupDocument struct {
	Name string `json:"name"`
	// PriorityClassName is the class with who gave it: the platform's
	// when a layer gives the pods of either role that class or it is the
	// cluster's globalDefault; else the tenant's. Absent when unset.
	PriorityClassName *sourced `json:"priorityClassName,omitempty"`
	// Queue is the queue with who gave it: the platform's when a layer
	// gives the pods of either role that queue (their Volcano queue
	// annotation) or it is Volcano's default queue, where a PodGroup
	// without one goes; else the tenant's. Absent when unset.
	Queue *sourced `json:"queue,omitempty"`
	// MinResources is the CPU and memory Volcano holds for the gang before
	// any of its pods is placed (spec.minResources), counted as a pod's
	// requests are; absent when unset.
	MinResources *heldResources `json:"minResources,omitempty"`
	// NamespaceHeld is what the namespace's other PodGroups waiting to
	// be placed (Pending, Inqueue, or no phase yet) have Volcano hold,
	// together; absent
	// when they are not known (the composer without a cluster).
	NamespaceHeld *heldResources `json:"namespaceHeld,omitempty"`
}

// heldResources is an amount of CPU and memory held for pods not yet
// placed: counted as Usage counts a pod's requests (a quantity out of
// bounds counts as the most Strata counts), and as quantities
// (canonical, as the API server would store them), for messages.
type heldResources struct {
	CPUMilli    int64  `json:"cpuMilli"`
	MemoryBytes int64  `json:"memoryBytes"`
	CPU         string `json:"cpu"`
	Memory      string `json:"memory"`
}

// heldOf is list as heldResources; nil when list is.
func heldOf(list corev1.ResourceList) *heldResources {
	if list == nil {
		return nil
	}
	cpu, memory := list[corev1.ResourceCPU], list[corev1.ResourceMemory]
	return &heldResources{CPUMilli: clampMilli(&cpu), MemoryBytes: clampValue(&memory), CPU: cpu.String(), Memory: memory.String()}
}

// podGroupPage is how many PodGroups PodGroupsIn asks for at a time.
const podGroupPage = 500

// PodGroupLookup lists the Volcano PodGroups of a namespace.
type PodGroupLookup func(ctx context.Context, namespace string) ([]volcanov1beta1.PodGroup, error)

// PodGroupsIn is a PodGroupLookup reading r: the webhook's API reader, or
// the composer's cluster. Each PodGroup is decoded as the webhook decodes
// one (a PodGroup it cannot read is an error, never a hold left out); a
// cluster that does not serve PodGroups has none.
func PodGroupsIn(r client.Reader) PodGroupLookup {
	return func(ctx context.Context, namespace string) ([]volcanov1beta1.PodGroup, error) {
		var out []volcanov1beta1.PodGroup
		// In pages, so a namespace of many PodGroups is never one response.
		for cont := ""; ; {
			list := &unstructured.UnstructuredList{}
			list.SetAPIVersion(volcanov1beta1.APIVersion)
			list.SetKind(volcanov1beta1.Kind + "List")
			switch err := r.List(ctx, list, client.InNamespace(namespace), client.Limit(podGroupPage), client.Continue(cont)); {
			case meta.IsNoMatchError(err):
				return nil, nil
			case err != nil:
				return nil, fmt.Errorf("listing the PodGroups of namespace %q: %w", namespace, err)
			}
			for i := range list.Items {
				raw, err := list.Items[i].MarshalJSON()
				if err != nil {
					return nil, fmt.Errorf("PodGroup %s/%s: %w", namespace, list.Items[i].GetName(), err)
				}
				pg, err := volcanov1beta1.Decode(raw)
				if err != nil {
					return nil, fmt.Errorf("PodGroup %s/%s: %w", namespace, list.Items[i].GetName(), err)
				}
				out = append(out, pg)
			}
			if cont = list.GetContinue(); cont == "" {
				return out, nil
			}
		}
	}
}

// waitingHeld is what the PodGroups of pgs other than name that wait to
// be placed (Pending, Inqueue, or no phase yet: once any of a gang's pods
// is placed, Running or Unknown, its pods count themselves) have Volcano
// hold, together, each amount saturating at what Strata counts.
func waitingHeld(pgs []volcanov1beta1.PodGroup, name string) *heldResources {
	sum := &heldResources{}
	for _, pg := range pgs {
		if pg.Name == name || !waiting(pg.Phase) {
			continue
		}
		if cpu, ok := pg.MinResources[corev1.ResourceCPU]; ok {
			sum.CPUMilli = min(addSat(sum.CPUMilli, clampMilli(&cpu)), MaxCountableCPUMilli)
		}
		if memory, ok := pg.MinResources[corev1.ResourceMemory]; ok {
			sum.MemoryBytes = min(addSat(sum.MemoryBytes, clampValue(&memory)), MaxCountableMemoryBytes)
		}
	}
	sum.CPU = resource.NewMilliQuantity(sum.CPUMilli, resource.DecimalSI).String()
	sum.Memory = resource.NewQuantity(sum.MemoryBytes, resource.BinarySI).String()
	return sum
}

// waiting reports whether a PodGroup of phase waits to be placed.
func waiting(phase string) bool {
	return phase == "" || phase == volcanov1beta1.PhasePending || phase == volcanov1beta1.PhaseInqueue
}

// volcanoDefaultQueue is the queue Volcano gives a PodGroup that names
// none.
const volcanoDefaultQueue = "default"

// PodGroup judges a PodGroup with the podgroup_violation rules of every
// policy, once with the settings of each Spark role in its namespace (the
// gang holds drivers and executors alike; a violation under either
// counts). The document a rule sees is input.podGroup with the request,
// the namespace and its group, the role, and config.enforcement, limits
// and isolation as the layers compose them for that role; with
// c.PodGroups, input.podGroup.namespaceHeld is what the namespace's other
// gangs waiting to run hold. An error is an internal failure, never a
// verdict.
func (c *Check) PodGroup(ctx context.Context, pg volcanov1beta1.PodGroup, req Request) (Decision, error) {
	if req.Namespace == "" {
		req.Namespace = pg.Namespace
	}
	defaultClass := ""
	if pc, ok := c.Snapshot.GlobalDefaultPriorityClass(); ok {
		defaultClass = pc.Name
	}
	// Each role's composition of no user config: whatever it holds, a
	// layer set.
	roles := mutate.Roles()
	comps := make([]*overlay.Result, len(roles))
	for i, r := range roles {
		comp := c.Snapshot.ComposeOnly(overlay.Target{Cluster: c.Cluster.Name, Pool: c.Cluster.Pool, Namespace: req.Namespace, Role: r},
			v1alpha1.Config{}, c.Engine.explained)
		comps[i] = &comp
	}
	doc := podGroupDocument{
		Name: pg.Name,
		PriorityClassName: whoGave(pg.PriorityClassName, comps, overlay.FieldKey(overlay.PathPriorityClassName),
			func(c *v1alpha1.Config) (string, bool) {
				if c.PriorityClassName == nil {
					return "", false
				}
				return *c.PriorityClassName, true
			}, defaultClass, "the cluster's globalDefault PriorityClass"),
		Queue: whoGave(pg.Queue, comps, overlay.MapKey(overlay.PathAnnotations, mutate.VolcanoQueueAnnotation),
			func(c *v1alpha1.Config) (string, bool) {
				q, ok := c.Annotations[mutate.VolcanoQueueAnnotation]
				return q, ok
			}, volcanoDefaultQueue, "Volcano's default queue"),
		MinResources: heldOf(pg.MinResources),
	}
	if c.PodGroups != nil {
		others, err := c.PodGroups(ctx, req.Namespace)
		if err != nil {
			return Decision{}, err
		}
		doc.NamespaceHeld = waitingHeld(others, pg.Name)
	}
	labels := c.Snapshot.NamespaceLabels(req.Namespace)
	var d Decision
	for i, role := range roles {
		cfg, source := &comps[i].Config, sourceIn(comps[i].Provenance)
		input := map[string]any{
			"request":   req,
			"namespace": req.Namespace,
			"group":     labels[GroupLabel],
			"role":      string(role),
			"config": map[string]any{"enforcement": cfg.Enforcement,
				"limits": limitsDoc(cfg.Limits, source), "isolation": isolationDoc(cfg.Isolation, source)},
			"podGroup": doc,
		}
		value, err := c.Engine.conv.valueOf(input)
		if err != nil {
			return Decision{}, fmt.Errorf("converting the PodGroup's policy input: %w", err)
		}
		rs, err := eval(ctx, c.Engine.podGroups, value)
		if err != nil {
			return Decision{}, fmt.Errorf("evaluating policies on PodGroup %q: %w", pg.Name, err)
		}
		in := &Input{Composed: &mutate.Result{Composition: *comps[i]}}
		vs, err := violations(nil, rs, "", in)
		if err != nil {
			return Decision{}, err
		}
		for _, v := range vs {
			if !slices.Contains(d.Violations, v) {
				d.Violations = append(d.Violations, v)
			}
		}
	}
	sortViolations(d.Violations)
	return d, nil
}

// whoGave is value (none when "") as input.podGroup shows it: the
// platform's when a layer gives the pods of either role that value (of the
// field key, which given reads from a composed config), or when it is
// what the scheduler itself gives one that names none (dflt, said as
// dfltSource); else the tenant's. comps are the roles' compositions of no
// user config, so whatever they hold a layer set.
func whoGave(value string, comps []*overlay.Result, key overlay.Key, given func(*v1alpha1.Config) (string, bool), dflt, dfltSource string) *sourced {
	if value == "" {
		return nil
	}
	for _, comp := range comps {
		if v, ok := given(&comp.Config); ok && v == value {
			if by, ok := comp.Provenance.SetBy(key); ok {
				return &sourced{Value: value, Source: by.String()}
			}
		}
	}
	if value == dflt {
		return &sourced{Value: value, Source: dfltSource}
	}
	return &sourced{Value: value, Source: overlay.UserSource().String(), User: true}
}
