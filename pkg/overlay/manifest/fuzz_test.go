package manifest

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	psavalidation "k8s.io/pod-security-admission/admission/api/validation"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/strata-dev/strata/pkg/overlay"
)

// FuzzDecodePods feeds arbitrary bytes to the pod decoder: it must return
// pods or an error, never panic.
func FuzzDecodePods(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {spark-role: driver}}\n"))
	f.Add([]byte(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod"}]}`))
	f.Add([]byte("---\n- [\n"))
	f.Add([]byte("apiVersion: v1\nkind: Pod\nspec: {containers: [{name: c, resources: {requests: {cpu: 1x}}}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pods, err := DecodePods("fuzz.yaml", data)
		if err == nil && len(pods) == 0 {
			t.Fatal("no error and no pods")
		}
	})
}

// FuzzLayers feeds arbitrary bytes to the layer decoder and compiles what
// decodes: every step must return an error or a snapshot, never panic.
func FuzzLayers(f *testing.F) {
	f.Add([]byte("apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: a}\nspec: {tier: PoolDefaults, match: {namespaceSelector: {matchExpressions: [{key: a, operator: In}]}}}\n"))
	f.Add([]byte("apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: a}\nspec: {tier: ClusterOverrides, config: {tolerations: [{key: k, operator: Exists, tolerationSeconds: 5}]}}\n"))
	f.Add([]byte(`{"apiVersion":"strata.dev/v1alpha1","kind":"LayerList","items":[{"apiVersion":"strata.dev/v1alpha1","kind":"Layer","metadata":{"name":"x"},"spec":{"tier":"NamespaceOverrides","config":{"labels":{"a":"b"}}}}]}`))
	// A pod patch on which Kubernetes' strategic merge panics.
	f.Add([]byte(`{"apiVersion":"strata.dev/v1alpha1","kind":"Layer","metadata":{"name":"p"},"spec":{"tier":"ClusterOverrides","config":{"podPatch":{"spec":{"tolerations":[{"key":"k","operator":"Exists"}],"$setElementOrder/tolerations":[{"key":"k"}]}}}}}`))
	// A pod patch of pod-level fields the API server's validation reads.
	f.Add([]byte(`{"apiVersion":"strata.dev/v1alpha1","kind":"Layer","metadata":{"name":"d"},"spec":{"tier":"ClusterOverrides","config":{"podPatch":{"spec":{"dnsPolicy":"None","hostNetwork":true,"affinity":{"podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":5,"podAffinityTerm":{"topologyKey":"zone"}}]}},"volumes":[{"name":"v","emptyDir":{},"secret":{"secretName":"s"}}]}}}}}`))
	// The admission policies a cluster's configuration may hold: whether
	// one keeps the namespaces' placement to platform admins.
	f.Add([]byte("apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: strata-namespace-placement}\nspec: {failurePolicy: Fail}\n---\n" +
		"apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {name: b}\nspec: {policyName: strata-namespace-placement, validationActions: [Deny]}\n---\n" +
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: n, annotations: {scheduler.alpha.kubernetes.io/node-selector: 'a=b'}}\n"))
	// A LimitRange, which the snapshot gives the API server's defaults.
	f.Add([]byte("apiVersion: v1\nkind: LimitRange\nmetadata: {name: l, namespace: n}\nspec: {limits: [{type: Container, max: {cpu: '4'}, min: {memory: 1Mi}}, {type: Pod, max: {memory: 1Gi}}]}\n"))
	// A ResourceQuota, scoped.
	f.Add([]byte("apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: n}\nspec: {hard: {limits.cpu: '4'}, scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: In, values: [a]}]}}\n"))
	f.Add([]byte("apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingAdmissionPolicy\nmetadata: {name: m}\nspec: {matchConstraints: {resourceRules: [{apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [pods]}]}}\n---\n" +
		"apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingAdmissionPolicyBinding\nmetadata: {name: b}\nspec: {policyName: m, matchResources: {namespaceSelector: {matchLabels: {a: b}}}}\n"))
	// A policy's params: a ConfigMap and a custom resource.
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p, namespace: n}\ndata: {a: b}\n---\napiVersion: example.com/v1\nkind: Team\nmetadata: {name: t}\nspec: {x: [1, {y: null}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := DecodeDocuments("fuzz.yaml", data)
		if err != nil {
			return
		}
		in, err := inputsFrom(docs)
		if err != nil {
			return
		}
		if _, err := overlay.Compile(in); err != nil {
			return
		}
	})
}

// FuzzDecodeObjects feeds arbitrary bytes to the decoder of the composer's
// input files: it must return objects, each of exactly one kind and in a
// namespace, or an error, never panic.
func FuzzDecodeObjects(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {spark-role: driver}}\n"))
	f.Add([]byte("apiVersion: scheduling.volcano.sh/v1beta1\nkind: PodGroup\nmetadata: {name: g}\nspec: {priorityClassName: a, queue: b}\n"))
	f.Add([]byte(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"SparkApplication","metadata":{"name":"a"}}]}`))
	f.Add([]byte("apiVersion: sparkoperator.k8s.io/v1beta2\nkind: ScheduledSparkApplication\nmetadata: {name: s}\nspec: {schedule: '@every 1h', template: {type: Scala}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		objects, err := DecodeObjects("fuzz.yaml", data)
		if err != nil {
			return
		}
		if len(objects) == 0 {
			t.Fatal("no error and no objects")
		}
		for i := range objects {
			o := &objects[i]
			kinds := 0
			for _, set := range []bool{o.Pod != nil, o.App != nil, o.PodGroup != nil} {
				if set {
					kinds++
				}
			}
			if kinds != 1 || o.Namespace() == "" {
				t.Fatalf("object %d: %d kinds, namespace %q", i, kinds, o.Namespace())
			}
		}
	})
}

// FuzzAdmission feeds arbitrary bytes to the reader of the API server's
// admission configuration, as a cluster-config file: an error, or a
// configuration each plugin's validation accepts (PodSecurity's by its
// own library, the placement plugins' node selector and tolerations by
// the rules the API server holds a pod's to), read the same as cluster
// configuration; never a panic.
func FuzzAdmission(f *testing.F) {
	admission := "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n"
	f.Add([]byte(podSecurityV1))
	f.Add([]byte(admission + "- name: PodSecurity\n  configuration:\n" + indent(podSecurityV1, "    ")))
	f.Add([]byte(admission + "- name: PodSecurity\n  path: psa.yaml\n"))
	f.Add([]byte("apiVersion: pod-security.admission.config.k8s.io/v1beta1\nkind: PodSecurityConfiguration\ndefaults: {enforce: restricted, enforce-version: v1.99}\n"))
	f.Add([]byte(admission + "- name: PodNodeSelector\n  configuration: {podNodeSelectorPluginConfig: {clusterDefaultNodeSelector: 'a=b,c=d', etl: e=f}}\n"))
	f.Add([]byte(admission + "- name: PodTolerationRestriction\n  configuration: {apiVersion: podtolerationrestriction.admission.k8s.io/v1, kind: Configuration, " +
		"default: [{key: a, operator: Exists, effect: NoSchedule}], whitelist: [{key: b}]}\n"))
	f.Add([]byte(admission + "- name: ResourceQuota\n  configuration: {apiVersion: apiserver.config.k8s.io/v1, kind: ResourceQuotaConfiguration, " +
		"limitedResources: [{resource: pods, matchContains: [gpu], matchScopes: [{scopeName: PriorityClass, operator: In, values: [a]}]}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := filesys.MakeFsInMemory()
		if err := fsys.WriteFile("admission.yaml", data); err != nil {
			t.Fatal(err)
		}
		if err := fsys.WriteFile("psa.yaml", []byte(podSecurityV1)); err != nil {
			t.Fatal(err)
		}
		a, err := LoadAdmission(fsys, "admission.yaml")
		if err != nil {
			return
		}
		if cfg := a.PodSecurity; cfg != nil {
			if errs := psavalidation.ValidatePodSecurityConfiguration(cfg); len(errs) > 0 {
				t.Fatalf("read a configuration the plugin refuses: %v", errs)
			}
		}
		for _, ts := range [][]corev1.Toleration{a.ClusterPlacement.Tolerations, a.ClusterPlacement.TolerationsWhitelist} {
			if errs := overlay.ValidateTolerations(field.NewPath("tolerations"), ts); len(errs) > 0 {
				t.Fatalf("read tolerations the API server refuses: %v", errs)
			}
		}
		selectors := []map[string]string{a.ClusterPlacement.NodeSelector}
		for _, sel := range a.ClusterPlacement.NodeSelectorWhitelists {
			selectors = append(selectors, sel)
		}
		for _, sel := range selectors {
			for k := range sel {
				if errs := validation.IsQualifiedName(k); len(errs) > 0 {
					t.Fatalf("read a node selector key the API server refuses: %q: %v", k, errs)
				}
			}
		}
		in, err := LoadClusterConfig(fsys, []string{"admission.yaml"})
		if err != nil {
			t.Fatalf("read alone, refused as cluster configuration: %v", err)
		}
		if !reflect.DeepEqual(in.Admission, a) {
			t.Fatalf("cluster configuration's admission %+v, read alone %+v", in.Admission, a)
		}
		for i, l := range a.LimitedResources {
			if l.Resource == "" {
				t.Fatalf("read limitedResources[%d] without its resource, which the API server refuses", i)
			}
		}
	})
}
