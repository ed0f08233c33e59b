package mutatingpolicy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/policy/generic"
	"k8s.io/apiserver/pkg/admission/plugin/policy/matching"
	"k8s.io/apiserver/pkg/admission/plugin/policy/mutating"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/applyconfigurations"
	"k8s.io/client-go/dynamic"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/strata-dev/strata/pkg/overlay"
)

// Applier applies MutatingAdmissionPolicies to the creation of pods, as
// the API server's MutatingAdmissionPolicy plugin does. Safe for
// concurrent use; Close stops it.
type Applier struct {
	plugin  *generic.Plugin[mutating.PolicyHook]
	objects admission.ObjectInterfaces
	stop    chan struct{}
	skipped map[string]string
	// bound is how many of the policies it applies have a binding.
	bound int
	// reversed: the policies apply in the reverse order of their names.
	reversed bool
	// What it was started with, for Reversed.
	policies overlay.MutatingPolicies
	cluster  Cluster
	// custom are the kinds the CRDs define (CreateCustom).
	custom map[schema.GroupVersionKind]customKind
}

// Cluster is what a dry run knows of the cluster the policies apply in.
type Cluster struct {
	// Namespaces are those of the objects to admit, with their labels:
	// what a binding's namespaceSelector and a policy's namespaceObject
	// read.
	Namespaces []corev1.Namespace
	// Params are the objects the policies' paramKinds name (nil: none
	// read, and a policy with a paramKind is left out).
	Params *Params
	// Schemas are those of the custom resources to admit (CreateCustom;
	// nil: none).
	Schemas *Schemas
	// Authorizer answers a policy's authorizer checks as the cluster's
	// authorizer does (SubjectAccessReviews of a cluster read); nil: a
	// policy whose CEL asks the authorizer is left out. Where a policy
	// asks it, New asks it a check of its own first: one that errs
	// leaves those policies out too.
	Authorizer authorizer.UnconditionalAuthorizer
	// Groups are, by user name, the groups of the users objects are
	// created by, beyond those the API server's authenticators give every
	// user and a service account (userOf).
	Groups map[string][]string
}

// New starts an Applier of policies' MutatingAdmissionPolicies and their
// bindings in cluster. A policy the dry run cannot apply is left out
// (Skipped). It returns once the plugin is ready, or ctx is done.
func New(ctx context.Context, policies overlay.MutatingPolicies, cluster Cluster) (*Applier, error) {
	return startApplier(ctx, &Applier{policies: policies, cluster: cluster})
}

// Reversed starts an Applier of a's policies in the reverse order of their
// names: where it gives a pod other values than a, two policies change the
// same field, and what the API server stores depends on the order it
// applies them in, which is not fixed (byName).
func (a *Applier) Reversed(ctx context.Context) (*Applier, error) {
	return startApplier(ctx, &Applier{policies: a.policies, cluster: a.cluster, reversed: !a.reversed})
}

// Bound is how many of the policies a applies are bound: where it is 2 or
// more, their order may matter (Reversed).
func (a *Applier) Bound() int { return a.bound }

// startApplier starts a, New's Applier.
func startApplier(ctx context.Context, a *Applier) (*Applier, error) {
	policies, namespaces, params := a.policies, a.cluster.Namespaces, a.cluster.Params
	a.stop, a.skipped = make(chan struct{}), map[string]string{}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	seed := make([]runtime.Object, 0, len(policies.Policies)+len(policies.Bindings)+len(namespaces))
	bound := map[string]bool{}
	for _, b := range policies.Bindings {
		bound[b.Spec.PolicyName] = true
	}
	unanswered := a.unanswered(ctx)
	for _, p := range policies.Policies {
		if why := unappliable(&p, params, unanswered); why != "" {
			a.skipped[p.Name] = why
			continue
		}
		seed = append(seed, defaulted(p))
		if bound[p.Name] {
			a.bound++
		}
	}
	for _, b := range policies.Bindings {
		seed = append(seed, defaultedBinding(b))
	}
	for i := range namespaces {
		seed = append(seed, namespaces[i].DeepCopy())
	}
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(corev1.SchemeGroupVersion.WithKind("Pod"), meta.RESTScopeNamespace)
	custom, customConverters, err := customTypes(a.cluster.Schemas)
	if err != nil {
		return nil, err
	}
	a.custom = custom
	for gvk, k := range custom {
		mapper.AddSpecific(gvk, k.resource, k.resource, k.scope)
	}
	typed, customParams, listKinds, err := paramObjects(scheme, params, mapper)
	if err != nil {
		return nil, err
	}
	seed = append(seed, typed...)
	// The plugin converts the object it patched back into the request's
	// (the API server's internal version); here both are v1.
	if err := scheme.AddConversionFunc((*corev1.Pod)(nil), (*corev1.Pod)(nil), func(in, out any, _ conversion.Scope) error {
		in.(*corev1.Pod).DeepCopyInto(out.(*corev1.Pod))
		return nil
	}); err != nil {
		return nil, err
	}
	a.objects = admission.NewObjectInterfacesFromScheme(scheme)
	// Built-in types convert with client-go's schemas, as the API
	// server's own do; custom resources with their CRDs'.
	types := typeConverters{static: applyconfigurations.NewTypeConverter(scheme), custom: customConverters}

	client := fake.NewClientset(seed...)
	factory := informers.NewSharedInformerFactory(client, 0)
	if params != nil {
		// The plugin watches a built-in paramKind through the factory:
		// started with it, and synced before the first pod.
		for _, m := range params.Mappings {
			_, _ = factory.ForResource(m.Resource) // a kind the factory does not hold is the dynamic client's
		}
	}
	a.plugin = generic.NewPlugin(admission.NewHandler(admission.Create, admission.Update, admission.Connect),
		func(f informers.SharedInformerFactory, _ kubernetes.Interface, d dynamic.Interface, m meta.RESTMapper) generic.Source[mutating.PolicyHook] {
			return byName{reversed: a.reversed, Source: generic.NewPolicySource(f.Admissionregistration().V1().MutatingAdmissionPolicies().Informer(),
				f.Admissionregistration().V1().MutatingAdmissionPolicyBindings().Informer(),
				mutating.NewMutatingAdmissionPolicyAccessor, mutating.NewMutatingAdmissionPolicyBindingAccessor, compile, f, d, m)}
		},
		func(az authorizer.UnconditionalAuthorizer, m *matching.Matcher, _ kubernetes.Interface) generic.Dispatcher[mutating.PolicyHook] {
			return mutating.NewDispatcher(az, m, types)
		})
	a.plugin.SetEnabled(true)
	a.plugin.SetExternalKubeInformerFactory(factory)
	a.plugin.SetExternalKubeClientSet(client)
	a.plugin.SetRESTMapper(mapper)
	dynamicClient := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme, listKinds)
	for _, c := range customParams {
		// By the resource the cluster serves them as, which the
		// tracker would otherwise guess from the kind.
		if err := dynamicClient.Tracker().Create(c.resource, c.object, c.object.GetNamespace()); err != nil {
			return nil, fmt.Errorf("param %s %s/%s: %w", c.object.GetKind(), c.object.GetNamespace(), c.object.GetName(), err)
		}
	}
	a.plugin.SetDynamicClient(dynamicClient)
	a.plugin.SetDrainedNotification(a.stop)
	var az authorizer.UnconditionalAuthorizer = noAuthorizer{}
	if a.cluster.Authorizer != nil {
		az = a.cluster.Authorizer
	}
	a.plugin.SetUnconditionalAuthorizer(az)
	if err := a.plugin.ValidateInitialization(); err != nil {
		close(a.stop)
		return nil, fmt.Errorf("starting the MutatingAdmissionPolicy plugin: %w", err)
	}
	factory.Start(a.stop)
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			a.Close()
			return nil, fmt.Errorf("reading the MutatingAdmissionPolicies: %v not read: %w", typ, context.Cause(ctx))
		}
	}
	// The policies compiled, so that they are applied from the first pod.
	if !a.plugin.WaitForReady() {
		a.Close()
		return nil, errors.New("the MutatingAdmissionPolicy plugin did not get ready")
	}
	return a, nil
}

// Close stops a.
func (a *Applier) Close() { close(a.stop) }

// Skipped says why the dry run does not apply the named policy: its
// params were not given or could not be read (Params), or its CEL asks the
// authorizer; "" for a policy it applies.
func (a *Applier) Skipped(policy string) string { return a.skipped[policy] }

// authorizerUse finds the authorizer in a CEL expression.
var authorizerUse = regexp.MustCompile(`\bauthorizer\b`)

// unanswered says why a policy's authorizer checks go unanswered: no
// authorizer, or one that does not answer a check of its own
// (Cluster.Authorizer: a cluster that does not let the dry run ask it
// SubjectAccessReviews, which would answer every check no, silently);
// "" where it answers. It asks only where a policy uses the authorizer.
func (a *Applier) unanswered(ctx context.Context) string {
	if !slices.ContainsFunc(a.policies.Policies, func(p admissionregistrationv1.MutatingAdmissionPolicy) bool { return asksAuthorizer(&p) }) {
		return ""
	}
	if a.cluster.Authorizer == nil {
		return "which only a cluster answers (--kubeconfig)"
	}
	probe := authorizer.AttributesRecord{User: &user.DefaultInfo{Name: user.Anonymous}, Verb: "get", Resource: "namespaces", APIVersion: "v1", ResourceRequest: true}
	if _, _, err := a.cluster.Authorizer.Authorize(ctx, probe); err != nil {
		return "which the cluster does not answer the dry run: " + err.Error()
	}
	return ""
}

// asksAuthorizer reports whether p's CEL names the authorizer.
func asksAuthorizer(p *admissionregistrationv1.MutatingAdmissionPolicy) bool {
	exprs := make([]string, 0, len(p.Spec.Variables)+len(p.Spec.MatchConditions)+len(p.Spec.Mutations))
	for _, v := range p.Spec.Variables {
		exprs = append(exprs, v.Expression)
	}
	for _, c := range p.Spec.MatchConditions {
		exprs = append(exprs, c.Expression)
	}
	for _, m := range p.Spec.Mutations {
		if m.JSONPatch != nil {
			exprs = append(exprs, m.JSONPatch.Expression)
		}
		if m.ApplyConfiguration != nil {
			exprs = append(exprs, m.ApplyConfiguration.Expression)
		}
	}
	return slices.ContainsFunc(exprs, authorizerUse.MatchString)
}

// unappliable says why p cannot be applied with params, where the
// authorizer's checks go unanswered for the reason unanswered gives ("":
// they are answered); "" when it can.
func unappliable(p *admissionregistrationv1.MutatingAdmissionPolicy, params *Params, unanswered string) string {
	if k := p.Spec.ParamKind; k != nil {
		switch {
		case params == nil:
			return fmt.Sprintf("it has params (paramKind %s %s), of which the dry run was given none", k.APIVersion, k.Kind)
		case params.Unread[p.Name] != "":
			return fmt.Sprintf("its params (paramKind %s %s) could not be read: %s", k.APIVersion, k.Kind, params.Unread[p.Name])
		}
	}
	if unanswered != "" && asksAuthorizer(p) {
		return "its CEL asks the authorizer, " + unanswered
	}
	return ""
}

// creation is one object's creation through the plugin: its first pass,
// then its second (the API server's admission reinvocation).
type creation struct {
	applier *Applier
	attrs   admission.Attributes
}

// dispatch is a pass of the plugin over the request's object, which it
// changes in place, or the API server's refusal.
func (c *creation) dispatch(ctx context.Context) error {
	if err := c.applier.plugin.Dispatch(ctx, c.attrs, c.applier.objects); err != nil {
		return &RefusedError{err: err}
	}
	return nil
}

// reinvoke is the second pass.
func (c *creation) reinvoke(ctx context.Context) error {
	c.attrs.GetReinvocationContext().SetIsReinvoke()
	return c.dispatch(ctx)
}

// Changed reports whether a policy changed the object: the API server
// then runs its mutating plugins a second time (Reinvoke), as when a
// webhook changed it.
func (c *creation) Changed() bool { return c.attrs.GetReinvocationContext().ShouldReinvoke() }

// PodCreation is one pod's creation through the plugin: Admit is the API
// server's first pass, Reinvoke its second (its admission reinvocation).
type PodCreation struct {
	creation
	// pod is the request's object, which the plugin changes in place.
	pod *corev1.Pod
}

// CreatePod is the creation of pod by username ("" for a user not known),
// as the API server's admission sees it; pod is not changed.
func (a *Applier) CreatePod(pod *corev1.Pod, username string) *PodCreation {
	obj := pod.DeepCopy()
	obj.APIVersion, obj.Kind = "v1", "Pod"
	return &PodCreation{pod: obj, creation: creation{applier: a, attrs: admission.NewAttributesRecord(obj, nil, corev1.SchemeGroupVersion.WithKind("Pod"),
		obj.Namespace, obj.Name, corev1.SchemeGroupVersion.WithResource("pods"), "", admission.Create, &metav1.CreateOptions{}, false,
		a.userOf(username))}}
}

// Admit is the pod as the policies leave it on the API server's first
// pass, or the API server's refusal (a policy that fails, failurePolicy
// Fail).
func (c *PodCreation) Admit(ctx context.Context) (*corev1.Pod, error) {
	if err := c.dispatch(ctx); err != nil {
		return nil, err
	}
	return c.result(), nil
}

// Reinvoke is pod, the creation's pod as the plugins and webhooks after
// the policies left it, as the policies leave it on the API server's
// second pass: those whose reinvocationPolicy is IfNeeded apply again when
// pod changed since they last saw it.
func (c *PodCreation) Reinvoke(ctx context.Context, pod *corev1.Pod) (*corev1.Pod, error) {
	pod.DeepCopyInto(c.pod)
	c.pod.APIVersion, c.pod.Kind = "v1", "Pod"
	if err := c.reinvoke(ctx); err != nil {
		return nil, err
	}
	return c.result(), nil
}

// result is a copy of the request's pod, without the type the request
// gave it.
func (c *PodCreation) result() *corev1.Pod {
	out := c.pod.DeepCopy()
	out.TypeMeta = metav1.TypeMeta{}
	return out
}

// CustomCreation is the creation of a custom resource's object (a
// SparkApplication) through the plugin, as PodCreation is a pod's.
type CustomCreation struct {
	creation
	// obj is the request's object, which the plugin changes in place.
	obj *unstructured.Unstructured
}

// Undefined says why objects of kind cannot be created (CreateCustom): no
// CRD the Applier was given defines it in a version it serves, and why
// none was (Schemas.Unread); "" where one does.
func (a *Applier) Undefined(kind schema.GroupVersionKind) string {
	if _, ok := a.custom[kind]; ok {
		return ""
	}
	if a.cluster.Schemas != nil {
		if why := a.cluster.Schemas.Unread[kind.GroupKind()]; why != "" {
			return fmt.Sprintf("its CustomResourceDefinition could not be read: %s", why)
		}
	}
	return fmt.Sprintf("no CustomResourceDefinition of %s %s was given", kind.GroupVersion(), kind.Kind)
}

// CreateCustom is the creation of obj, an object of a custom resource, by
// username, as the API server's admission sees it; obj is not changed.
// Its kind must be one a CRD the Applier was given defines (Undefined):
// without its schema the dry run cannot apply a policy's apply
// configuration as the API server does.
func (a *Applier) CreateCustom(obj *unstructured.Unstructured, username string) (*CustomCreation, error) {
	kind := obj.GroupVersionKind()
	k, ok := a.custom[kind]
	if !ok {
		return nil, errors.New(a.Undefined(kind))
	}
	o := obj.DeepCopy()
	namespace := o.GetNamespace()
	if k.scope.Name() == meta.RESTScopeNameRoot {
		namespace = ""
	}
	return &CustomCreation{obj: o, creation: creation{applier: a, attrs: admission.NewAttributesRecord(o, nil, kind,
		namespace, o.GetName(), k.resource, "", admission.Create, &metav1.CreateOptions{}, false, a.userOf(username))}}, nil
}

// Admit is the object as the policies leave it on the API server's first
// pass, or the API server's refusal.
func (c *CustomCreation) Admit(ctx context.Context) (*unstructured.Unstructured, error) {
	if err := c.dispatch(ctx); err != nil {
		return nil, err
	}
	return c.obj.DeepCopy(), nil
}

// Reinvoke is obj, the creation's object as the webhooks after the
// policies left it, as the policies leave it on the API server's second
// pass (PodCreation.Reinvoke).
func (c *CustomCreation) Reinvoke(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	c.obj.SetUnstructuredContent(obj.DeepCopy().Object)
	if err := c.reinvoke(ctx); err != nil {
		return nil, err
	}
	return c.obj.DeepCopy(), nil
}

// RefusedError is the API server's refusal of a creation by a
// MutatingAdmissionPolicy, in its words.
type RefusedError struct{ err error }

func (e *RefusedError) Error() string { return e.err.Error() }
func (e *RefusedError) Unwrap() error { return e.err }

// byName is the plugin's policy source with its policies in the order of
// their names, and each one's bindings in theirs. The API server's source
// hands them out in the order of a map's iteration, which differs from one
// refresh to the next; a dry run must give the same output for the same
// input. Policies whose changes commute (most: each sets fields of its
// own) give the same pod in any order, and where two change the same
// field the API server's result depends on its order too.
type byName struct {
	generic.Source[mutating.PolicyHook]
	// reversed: in the reverse order (Applier.Reversed).
	reversed bool
}

// Hooks are the source's, sorted.
func (s byName) Hooks() []mutating.PolicyHook {
	hooks := slices.Clone(s.Source.Hooks())
	for i := range hooks {
		hooks[i].Bindings = slices.Clone(hooks[i].Bindings)
		slices.SortFunc(hooks[i].Bindings, func(a, b *mutating.PolicyBinding) int { return strings.Compare(a.Name, b.Name) })
	}
	slices.SortFunc(hooks, func(a, b mutating.PolicyHook) int { return strings.Compare(a.Policy.Name, b.Policy.Name) })
	if s.reversed {
		slices.Reverse(hooks)
	}
	return hooks
}

// noAuthorizer answers a policy's authorizer checks in a dry run that
// reads no cluster; it is never asked: a policy that uses the authorizer
// is not applied (unappliable).
type noAuthorizer struct{}

func (noAuthorizer) Authorize(context.Context, authorizer.Attributes) (authorizer.Decision, string, error) {
	return authorizer.DecisionNoOpinion, "the dry run does not authorize", nil
}
