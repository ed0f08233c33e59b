// Package manifests checks the Kustomize deployment in manifests/: both
// overlays build, and the objects carry the properties the product relies on.
package manifests

import (
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	webhookapp "github.com/strata-dev/strata/cmd/webhook/app"
	strataoverlay "github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/policy"
	"github.com/strata-dev/strata/test/controlplane"
)

func build(t *testing.T, overlay string) resmap.ResMap {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join(controlplane.RepoRoot(), "manifests", overlay))
	if err != nil {
		t.Fatalf("kustomize build manifests/%s: %v", overlay, err)
	}
	return m
}

func decode[T any](t *testing.T, m resmap.ResMap, kind, name string) *T {
	t.Helper()
	for _, r := range m.Resources() {
		if r.GetKind() == kind && r.GetName() == name {
			raw, err := r.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			var obj T
			if err := yaml.UnmarshalStrict(raw, &obj); err != nil {
				t.Fatalf("%s %s: %v", kind, name, err)
			}
			return &obj
		}
	}
	t.Fatalf("no %s %q in the build", kind, name)
	return nil
}

func TestBothOverlaysDeployEverything(t *testing.T) {
	for _, overlay := range []string{"default", "cert-manager"} {
		t.Run(overlay, func(t *testing.T) {
			m := build(t, overlay)
			for _, r := range m.Resources() {
				if ns := r.GetNamespace(); ns != "" && ns != "strata-system" {
					t.Errorf("%s %s in namespace %q, want strata-system", r.GetKind(), r.GetName(), ns)
				}
			}
			checkWebhooks(t, m, overlay)
			checkDeployment(t, m)
			pdb := decode[policyv1.PodDisruptionBudget](t, m, "PodDisruptionBudget", "strata-webhook")
			if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 1 {
				t.Errorf("PDB minAvailable = %v", pdb.Spec.MinAvailable)
			}
			decode[map[string]any](t, m, "CustomResourceDefinition", "layers.strata.dev")
			decode[map[string]any](t, m, "Service", "strata-webhook")
		})
	}
}

func checkWebhooks(t *testing.T, m resmap.ResMap, overlay string) {
	t.Helper()
	mwc := decode[admissionregistrationv1.MutatingWebhookConfiguration](t, m, "MutatingWebhookConfiguration", "strata-mutating")
	appMWC := decode[admissionregistrationv1.MutatingWebhookConfiguration](t, m, "MutatingWebhookConfiguration", "00-strata-sparkapplications")
	// The API server calls mutating configurations in the order of their
	// names. SparkApplications' must come before the Spark Operator's,
	// whatever its release is called (a name of letters), or the
	// operator's defaults pass for the user's; pods' after it, so that
	// each pod is composed once, over what the operator put on it.
	for _, other := range []string{"spark-operator-webhook", "a-spark-operator-webhook", "kubeflow-spark-operator-webhook"} {
		if appMWC.Name >= other {
			t.Errorf("MutatingWebhookConfiguration %q is called after %q", appMWC.Name, other)
		}
	}
	if mwc.Name <= "spark-operator-webhook" {
		t.Errorf("MutatingWebhookConfiguration %q is called before spark-operator-webhook", mwc.Name)
	}
	if len(appMWC.Webhooks) != 2 {
		t.Fatalf("%s has %d webhooks, want the SparkApplication and SparkConnect ones", appMWC.Name, len(appMWC.Webhooks))
	}
	// SparkConnects: their Spark configuration composed on create and on
	// update of the object, never through the status subresource.
	if c := appMWC.Webhooks[1]; len(c.Rules) != 1 || !slices.Equal(c.Rules[0].APIGroups, []string{"sparkoperator.k8s.io"}) ||
		!slices.Equal(c.Rules[0].APIVersions, []string{"v1alpha1"}) || !slices.Equal(c.Rules[0].Resources, []string{"sparkconnects"}) ||
		!slices.Equal(c.Rules[0].Operations, []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}) ||
		c.FailurePolicy == nil || *c.FailurePolicy != admissionregistrationv1.Fail ||
		c.ReinvocationPolicy == nil || *c.ReinvocationPolicy != admissionregistrationv1.IfNeededReinvocationPolicy ||
		c.ClientConfig.Service == nil || c.ClientConfig.Service.Path == nil || *c.ClientConfig.Service.Path != "/mutate-sparkoperator-k8s-io-v1alpha1-sparkconnect" {
		t.Errorf("SparkConnect mutating webhook = %+v", c)
	}
	mwc.Webhooks = append(mwc.Webhooks, appMWC.Webhooks[0])
	w := mwc.Webhooks[0]
	if w.FailurePolicy == nil || *w.FailurePolicy != admissionregistrationv1.Fail ||
		w.SideEffects == nil || *w.SideEffects != admissionregistrationv1.SideEffectClassNone ||
		w.ReinvocationPolicy == nil || *w.ReinvocationPolicy != admissionregistrationv1.IfNeededReinvocationPolicy ||
		w.MatchPolicy == nil || *w.MatchPolicy != admissionregistrationv1.Equivalent ||
		w.TimeoutSeconds == nil || *w.TimeoutSeconds > 10 {
		t.Errorf("mutating webhook policies: %+v", w)
	}
	sel := w.ObjectSelector
	if sel == nil || len(sel.MatchExpressions) != 1 || sel.MatchExpressions[0].Key != "spark-role" ||
		!slices.Equal(sel.MatchExpressions[0].Values, []string{"driver", "executor", "connect-server"}) {
		t.Errorf("objectSelector = %+v, want spark-role In (driver, executor, connect-server)", sel)
	}
	if svc := w.ClientConfig.Service; svc == nil || svc.Namespace != "strata-system" || svc.Path == nil || *svc.Path != "/mutate-v1-pod" {
		t.Errorf("mutating clientConfig = %+v", w.ClientConfig)
	}
	vwc := decode[admissionregistrationv1.ValidatingWebhookConfiguration](t, m, "ValidatingWebhookConfiguration", "strata-validating")
	if v := vwc.Webhooks[0]; v.Rules[0].Resources[0] != "layers" || *v.ClientConfig.Service.Path != "/validate-strata-dev-v1alpha1-layer" {
		t.Errorf("validating webhook = %+v", v)
	}
	if len(vwc.Webhooks) != 11 || len(mwc.Webhooks) != 2 {
		t.Fatalf("validating webhooks = %d, mutating = %d: want the Layer, pod policy, SparkApplication policy, ScheduledSparkApplication policy, pod status policy, pod binding, PodGroup, namespace guard, SparkConnect policy, LimitRange and ResourceQuota ones, and the pod and SparkApplication ones",
			len(vwc.Webhooks), len(mwc.Webhooks))
	}
	// LimitRanges and ResourceQuotas: warned of when written or deleted,
	// never refused, so a failure of the webhook never holds one up
	// (Ignore); a quota's status (its usage, updated with every pod) is
	// not sent.
	for i, want := range []struct{ name, resource, path string }{
		{"limitranges.strata.dev", "limitranges", "/validate-v1-limitrange"},
		{"resourcequotas.strata.dev", "resourcequotas", "/validate-v1-resourcequota"},
	} {
		if l := vwc.Webhooks[len(vwc.Webhooks)-2+i]; l.Name != want.name || len(l.Rules) != 1 ||
			!slices.Equal(l.Rules[0].Resources, []string{want.resource}) || !slices.Equal(l.Rules[0].APIGroups, []string{""}) ||
			!slices.Equal(l.Rules[0].Operations, []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update, admissionregistrationv1.Delete}) ||
			*l.ClientConfig.Service.Path != want.path || l.FailurePolicy == nil || *l.FailurePolicy != admissionregistrationv1.Ignore ||
			l.SideEffects == nil || *l.SideEffects != admissionregistrationv1.SideEffectClassNone {
			t.Errorf("%s validating webhook = %+v", want.resource, l)
		}
	}
	// SparkConnects: judged on create and on update of the object; safety
	// does not depend on it (each pod is judged when it is created), so it
	// fails open.
	if c := vwc.Webhooks[8]; len(c.Rules) != 1 || !slices.Equal(c.Rules[0].Resources, []string{"sparkconnects"}) ||
		!slices.Equal(c.Rules[0].APIVersions, []string{"v1alpha1"}) ||
		!slices.Equal(c.Rules[0].Operations, []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}) ||
		*c.ClientConfig.Service.Path != "/validate-sparkoperator-k8s-io-v1alpha1-sparkconnect" ||
		c.FailurePolicy == nil || *c.FailurePolicy != admissionregistrationv1.Ignore {
		t.Errorf("SparkConnect validating webhook = %+v", c)
	}
	// SparkApplications: composed and judged on create and on update of
	// the object, never through its status subresource, which the operator
	// writes.
	for _, app := range []admissionregistrationv1.ValidatingWebhook{vwc.Webhooks[2], {Name: mwc.Webhooks[1].Name, Rules: mwc.Webhooks[1].Rules,
		ClientConfig: mwc.Webhooks[1].ClientConfig, FailurePolicy: mwc.Webhooks[1].FailurePolicy}} {
		r := app.Rules[0]
		if !slices.Equal(r.APIGroups, []string{"sparkoperator.k8s.io"}) || !slices.Equal(r.APIVersions, []string{"v1beta2"}) ||
			!slices.Equal(r.Resources, []string{"sparkapplications"}) ||
			!slices.Equal(r.Operations, []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}) {
			t.Errorf("%s rules = %+v, want CREATE and UPDATE of sparkoperator.k8s.io/v1beta2 sparkapplications, not their status", app.Name, r)
		}
		if app.FailurePolicy == nil || *app.FailurePolicy != admissionregistrationv1.Fail {
			t.Errorf("%s failurePolicy = %v, want Fail", app.Name, app.FailurePolicy)
		}
	}
	if p := *mwc.Webhooks[1].ClientConfig.Service.Path; p != "/mutate-sparkoperator-k8s-io-v1beta2-sparkapplication" {
		t.Errorf("SparkApplication mutating path = %s", p)
	}
	if p := *vwc.Webhooks[2].ClientConfig.Service.Path; p != "/validate-sparkoperator-k8s-io-v1beta2-sparkapplication" {
		t.Errorf("SparkApplication validating path = %s", p)
	}
	// ScheduledSparkApplications: judged by their runs on create and
	// update, never through status; each run passes the SparkApplication
	// webhooks, judged with its schedule's frequency too, so this one may
	// be skipped when unavailable (Ignore).
	if s := vwc.Webhooks[3]; s.Rules[0].Resources[0] != "scheduledsparkapplications" || len(s.Rules[0].Resources) != 1 ||
		!slices.Equal(s.Rules[0].APIGroups, []string{"sparkoperator.k8s.io"}) ||
		!slices.Equal(s.Rules[0].Operations, []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}) ||
		*s.ClientConfig.Service.Path != "/validate-sparkoperator-k8s-io-v1beta2-scheduledsparkapplication" ||
		s.FailurePolicy == nil || *s.FailurePolicy != admissionregistrationv1.Ignore {
		t.Errorf("ScheduledSparkApplication validating webhook = %+v", s)
	}
	pp := vwc.Webhooks[1]
	if pp.Name != "pod-policies.strata.dev" || *pp.ClientConfig.Service.Path != "/validate-v1-pod" ||
		pp.SideEffects == nil || *pp.SideEffects != admissionregistrationv1.SideEffectClassNoneOnDryRun ||
		pp.FailurePolicy == nil || *pp.FailurePolicy != admissionregistrationv1.Fail {
		t.Errorf("pod policy webhook = %+v", pp)
	}
	// Every pod of a tenant namespace, whatever its labels, on every way in.
	if pp.ObjectSelector != nil && (len(pp.ObjectSelector.MatchLabels) > 0 || len(pp.ObjectSelector.MatchExpressions) > 0) {
		t.Errorf("pod policy webhook has an objectSelector %+v: a tenant's label would decide whether its pod is checked", pp.ObjectSelector)
	}
	if r := pp.Rules[0]; !slices.Equal(r.Operations, []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}) ||
		!slices.Equal(r.Resources, []string{"pods", "pods/ephemeralcontainers", "pods/resize"}) {
		t.Errorf("pod policy rules = %+v, want CREATE and UPDATE of pods, ephemeral containers and resize", r)
	}
	excluded := map[string][]string{}
	for _, e := range pp.NamespaceSelector.MatchExpressions {
		if e.Operator == "NotIn" {
			excluded[e.Key] = e.Values
		}
	}
	if !slices.Equal(excluded["kubernetes.io/metadata.name"], []string{"kube-system", "kube-public", "kube-node-lease", "strata-system"}) ||
		!slices.Equal(excluded["strata.dev/exempt"], []string{"true"}) {
		t.Errorf("pod policy namespaceSelector = %+v, want every namespace but the system ones, Strata's and exempt ones", pp.NamespaceSelector)
	}
	// The status subresource changes labels and annotations too, and ends
	// pods: judged on the same path, in the same namespaces, where it
	// changes either or someone but a kubelet writes the phase.
	if ps := vwc.Webhooks[4]; ps.Name != "pod-status-policies.strata.dev" || *ps.ClientConfig.Service.Path != "/validate-v1-pod" ||
		len(ps.Rules) != 1 || !slices.Equal(ps.Rules[0].Resources, []string{"pods/status"}) ||
		!slices.Equal(ps.Rules[0].Operations, []admissionregistrationv1.OperationType{admissionregistrationv1.Update}) ||
		!reflect.DeepEqual(ps.NamespaceSelector, pp.NamespaceSelector) || ps.ObjectSelector != nil ||
		ps.FailurePolicy == nil || *ps.FailurePolicy != admissionregistrationv1.Fail ||
		len(ps.MatchConditions) != 1 || !strings.Contains(ps.MatchConditions[0].Expression, "annotations") || !strings.Contains(ps.MatchConditions[0].Expression, "labels") ||
		!strings.Contains(ps.MatchConditions[0].Expression, "status.phase") || !strings.Contains(ps.MatchConditions[0].Expression, "'system:node:'") {
		t.Errorf("pod status policy webhook = %+v", ps)
	}
	// Bindings write the pod with no admission of it: judged in the same
	// namespaces, every binder but the cluster's scheduler.
	if b := vwc.Webhooks[5]; b.Name != "pod-bindings.strata.dev" || *b.ClientConfig.Service.Path != "/validate-v1-pod-binding" ||
		len(b.Rules) != 1 || !slices.Equal(b.Rules[0].Resources, []string{"pods/binding", "bindings"}) ||
		!slices.Equal(b.Rules[0].Operations, []admissionregistrationv1.OperationType{admissionregistrationv1.Create}) ||
		!reflect.DeepEqual(b.NamespaceSelector, pp.NamespaceSelector) || b.ObjectSelector != nil ||
		b.FailurePolicy == nil || *b.FailurePolicy != admissionregistrationv1.Fail ||
		len(b.MatchConditions) != 1 || b.MatchConditions[0].Expression != "request.userInfo.username != 'system:kube-scheduler' && !request.userInfo.username.startsWith('system:serviceaccount:kube-system:')" {
		t.Errorf("pod binding webhook = %+v", b)
	}
	// Volcano PodGroups, where their class is set or changed.
	if g := vwc.Webhooks[6]; g.Name != "podgroup-policies.strata.dev" || *g.ClientConfig.Service.Path != "/validate-scheduling-volcano-sh-v1beta1-podgroup" ||
		len(g.Rules) != 1 || !slices.Equal(g.Rules[0].Resources, []string{"podgroups"}) || !slices.Equal(g.Rules[0].APIGroups, []string{"scheduling.volcano.sh"}) ||
		!slices.Equal(g.Rules[0].Operations, []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}) ||
		!reflect.DeepEqual(g.NamespaceSelector, pp.NamespaceSelector) || g.FailurePolicy == nil || *g.FailurePolicy != admissionregistrationv1.Fail ||
		len(g.MatchConditions) != 1 || !strings.Contains(g.MatchConditions[0].Expression, "spec.priorityClassName") || !strings.Contains(g.MatchConditions[0].Expression, "spec.queue") {
		t.Errorf("PodGroup policy webhook = %+v", g)
	}
	// The Namespace guards judge writes of a Namespace's labels and
	// annotations however they come: its status and finalize subresources
	// take them from what they are sent too.
	namespaceResources := []string{"namespaces", "namespaces/status", "namespaces/finalize"}
	vap := decode[admissionregistrationv1.ValidatingAdmissionPolicy](t, m, "ValidatingAdmissionPolicy", "strata-namespace-exemption")
	placement := decode[admissionregistrationv1.ValidatingAdmissionPolicy](t, m, "ValidatingAdmissionPolicy", "strata-namespace-placement")
	for _, tc := range []struct {
		p           *admissionregistrationv1.ValidatingAdmissionPolicy
		validations int
	}{{vap, 2}, {placement, 1}} {
		spec := tc.p.Spec
		if spec.FailurePolicy == nil || *spec.FailurePolicy != admissionregistrationv1.Fail || len(spec.Validations) != tc.validations ||
			slices.ContainsFunc(spec.Validations, func(v admissionregistrationv1.Validation) bool {
				return !strings.Contains(v.Expression, "variables.admin")
			}) {
			t.Errorf("%s = %+v", tc.p.Name, spec)
		}
		if rules := spec.MatchConstraints.ResourceRules; len(rules) != 1 || !slices.Equal(rules[0].Resources, namespaceResources) {
			t.Errorf("%s's rules = %+v, want %q", tc.p.Name, rules, namespaceResources)
		}
		if b := decode[admissionregistrationv1.ValidatingAdmissionPolicyBinding](t, m, "ValidatingAdmissionPolicyBinding", tc.p.Name); b.Spec.PolicyName != tc.p.Name ||
			!slices.Equal(b.Spec.ValidationActions, []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}) {
			t.Errorf("%s's binding = %+v", tc.p.Name, b.Spec)
		}
	}
	// The webhook takes the namespaces' placement for the platform's only
	// while it sees strata-namespace-placement in force, as shipped.
	binding := decode[admissionregistrationv1.ValidatingAdmissionPolicyBinding](t, m, "ValidatingAdmissionPolicyBinding", placement.Name)
	if snap, err := strataoverlay.Compile(strataoverlay.Inputs{AdmissionPolicies: []admissionregistrationv1.ValidatingAdmissionPolicy{*placement},
		AdmissionPolicyBindings: []admissionregistrationv1.ValidatingAdmissionPolicyBinding{*binding}}); err != nil || !snap.NamespacePlacementGuarded() ||
		placement.Name != strataoverlay.NamespacePlacementPolicy {
		t.Errorf("the shipped %s is not the guard the webhook looks for (%s): %v", placement.Name, strataoverlay.NamespacePlacementPolicy, err)
	}
	// The label the policies read a namespace's group from, and the
	// annotations whose node selector and tolerations they take for the
	// platform's, are kept to platform admins too.
	keptBy := func(p *admissionregistrationv1.ValidatingAdmissionPolicy, variable string) []string {
		var kept []string
		for _, v := range p.Spec.Variables {
			if v.Name == variable {
				for _, m := range regexp.MustCompile(`'([^']*)'`).FindAllStringSubmatch(v.Expression, -1) {
					kept = append(kept, m[1])
				}
			}
		}
		return kept
	}
	if kept := keptBy(vap, "strataLabels"); !slices.Contains(kept, policy.GroupLabel) {
		t.Errorf("the namespace guard's strataLabels (%q) leave out %q, which the policies read a namespace's group from", kept, policy.GroupLabel)
	}
	// (and the tolerations PodTolerationRestriction lets a namespace's
	// pods have, which a platform may rely on besides allowedTolerations)
	for _, a := range []string{strataoverlay.NamespaceNodeSelectorAnnotation, strataoverlay.NamespaceTolerationsAnnotation,
		"scheduler.alpha.kubernetes.io/tolerationsWhitelist"} {
		if kept := keptBy(placement, "placementAnnotations"); !slices.Contains(kept, a) {
			t.Errorf("%s's placementAnnotations (%q) leave out %q, whose placement the policies take for the platform's", placement.Name, kept, a)
		}
	}
	// Every key a Layer selects namespaces by, and creating a namespace a
	// Layer names, are kept to the same admins by the webhook, which knows
	// every Layer: reached only by others' creates and label changes.
	g := vwc.Webhooks[7]
	if g.Name != "namespace-guard.strata.dev" || *g.ClientConfig.Service.Path != webhookapp.NamespaceGuardPath || len(g.Rules) != 1 ||
		!slices.Equal(g.Rules[0].Resources, namespaceResources) ||
		!slices.Equal(g.Rules[0].Operations, []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}) ||
		g.NamespaceSelector != nil && (len(g.NamespaceSelector.MatchLabels) > 0 || len(g.NamespaceSelector.MatchExpressions) > 0) ||
		g.FailurePolicy == nil || *g.FailurePolicy != admissionregistrationv1.Fail || len(g.MatchConditions) != 2 ||
		!strings.Contains(g.MatchConditions[1].Expression, "oldObject == null") {
		t.Errorf("namespace guard webhook = %+v", g)
	}
	for _, p := range []*admissionregistrationv1.ValidatingAdmissionPolicy{vap, placement} {
		seen := map[string]bool{}
		for _, v := range p.Spec.Variables {
			if seen[v.Name] {
				t.Errorf("%s: variable %q defined twice", p.Name, v.Name)
			}
			seen[v.Name] = true
		}
	}
	// The policy and the webhook let the same admins through: a group
	// added to one and not the other would be half let in.
	admin := ""
	for _, v := range vap.Spec.Variables {
		if v.Name == "admin" {
			admin = v.Expression
		}
	}
	if want := "!(" + admin + ")"; admin == "" || g.MatchConditions[0].Expression != want {
		t.Errorf("the namespace guard webhook leaves out %q, want %q (the policy's admins)", g.MatchConditions[0].Expression, want)
	}
	if got := keptBy(placement, "admin"); admin == "" || !slices.Equal(got, keptBy(vap, "admin")) {
		t.Errorf("%s lets in %q, %s %q: the same admins, or a group is half let in", placement.Name, got, vap.Name, keptBy(vap, "admin"))
	}
	if overlay == "cert-manager" {
		for _, a := range []map[string]string{mwc.Annotations, vwc.Annotations} {
			if a["cert-manager.io/inject-ca-from"] != "strata-system/strata-webhook" {
				t.Errorf("inject-ca-from annotation = %v", a)
			}
		}
	}
}

func checkDeployment(t *testing.T, m resmap.ResMap) {
	t.Helper()
	d := decode[appsv1.Deployment](t, m, "Deployment", "strata-webhook")
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas = %v, want 2", d.Spec.Replicas)
	}
	spec := d.Spec.Template.Spec
	c := spec.Containers[0]
	if c.ReadinessProbe == nil || c.LivenessProbe == nil || c.Resources.Requests.Cpu().IsZero() {
		t.Errorf("probes or requests missing: %+v", c)
	}
	sc := c.SecurityContext
	if spec.SecurityContext == nil || spec.SecurityContext.RunAsNonRoot == nil || !*spec.SecurityContext.RunAsNonRoot ||
		sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.ReadOnlyRootFilesystem == nil ||
		!*sc.ReadOnlyRootFilesystem || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("not a restricted securityContext: pod %+v container %+v", spec.SecurityContext, sc)
	}
	if spec.Affinity == nil || spec.Affinity.PodAntiAffinity == nil {
		t.Error("no pod anti-affinity")
	}
}

// TestBaseRBACIsReadOnly checks the base ClusterRole grants only reads,
// plus Events, and the Layers' status (the Shadow layers' reports): never
// a Layer's spec.
func TestBaseRBACIsReadOnly(t *testing.T) {
	m := build(t, "cert-manager")
	role := decode[rbacv1.ClusterRole](t, m, "ClusterRole", "strata-webhook")
	for _, r := range role.Rules {
		events := slices.Equal(r.APIGroups, []string{"events.k8s.io"})
		status := slices.Equal(r.Resources, []string{"layers/status"})
		for _, v := range r.Verbs {
			if !slices.Contains([]string{"get", "list", "watch"}, v) && (!events || v != "create" && v != "patch") && (!status || v != "update") {
				t.Errorf("ClusterRole grants %q on %v", v, r.Resources)
			}
		}
	}
}
