package policy

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// GroupLabel is the Namespace label that names a namespace's group in
// quota messages (`group "core-data" allows at most ...`).
const GroupLabel = "group"

// Request is what policies see of the admission request.
type Request struct {
	Operation string `json:"operation"`
	// SubResource is the subresource an UPDATE of the pod goes through
	// (status, ephemeralcontainers, resize), or "binding" for a binding of
	// the pod to a node, judged as the UPDATE of the pod it makes; empty
	// for the pod itself.
	SubResource string                    `json:"subResource,omitempty"`
	Namespace   string                    `json:"namespace"`
	UserInfo    authenticationv1.UserInfo `json:"userInfo"`
	DryRun      bool                      `json:"dryRun"`
	// Old is the stored pod an UPDATE replaces; nil for a CREATE.
	Old *corev1.Pod `json:"-"`
}

// Inventory is the live state quota is checked against: the namespace's
// pods that hold resources, and the pod's application's executors and
// pods, all without the pod being admitted.
type Inventory struct {
	Namespace    Usage `json:"namespace"`
	AppExecutors int64 `json:"appExecutors"`
	// App is what the application's live pods (driver and executors)
	// request; zero for a pod that names no application.
	App Usage `json:"app"`
}

// Input is everything a policy decision is made from.
type Input struct {
	Request Request
	// Pod is the pod judged, exactly as it will be stored.
	Pod *corev1.Pod
	// Old is the stored pod an UPDATE replaces; nil otherwise.
	Old *corev1.Pod
	// Composed explains Pod's values: for a Spark pod its composition with
	// provenance; for any other pod (Spark false) the layers' policy
	// settings for the role it is judged as, and nothing of Pod is the
	// layers'.
	Composed  *mutate.Result
	Namespace *corev1.Namespace
	Inventory Inventory
	// Platform is what of Pod the layers injected (see mutate.PlatformParts).
	Platform mutate.Platform
	// platformOf, when set, computes Platform, which is then not computed
	// yet: nothing of the pod is marked the platform's until
	// resolvePlatform (see ondemand.go).
	platformOf func() (mutate.Platform, error)
	// LayerAffinity are the required node affinity expressions and the pod
	// affinity terms the layers set (mutate.LayerAffinity).
	LayerAffinity map[string]bool
	// DefaultPriorityClass is the globalDefault PriorityClass, which the
	// API server gives a pod that names none: never the tenant's choice.
	DefaultPriorityClass string
	// RuntimeScheduling is the scheduling of the RuntimeClass the pod
	// names, which the API server merged into the pod before any webhook
	// (mutate.WithRuntimeClass): its node selectors and tolerations are the
	// platform's when the class is the layers' or one tenants may name
	// (runtimeScheduling). nil when the pod names none, or one the
	// snapshot does not know (what the pod holds is then the tenant's).
	RuntimeScheduling *nodev1.Scheduling
	// NamespacePlacement is what of the API server's PodNodeSelector and
	// PodTolerationRestriction plugins give the pod is the platform's: the
	// cluster's defaults, and its namespace's annotations while they are
	// kept to platform admins (overlay.Snapshot.PlatformPlacement,
	// nsplacement.go).
	NamespacePlacement overlay.NamespacePlacement
	// Application is the SparkApplication the pod is launched from, as a
	// whole, when an application is judged at submission (Check.App);
	// nil for a pod.
	Application *Application

	// base is the document without the inventory, built once, and
	// baseValue the same as OPA's value: a decision confirmed under the
	// ledger's lock re-evaluates with a new inventory only.
	base      map[string]any
	baseValue ast.Object
	// baseUses is what base was built for.
	baseUses *inputUse
	// requests, when set, is PodRequests(Pod), computed by the caller
	// that needed it first.
	requests *Usage
	// pod, when set, is input.pod as OPA's value, shared by the views of
	// one pod (a pod without a Spark role is judged as both roles) and
	// converted by the first that needs it.
	pod *sharedTerm
	// settings, when set, is where the terms of input.config's settings
	// are cached (settings.go); nil converts them with the rest.
	settings *settingsAt
}

// sharedTerm is a value converted once for the inputs that share it.
type sharedTerm struct {
	term *ast.Term
	// uses is what term was converted for.
	uses *inputUse
}

func (in *Input) enforcement(policy string) v1alpha1.Enforcement {
	if e, ok := in.Composed.Composition.Config.Enforcement[policy]; ok {
		return e
	}
	return v1alpha1.EnforcementDeny
}

type sourced struct {
	Value  any    `json:"value"`
	Number int64  `json:"number,omitempty"`
	Source string `json:"source"`
	User   bool   `json:"user,omitempty"`
	// Normalized is allowedRegistries' value as normalized references
	// spell it (mutate.NormalizeRegistry).
	Normalized []string `json:"normalized,omitempty"`
	// Boundaries are what a normalized image under one of Normalized
	// starts with (registryBoundaries).
	Boundaries []string `json:"boundaries,omitempty"`
}

type keyed struct {
	Kind     string   `json:"kind,omitempty"`
	Key      string   `json:"key"`
	Value    string   `json:"value,omitempty"`
	Effect   string   `json:"effect,omitempty"`
	Operator string   `json:"operator,omitempty"`
	Values   []string `json:"values,omitempty"`
	Display  string   `json:"display,omitempty"`
}

// podAffinityRule is config.isolation.podAffinity's value: the rule's
// namespaces, [] for none.
type podAffinityRule struct {
	AllowedNamespaces []string `json:"allowedNamespaces"`
}

// image is one of input.images: what a container runs, or what an image
// volume mounts (Volume set, Container empty: a policy that names only
// the container still judges the volume's image).
type image struct {
	Container  string `json:"container"`
	Volume     string `json:"volume,omitempty"`
	Image      string `json:"image"`
	Normalized string `json:"normalized"`
}

// resolvePlatform computes Platform when it is not computed yet, and
// reports whether it did: the documents built without it are dropped.
func (in *Input) resolvePlatform() (bool, error) {
	if in.platformOf == nil {
		return false, nil
	}
	p, err := in.platformOf()
	if err != nil {
		return false, err
	}
	in.Platform, in.platformOf = p, nil
	in.base, in.baseValue, in.baseUses = nil, nil, nil
	return true, nil
}

// document is the input document policies see, whole, as JSON values
// (what the golden and `composer -o explain` show).
func (in *Input) document() (map[string]any, error) {
	if _, err := in.resolvePlatform(); err != nil {
		return nil, err
	}
	base, err := in.baseFor(&everything)
	if err != nil {
		return nil, err
	}
	doc := maps.Clone(base)
	doc["inventory"] = in.Inventory
	return toMap(doc)
}

// baseFor is the document without the inventory, with what uses reads,
// built once.
func (in *Input) baseFor(uses *inputUse) (map[string]any, error) {
	if in.base == nil || in.baseUses != uses {
		base, err := in.baseDocument(uses)
		if err != nil {
			return nil, err
		}
		in.base, in.baseUses, in.baseValue = base, uses, nil
	}
	return in.base, nil
}

// value is the document with what uses reads, as OPA's value, converted
// from the typed values by conv; the base is converted once, the inventory
// each time.
func (in *Input) value(uses *inputUse, conv *astConverter) (ast.Value, error) {
	if in.baseValue == nil || in.baseUses != uses {
		base, err := in.baseFor(uses)
		if err != nil {
			return nil, err
		}
		pod, sharePod := base["pod"]
		sharePod = sharePod && in.pod != nil
		if sharePod {
			base = maps.Clone(base)
			delete(base, "pod")
		}
		v, err := conv.valueOf(base)
		if err != nil {
			return nil, fmt.Errorf("converting the policy input: %w", err)
		}
		obj, ok := v.(ast.Object)
		if !ok {
			return nil, fmt.Errorf("the policy input is a %T, not an object", v)
		}
		if in.settingsApart(uses) {
			settings, err := in.settings.termsOf(func() map[string]any { return in.settingsDoc(uses) }, conv)
			if err != nil {
				return nil, err
			}
			configObj, ok := obj.Get(ast.InternedTerm("config")).Value.(ast.Object)
			if !ok {
				return nil, fmt.Errorf("the policy input's config is not an object")
			}
			for name, t := range settings {
				configObj.Insert(ast.InternedTerm(name), t)
			}
		}
		if sharePod {
			if in.pod.term == nil || in.pod.uses != uses {
				term, err := conv.termOf(reflect.ValueOf(pod))
				if err != nil {
					return nil, fmt.Errorf("converting the policy input's pod: %w", err)
				}
				in.pod.term, in.pod.uses = term, uses
			}
			obj.Insert(ast.InternedTerm("pod"), in.pod.term)
		}
		in.baseValue = obj
	}
	inv, err := conv.valueOf(in.Inventory)
	if err != nil {
		return nil, fmt.Errorf("converting the inventory: %w", err)
	}
	out := ast.NewObject()
	in.baseValue.Foreach(func(k, v *ast.Term) { out.Insert(k, v) })
	out.Insert(ast.StringTerm("inventory"), ast.NewTerm(inv))
	return out, nil
}

// byLayer reports whether the pod's value of a field (rendered as
// provenance renders it) is a layer's: provenance says a layer set it and
// the pod holds exactly that value. Provenance only explains a value the
// pod has; a value the pod holds that no layer gave is the tenant's.
func (in *Input) byLayer(key overlay.Key, rendered string) bool {
	if !in.Composed.Spark {
		return false
	}
	prov := in.Composed.Composition.Provenance
	if by, ok := prov.SetBy(key); !ok || by.IsUser() {
		return false
	}
	v, _ := prov.ValueOf(key)
	return v == rendered
}

func (in *Input) baseDocument(uses *inputUse) (map[string]any, error) {
	res := in.Composed
	pod := in.Pod
	prov := res.Composition.Provenance
	cfg := &res.Composition.Config
	source := sourceIn(prov)
	doc := map[string]any{
		"request": in.Request,
		"role":    string(res.Role),
		"app":     pod.Labels[AppLabel],
	}
	if in.requests != nil {
		doc["resources"] = *in.requests
	} else {
		doc["resources"] = PodRequests(pod)
	}
	// The pod, the Namespace and the config values stay typed: value
	// converts them without JSON, document through it.
	if uses.needs("pod") {
		doc["pod"] = podForPolicies(pod, uses.unread)
	}
	if in.Old != nil {
		doc["old"] = map[string]any{"metadata": map[string]any{"labels": nonNilMap(in.Old.Labels), "annotations": nonNilMap(in.Old.Annotations)}}
	}
	ns := in.Namespace
	if ns == nil {
		ns = &corev1.Namespace{}
		ns.Name = pod.Namespace
	}
	if uses.needs("namespace") {
		doc["namespace"] = ns
	}
	doc["group"] = ns.Labels[GroupLabel]
	if in.Application != nil {
		doc["application"] = in.Application
	}

	config := map[string]any{}
	if !in.settingsApart(uses) {
		maps.Copy(config, in.settingsDoc(uses))
	}
	if uses.needs("config.fields") {
		// Every composed field with its provenance, for site policies.
		fields := map[string]any{}
		for _, f := range prov.Fields() {
			by := f.SetBy()
			fields[f.Path] = map[string]any{"value": f.Value, "source": by.String(), "user": by.IsUser()}
		}
		config["fields"] = fields
	}
	if uses.needs("config.values") {
		valuesCfg := cfg.DeepCopy()
		valuesCfg.PodPatch = nil
		config["values"] = valuesCfg
	}
	composedRole := ""
	if cfg.IAM != nil && cfg.IAM.Role != nil && *cfg.IAM.Role != "" {
		composedRole = *cfg.IAM.Role
		config["iamRole"] = sourced{Value: composedRole, Source: source(overlay.SubKey(overlay.PathIAM, "role"))}
	}
	if rc, by := in.layersClass(); rc != "" {
		config["runtimeClassName"] = sourced{Value: rc, Source: by.String()}
	}
	doc["config"] = config
	doc["iamRoles"] = in.iamRoles(composedRole, source(overlay.SubKey(overlay.PathIAM, "role")))
	if uses.needs("user") {
		doc["user"] = in.userWritten()
	}
	doc["injected"] = nonNil(in.Platform.Containers)
	doc["injectedVolumes"] = nonNil(in.Platform.HostPathVolumes)
	images := []image{}
	forEachContainerOf(pod, func(name, img string) {
		images = append(images, image{Container: name, Image: img, Normalized: mutate.NormalizeImage(img)})
	})
	// The kubelet pulls an image volume's reference as it pulls a
	// container's image, and the container that mounts it can run what it
	// holds.
	for i := range pod.Spec.Volumes {
		if v := &pod.Spec.Volumes[i]; v.Image != nil {
			images = append(images, image{Volume: v.Name, Image: v.Image.Reference, Normalized: mutate.NormalizeImage(v.Image.Reference)})
		}
	}
	doc["images"] = images
	return doc, nil
}

// settingsDoc is input.config's settings, as many as uses reads:
// enforcement, limits and isolation, each value with the layer that set it.
func (in *Input) settingsDoc(uses *inputUse) map[string]any {
	cfg := &in.Composed.Composition.Config
	source := sourceIn(in.Composed.Composition.Provenance)
	doc := map[string]any{"enforcement": cfg.Enforcement}
	if uses.needs("config.limits") {
		doc["limits"] = limitsDoc(cfg.Limits, source)
	}
	if uses.needs("config.isolation") {
		doc["isolation"] = isolationDoc(cfg.Isolation, source)
	}
	return doc
}

// settingsApart reports whether the settings are left out of the document
// built for uses, their terms taken from the cache (settings.go): for the
// evaluated input of a pod whose settings are cached, never for the
// documented one.
func (in *Input) settingsApart(uses *inputUse) bool {
	return in.settings != nil && uses != &everything
}

// sourceIn names who set a field in prov, as config shows it; "" for a
// field nobody set.
func sourceIn(prov *overlay.Provenance) func(overlay.Key) string {
	return func(key overlay.Key) string {
		if by, ok := prov.SetBy(key); ok {
			return by.String()
		}
		return ""
	}
}

// limitsDoc is config.limits: each limit with its value, its number
// (millicores, bytes, a count or seconds) and the layer that set it.
func limitsDoc(l *v1alpha1.Limits, source func(overlay.Key) string) map[string]sourced {
	limits := map[string]sourced{}
	if l == nil {
		return limits
	}
	for name, q := range map[string]*resource.Quantity{"maxPodCPU": l.MaxPodCPU, "namespaceCPU": l.NamespaceCPU, "maxAppCPU": l.MaxAppCPU} {
		if q != nil {
			limits[name] = sourced{Value: q.String(), Number: clampMilli(q), Source: source(overlay.SubKey(overlay.PathLimits, name))}
		}
	}
	for name, q := range map[string]*resource.Quantity{"maxPodMemory": l.MaxPodMemory, "namespaceMemory": l.NamespaceMemory, "maxAppMemory": l.MaxAppMemory} {
		if q != nil {
			limits[name] = sourced{Value: q.String(), Number: clampValue(q), Source: source(overlay.SubKey(overlay.PathLimits, name))}
		}
	}
	for name, n := range map[string]*int32{"maxExecutorsPerApp": l.MaxExecutorsPerApp, "namespacePods": l.NamespacePods,
		"minSubmissionIntervalSeconds": l.MinSubmissionIntervalSeconds} {
		if n != nil {
			limits[name] = sourced{Value: *n, Number: int64(*n), Source: source(overlay.SubKey(overlay.PathLimits, name))}
		}
	}
	return limits
}

// registryBoundaries are the prefixes of the images under the normalized
// registries: each registry followed by "/" (a path), ":" (a port or a
// tag) or "@" (a digest). An image is under a registry when it is the
// registry or starts with one of these; isolation's rule asks that with
// one strings.any_prefix_match per image, against the cost of a function
// call per image and registry in Rego (built per snapshot, with the rest
// of the settings).
func registryBoundaries(normalized []string) []string {
	boundaries := make([]string, 0, 3*len(normalized))
	for _, r := range normalized {
		boundaries = append(boundaries, r+"/", r+":", r+"@")
	}
	return boundaries
}

// isolationDoc is config.isolation: each rule set, with the layer that set it.
func isolationDoc(iso *v1alpha1.Isolation, source func(overlay.Key) string) map[string]sourced {
	isolation := map[string]sourced{}
	if iso == nil {
		return isolation
	}
	add := func(name string, v any, set bool) {
		if set {
			isolation[name] = sourced{Value: v, Source: source(overlay.SubKey(overlay.PathIsolation, name))}
		}
	}
	add("allowedIAMRoles", iso.AllowedIAMRoles, iso.AllowedIAMRoles != nil)
	add("allowedRegistries", iso.AllowedRegistries, iso.AllowedRegistries != nil)
	if r, ok := isolation["allowedRegistries"]; ok {
		r.Normalized = []string{}
		for _, prefix := range iso.AllowedRegistries {
			r.Normalized = append(r.Normalized, mutate.NormalizeRegistry(prefix)...)
		}
		r.Boundaries = registryBoundaries(r.Normalized)
		isolation["allowedRegistries"] = r
	}
	add("allowedTolerations", iso.AllowedTolerations, iso.AllowedTolerations != nil)
	add("reservedNodeSelectors", iso.ReservedNodeSelectors, iso.ReservedNodeSelectors != nil)
	add("reservedLabelPrefixes", iso.ReservedLabelPrefixes, iso.ReservedLabelPrefixes != nil)
	add("allowedPriorityClasses", iso.AllowedPriorityClasses, iso.AllowedPriorityClasses != nil)
	add("allowedRuntimeClasses", iso.AllowedRuntimeClasses, iso.AllowedRuntimeClasses != nil)
	if pa := iso.PodAffinity; pa != nil {
		add("podAffinity", podAffinityRule{AllowedNamespaces: nonNilSlice(pa.AllowedNamespaces)}, true)
	}
	add("placementControllers", iso.PlacementControllers, iso.PlacementControllers != nil)
	add("allowedServiceTypes", iso.AllowedServiceTypes, iso.AllowedServiceTypes != nil)
	add("allowedIngressHosts", iso.AllowedIngressHosts, iso.AllowedIngressHosts != nil)
	return isolation
}

// AppLabel is the pod label that names a pod's Spark application.
const AppLabel = "spark-app-selector"

// iamRoles is every IAM role the pod carries, each once: the composed
// role (with its source), and every other role written on the pod, which
// is the tenant's: a strata.dev/iam-role request Strata did not grant, the
// KIAM annotation, and AWS_ROLE_ARN in any container, written out or taken
// from elsewhere or expanded from other variables (envRole).
func (in *Input) iamRoles(composed, composedSource string) []sourced {
	out := []sourced{}
	seen := map[string]bool{}
	if composed != "" {
		seen[composed] = true
		out = append(out, sourced{Value: composed, Source: composedSource, User: composedSource == overlay.UserSource().String()})
	}
	addUser := func(role, via string) {
		if role == "" || seen[role] {
			return
		}
		seen[role] = true
		out = append(out, sourced{Value: role, Source: "user (" + via + ")", User: true})
	}
	pod := in.Pod
	addUser(pod.Annotations[v1alpha1.IAMRoleAnnotation], "annotation "+v1alpha1.IAMRoleAnnotation)
	if role, ok := pod.Annotations[mutate.IAMRoleAnnotation]; ok &&
		!in.byLayer(overlay.MapKey(overlay.PathAnnotations, mutate.IAMRoleAnnotation), strconv.Quote(role)) {
		addUser(role, "annotation "+mutate.IAMRoleAnnotation)
	}
	forEachEnvRole(pod, func(name, role string) {
		addUser(role, fmt.Sprintf("env %s of container %q", awsRoleEnv, name))
	})
	return out
}

// layersRecord reports whether v, the pod's strata.dev/layers, is the
// record the mutating webhook wrote of the layers it applied. On a Spark
// pod's CREATE it always is: the mutating webhook runs on every pod of a
// Spark role (its objectSelector, SparkRole) and replaces the annotation
// whatever the request held. Its value is not compared with this
// composition's layers: the pod may have been composed by another
// replica, or before a Layer was applied or deleted, and a Layer rollout
// must refuse no pod in flight. On an UPDATE, which no mutation composes,
// the record is Strata's when it names this composition's layers; a
// change of it is refused against the old pod (reservedLabelPrefixes).
func (in *Input) layersRecord(v string) bool {
	if !in.Composed.Spark {
		return false
	}
	if _, created := creation(in.Request, in.Pod); created {
		return true
	}
	return v == strings.Join(in.Composed.Composition.Layers, ",")
}

// userWritten is what the tenant wrote of the fields isolation checks:
// every value of the pod that is not a layer's (byLayer).
func (in *Input) userWritten() map[string]any {
	pod := in.Pod
	tolerations, nodeSelector, metadata, affinity := []keyed{}, []keyed{}, []keyed{}, []keyed{}
	scheduling := in.runtimeScheduling()
	for i := range pod.Spec.Tolerations {
		t := &pod.Spec.Tolerations[i]
		if mutate.IsDefaultToleration(t) || runtimeScheduled(scheduling, t) || namespacePlaced(&in.NamespacePlacement, pod, t) {
			continue // the API server's own, its RuntimeClass's or its namespace's
		}
		display := overlay.RenderToleration(t)
		if !in.byLayer(overlay.ElementKey(overlay.PathTolerations, overlay.TolerationKey(t)), display) {
			tolerations = append(tolerations, keyed{Key: t.Key, Effect: string(t.Effect), Display: display})
		}
	}
	for _, k := range sortedKeys(pod.Spec.NodeSelector) {
		if v := pod.Spec.NodeSelector[k]; !in.byLayer(overlay.MapKey(overlay.PathNodeSelector, k), strconv.Quote(v)) && !runtimeSelects(scheduling, k, v) &&
			!namespaceSelects(&in.NamespacePlacement, k, v) {
			nodeSelector = append(nodeSelector, keyed{Key: k, Value: v})
		}
	}
	for _, e := range mutate.RequiredNodeAffinity(pod) {
		if key := mutate.NodeAffinityKey(e); !in.LayerAffinity[key] {
			affinity = append(affinity, keyed{Key: e.Key, Operator: string(e.Operator), Values: e.Values, Display: key})
		}
	}
	for _, k := range sortedKeys(pod.Labels) {
		if v := pod.Labels[k]; !in.byLayer(overlay.MapKey(overlay.PathLabels, k), strconv.Quote(v)) {
			metadata = append(metadata, keyed{Kind: "label", Key: k, Value: v})
		}
	}
	for _, k := range sortedKeys(pod.Annotations) {
		v := pod.Annotations[k]
		if k == v1alpha1.LayersAnnotation && in.layersRecord(v) {
			continue // Strata's own record of the layers it applied
		}
		if !in.byLayer(overlay.MapKey(overlay.PathAnnotations, k), strconv.Quote(v)) {
			metadata = append(metadata, keyed{Kind: "annotation", Key: k, Value: v})
		}
	}
	nodeFields := []keyed{}
	for _, e := range mutate.RequiredNodeFields(pod) {
		if !in.LayerAffinity[mutate.NodeFieldKey(e)] {
			nodeFields = append(nodeFields, keyed{Key: e.Key, Operator: string(e.Operator), Values: e.Values, Display: mutate.NodeAffinityKey(e)})
		}
	}
	podAffinity := []affinityReach{}
	for _, t := range mutate.PodAffinityTerms(pod) {
		if !in.LayerAffinity[t.Key()] {
			podAffinity = append(podAffinity, reachOf(t, pod.Namespace))
		}
	}
	user := map[string]any{"tolerations": tolerations, "nodeSelector": nodeSelector, "metadata": metadata, "nodeAffinity": affinity,
		"nodeFields": nodeFields, "podAffinity": podAffinity}
	if pc := pod.Spec.PriorityClassName; pc != "" && pc != in.DefaultPriorityClass &&
		!in.byLayer(overlay.FieldKey(overlay.PathPriorityClassName), strconv.Quote(pc)) {
		user["priorityClassName"] = pc
	}
	if pod.Spec.NodeName != "" {
		user["nodeName"] = pod.Spec.NodeName
	}
	if rc := pod.Spec.RuntimeClassName; rc != nil {
		if layers, _ := in.layersClass(); *rc != layers {
			user["runtimeClassName"] = *rc
		}
	}
	return user
}

// runtimeScheduling is the scheduling of the pod's RuntimeClass
// (RuntimeScheduling) when the class is the layers' (layersClass) or one
// a tenant may name (isolation.allowedRuntimeClasses): what it gave the
// pod is then the platform's. nil otherwise: a class any pod may name,
// platforms' own among them, gives a tenant nothing it could not write
// itself.
func (in *Input) runtimeScheduling() *nodev1.Scheduling {
	name, iso := in.Pod.Spec.RuntimeClassName, in.Composed.Composition.Config.Isolation
	if in.RuntimeScheduling == nil || name == nil {
		return nil
	}
	if layers, _ := in.layersClass(); *name == layers || (iso != nil && slices.Contains(iso.AllowedRuntimeClasses, *name)) {
		return in.RuntimeScheduling
	}
	return nil
}

// layersClass is the RuntimeClass the layers give the pod
// (runtimeClassName), and the layer that gives it: an override's, or a
// default's the pod does not name another class over; "" when they give
// none. A Spark pod is given it by the webhook; any other pod, which the
// webhook does not compose, must name it itself (isolation's
// runtimeClassName check), so dropping the spark-role label never leaves
// the class.
func (in *Input) layersClass() (string, overlay.Source) {
	comp := &in.Composed.Composition
	rc := comp.Config.RuntimeClassName
	if rc == nil || *rc == "" {
		return "", overlay.Source{}
	}
	by, ok := comp.Provenance.SetBy(overlay.FieldKey(overlay.PathRuntimeClassName))
	if !ok || by.IsUser() {
		return "", overlay.Source{}
	}
	return *rc, by
}

// forEachContainerOf calls fn with the name and image of every init,
// regular and ephemeral container of pod.
func forEachContainerOf(pod *corev1.Pod, fn func(name, image string)) {
	forEachContainer(pod, func(c *corev1.Container) { fn(c.Name, c.Image) })
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func nonNilSlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
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
