package policy

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	resourcehelper "k8s.io/component-helpers/resource"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// GroupLabel is the Namespace label that names a namespace's group in
// quota messages (`group "core-data" allows at most ...`).
const GroupLabel = "group"

// Request is what policies see of the admission request.
type Request struct {
	Operation string                    `json:"operation"`
	Namespace string                    `json:"namespace"`
	UserInfo  authenticationv1.UserInfo `json:"userInfo"`
	DryRun    bool                      `json:"dryRun"`
}

// Usage is what a set of live Spark pods requests.
type Usage struct {
	CPUMilli    int64 `json:"cpuMilli"`
	MemoryBytes int64 `json:"memoryBytes"`
	Pods        int64 `json:"pods"`
}

// Inventory is the live state quota is checked against: the namespace's
// Spark pods that hold resources, and the pod's application's executors,
// both without the pod being admitted.
type Inventory struct {
	Namespace    Usage `json:"namespace"`
	AppExecutors int64 `json:"appExecutors"`
}

// Input is everything a policy decision is made from.
type Input struct {
	Request   Request
	Composed  *mutate.Result
	Namespace *corev1.Namespace
	Inventory Inventory
	// PlatformContainers and PlatformVolumes are the names of the
	// containers and volumes that are the layers' own (see platformParts).
	PlatformContainers, PlatformVolumes map[string]bool

	// base is the document without the inventory, built once: a decision
	// confirmed under the ledger's lock re-evaluates with a new inventory.
	base map[string]any
}

func (in *Input) enforcement(policy string) v1alpha1.Enforcement {
	if e, ok := in.Composed.Composition.Config.Enforcement[policy]; ok {
		return e
	}
	return v1alpha1.EnforcementDeny
}

// PodRequests returns the pod's effective requests, as the scheduler and
// ResourceQuota count them (native sidecars and init containers included).
func PodRequests(pod *corev1.Pod) Usage {
	req := resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{})
	return Usage{CPUMilli: req.Cpu().MilliValue(), MemoryBytes: req.Memory().Value(), Pods: 1}
}

// SetBy is who a field's value comes from for policy purposes: the winner,
// except that a value the user holds which a layer also gives counts as the
// layer's. A pod composed once and sent again (the validating webhook sees
// it after mutation) carries the layers' values as its own; this keeps them
// the layers'.
func SetBy(f overlay.Field) overlay.Source {
	if !f.Winner.IsUser() {
		return f.Winner
	}
	for i := len(f.Beaten) - 1; i >= 0; i-- {
		if b := f.Beaten[i]; !b.Source.IsUser() && b.Value == f.Value {
			return b.Source
		}
	}
	return f.Winner
}

type sourced struct {
	Value  any    `json:"value"`
	Number int64  `json:"number,omitempty"`
	Source string `json:"source"`
}

type keyed struct {
	Kind    string `json:"kind,omitempty"`
	Key     string `json:"key"`
	Value   string `json:"value,omitempty"`
	Effect  string `json:"effect,omitempty"`
	Display string `json:"display,omitempty"`
}

type image struct {
	Container  string `json:"container"`
	Image      string `json:"image"`
	Normalized string `json:"normalized"`
}

// document is the input document policies see.
func (in *Input) document() (map[string]any, error) {
	if in.base == nil {
		base, err := in.baseDocument()
		if err != nil {
			return nil, err
		}
		in.base = base
	}
	doc := maps.Clone(in.base)
	doc["inventory"] = in.Inventory
	return doc, nil
}

func (in *Input) baseDocument() (map[string]any, error) {
	res := in.Composed
	pod := res.Pod
	prov := res.Composition.Provenance
	cfg := &res.Composition.Config
	source := func(path string) string {
		if f, ok := prov.Lookup(path); ok {
			return SetBy(f).String()
		}
		return ""
	}
	doc := map[string]any{
		"request":   in.Request,
		"role":      string(res.Role),
		"app":       pod.Labels["spark-app-selector"],
		"resources": PodRequests(pod),
	}
	podDoc, err := toMap(pod)
	if err != nil {
		return nil, fmt.Errorf("encoding pod for policies: %w", err)
	}
	doc["pod"] = podDoc
	ns := in.Namespace
	if ns == nil {
		ns = &corev1.Namespace{}
		ns.Name = pod.Namespace
	}
	nsDoc, err := toMap(ns)
	if err != nil {
		return nil, err
	}
	doc["namespace"] = nsDoc
	doc["group"] = ns.Labels[GroupLabel]

	limits := map[string]sourced{}
	if l := cfg.Limits; l != nil {
		for name, q := range map[string]*resource.Quantity{"maxPodCPU": l.MaxPodCPU, "namespaceCPU": l.NamespaceCPU} {
			if q != nil {
				limits[name] = sourced{Value: q.String(), Number: q.MilliValue(), Source: source(overlay.PathLimits + "." + name)}
			}
		}
		for name, q := range map[string]*resource.Quantity{"maxPodMemory": l.MaxPodMemory, "namespaceMemory": l.NamespaceMemory} {
			if q != nil {
				limits[name] = sourced{Value: q.String(), Number: q.Value(), Source: source(overlay.PathLimits + "." + name)}
			}
		}
		for name, n := range map[string]*int32{"maxExecutorsPerApp": l.MaxExecutorsPerApp, "namespacePods": l.NamespacePods} {
			if n != nil {
				limits[name] = sourced{Value: *n, Number: int64(*n), Source: source(overlay.PathLimits + "." + name)}
			}
		}
	}
	isolation := map[string]sourced{}
	if iso := cfg.Isolation; iso != nil {
		add := func(name string, v any, set bool) {
			if set {
				isolation[name] = sourced{Value: v, Source: source(overlay.PathIsolation + "." + name)}
			}
		}
		add("allowedIAMRoles", iso.AllowedIAMRoles, iso.AllowedIAMRoles != nil)
		add("allowedRegistries", iso.AllowedRegistries, iso.AllowedRegistries != nil)
		add("allowedTolerations", iso.AllowedTolerations, iso.AllowedTolerations != nil)
		add("reservedNodeSelectors", iso.ReservedNodeSelectors, iso.ReservedNodeSelectors != nil)
		add("reservedLabelPrefixes", iso.ReservedLabelPrefixes, iso.ReservedLabelPrefixes != nil)
	}
	// Every composed field with its provenance, for site policies.
	fields := map[string]any{}
	for _, f := range prov.Fields() {
		by := SetBy(f)
		fields[f.Path] = map[string]any{"value": f.Value, "source": by.String(), "user": by.IsUser()}
	}
	valuesCfg := cfg.DeepCopy()
	valuesCfg.PodPatch = nil
	values, err := toMap(valuesCfg)
	if err != nil {
		return nil, err
	}
	config := map[string]any{"limits": limits, "isolation": isolation, "enforcement": cfg.Enforcement,
		"fields": fields, "values": values}
	if cfg.IAM != nil && cfg.IAM.Role != nil && *cfg.IAM.Role != "" {
		config["iamRole"] = sourced{Value: *cfg.IAM.Role, Source: source(overlay.PathIAMRole)}
	}
	doc["config"] = config

	// What the user wrote (attributed with SetBy): the tenant-written fields
	// isolation checks.
	tolerations, nodeSelector, metadata := []keyed{}, []keyed{}, []keyed{}
	user := userFields(prov)
	for i := range pod.Spec.Tolerations {
		t := &pod.Spec.Tolerations[i]
		if user[overlay.ElementPath(overlay.PathTolerations, overlay.TolerationKey(t))] {
			tolerations = append(tolerations, keyed{Key: t.Key, Effect: string(t.Effect), Display: overlay.RenderToleration(t)})
		}
	}
	for _, k := range sortedKeys(pod.Spec.NodeSelector) {
		if user[overlay.KeyPath(overlay.PathNodeSelector, k)] {
			nodeSelector = append(nodeSelector, keyed{Key: k, Value: pod.Spec.NodeSelector[k]})
		}
	}
	for _, k := range sortedKeys(pod.Labels) {
		if user[overlay.KeyPath(overlay.PathLabels, k)] {
			metadata = append(metadata, keyed{Kind: "label", Key: k, Value: pod.Labels[k]})
		}
	}
	for _, k := range sortedKeys(pod.Annotations) {
		if user[overlay.KeyPath(overlay.PathAnnotations, k)] {
			metadata = append(metadata, keyed{Kind: "annotation", Key: k, Value: pod.Annotations[k]})
		}
	}
	images := []image{}
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range list {
			images = append(images, image{Container: c.Name, Image: c.Image, Normalized: mutate.NormalizeImage(c.Image)})
		}
	}
	doc["user"] = map[string]any{"tolerations": tolerations, "nodeSelector": nodeSelector, "metadata": metadata}
	doc["injected"] = nonNil(in.PlatformContainers)
	doc["injectedVolumes"] = nonNil(in.PlatformVolumes)
	doc["images"] = images
	// The pod, the Namespace and the config values are maps already; OPA
	// converts the small structs left itself.
	return doc, nil
}

// userFields is the set of field paths whose value the user set (SetBy).
func userFields(prov *overlay.Provenance) map[string]bool {
	out := map[string]bool{}
	for _, f := range prov.Fields() {
		if SetBy(f).IsUser() {
			out[f.Path] = true
		}
	}
	return out
}

func nonNil(m map[string]bool) map[string]bool {
	if m == nil {
		return map[string]bool{}
	}
	return m
}

func toMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
