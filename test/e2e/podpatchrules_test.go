package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestLayerPodPatchesAreJudgedAsTheAPIServerJudgesPods: a Layer whose
// podPatch writes a label, an annotation or a pod-level field the API
// server's validation refuses (DNS, host networking, affinity, topology spread, security context,
// gates, names) is refused, naming the field the real API server names
// when it refuses a pod so patched; a patch the API server takes on that
// pod is taken. Both are dry runs, so nothing is stored.
func TestLayerPodPatchesAreJudgedAsTheAPIServerJudgesPods(t *testing.T) {
	ctx := context.Background()
	namespace := exemptNamespace(t) // no Strata webhook judges its plain pods
	nodeTerm := `{"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[%s]}]}}}}}`
	tests := []struct {
		name, patch string
		refused     string // the field the API server names; "" for allowed
	}{
		{"labels and annotations the API server takes", `{"metadata":{"labels":{"example.com/team":"etl"},"annotations":{"Example.com/Note":"a b"}}}`, ""},
		{"a label key of a space", `{"metadata":{"labels":{"a b":"x"}}}`, "metadata.labels"},
		{"a label value of a space", `{"metadata":{"labels":{"team":"a b"}}}`, "metadata.labels"},
		{"an annotation key of a space", `{"metadata":{"annotations":{"a b":"x"}}}`, "metadata.annotations"},
		{"DNS of its own", `{"spec":{"dnsPolicy":"None","dnsConfig":{"nameservers":["10.0.0.10"],"searches":["svc.cluster.local.","."],"options":[{"name":"ndots","value":"2"}]}}}`, ""},
		{"dnsPolicy None without a dnsConfig", `{"spec":{"dnsPolicy":"None"}}`, "spec.dnsConfig"},
		{"dnsPolicy None without nameservers", `{"spec":{"dnsPolicy":"None","dnsConfig":{"searches":["a"]}}}`, "spec.dnsConfig.nameservers"},
		{"a DNS policy of none known", `{"spec":{"dnsPolicy":"Mine"}}`, "spec.dnsPolicy"},
		{"four nameservers", `{"spec":{"dnsConfig":{"nameservers":["10.0.0.1","10.0.0.2","10.0.0.3","10.0.0.4"]}}}`, "spec.dnsConfig.nameservers"},
		{"a nameserver that is no IP", `{"spec":{"dnsConfig":{"nameservers":["dns.internal"]}}}`, "spec.dnsConfig.nameservers[0]"},
		{"a search path of a space", `{"spec":{"dnsConfig":{"searches":["a b"]}}}`, "spec.dnsConfig.searches[0]"},
		{"a DNS option of no name", `{"spec":{"dnsConfig":{"options":[{"value":"2"}]}}}`, "spec.dnsConfig.options[0]"},
		{"the host's network over a port of no host port", `{"spec":{"hostNetwork":true}}`, ""},
		{"a restart policy of none known", `{"spec":{"restartPolicy":"Sometimes"}}`, "spec.restartPolicy"},
		{"a node selector of a bad value", `{"spec":{"nodeSelector":{"pool":"a b"}}}`, "spec.nodeSelector"},
		{"a negative user", `{"spec":{"securityContext":{"runAsUser":-1}}}`, "spec.securityContext.runAsUser"},
		{"a negative supplemental group", `{"spec":{"securityContext":{"supplementalGroups":[1000,-1]}}}`, "spec.securityContext.supplementalGroups[1]"},
		{"an fsGroup change policy of none known", `{"spec":{"securityContext":{"fsGroupChangePolicy":"Never"}}}`, "spec.securityContext.fsGroupChangePolicy"},
		{"a localhost seccomp profile of no file", `{"spec":{"securityContext":{"seccompProfile":{"type":"Localhost"}}}}`, "spec.securityContext.seccompProfile.localhostProfile"},
		{"a localhost seccomp profile above its root", `{"spec":{"securityContext":{"seccompProfile":{"type":"Localhost","localhostProfile":"../x.json"}}}}`, "spec.securityContext.seccompProfile.localhostProfile"},
		{"a security context the API server takes", `{"spec":{"securityContext":{"runAsUser":185,"fsGroup":185,"fsGroupChangePolicy":"OnRootMismatch","seccompProfile":{"type":"RuntimeDefault"}}}}`, ""},
		{"the host's and a shared process namespace", `{"spec":{"hostPID":true,"shareProcessNamespace":true}}`, "spec.shareProcessNamespace"},
		{"a node affinity of no term", `{"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[]}}}}}`,
			"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"},
		{"In of no value", strings.Replace(nodeTerm, "%s", `{"key":"zone","operator":"In"}`, 1),
			"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values"},
		{"Exists with a value", strings.Replace(nodeTerm, "%s", `{"key":"zone","operator":"Exists","values":["a"]}`, 1),
			"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values"},
		{"Gt of two values", strings.Replace(nodeTerm, "%s", `{"key":"cores","operator":"Gt","values":["1","2"]}`, 1),
			"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values"},
		{"a required term of a bad label value", strings.Replace(nodeTerm, "%s", `{"key":"zone","operator":"In","values":["a b"]}`, 1),
			"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]"},
		{"a preferred term of weight 0", `{"spec":{"affinity":{"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":0,"preference":{"matchExpressions":[{"key":"zone","operator":"Exists"}]}}]}}}}`,
			"spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight"},
		{"a preferred term of a bad label value", `{"spec":{"affinity":{"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":10,"preference":{"matchExpressions":[{"key":"zone","operator":"In","values":["a b"]}]}}]}}}}`, ""},
		{"a pod affinity of no topology key", `{"spec":{"affinity":{"podAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[{"labelSelector":{"matchLabels":{"a":"b"}}}]}}}}`,
			"spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey"},
		{"a pod anti-affinity of a bad selector", `{"spec":{"affinity":{"podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":50,"podAffinityTerm":{"topologyKey":"zone","labelSelector":{"matchExpressions":[{"key":"a","operator":"In"}]}}}]}}}}`,
			"spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchExpressions[0].values"},
		{"a spread the API server takes", `{"spec":{"topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule","minDomains":2,"labelSelector":{"matchLabels":{"spark-role":"executor"}}}]}}`, ""},
		{"a spread of no skew", `{"spec":{"topologySpreadConstraints":[{"maxSkew":0,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule"}]}}`, "spec.topologySpreadConstraints[0].maxSkew"},
		{"a spread of no topology key", `{"spec":{"topologySpreadConstraints":[{"maxSkew":1,"whenUnsatisfiable":"DoNotSchedule"}]}}`, "spec.topologySpreadConstraints[0].topologyKey"},
		{"a spread given twice", `{"spec":{"topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule"},{"maxSkew":2,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule"}]}}`,
			"spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}"},
		{"minDomains on a soft spread", `{"spec":{"topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"ScheduleAnyway","minDomains":2}]}}`, "spec.topologySpreadConstraints[0].minDomains"},
		{"a node policy of none known", `{"spec":{"topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule","nodeTaintsPolicy":"Maybe"}]}}`, "spec.topologySpreadConstraints[0].nodeTaintsPolicy"},
		{"a readiness gate of a bad condition", `{"spec":{"readinessGates":[{"conditionType":"a b"}]}}`, "spec.readinessGates[0].conditionType"},
		{"a scheduling gate twice", `{"spec":{"schedulingGates":[{"name":"example.com/wait"},{"name":"example.com/wait"}]}}`, "spec.schedulingGates[1]"},
		{"a hostname of a dot", `{"spec":{"hostname":"a.b"}}`, "spec.hostname"},
		{"a subdomain of capitals", `{"spec":{"subdomain":"Spark"}}`, "spec.subdomain"},
		{"a toleration of no key that is not Exists", `{"spec":{"tolerations":[{"operator":"Equal","value":"v"}]}}`, "spec.tolerations[0].operator"},
		{"a toleration of an effect of none known", `{"spec":{"tolerations":[{"key":"k","operator":"Exists","effect":"Sometimes"}]}}`, "spec.tolerations[0].effect"},
		{"a host alias of no IP", `{"spec":{"hostAliases":[{"ip":"x","hostnames":["a"]}]}}`, "spec.hostAliases[0].ip"},
		{"a host alias of a bad name", `{"spec":{"hostAliases":[{"ip":"10.0.0.1","hostnames":["a b"]}]}}`, "spec.hostAliases[0].hostnames[0]"},
		{"a deadline of zero", `{"spec":{"activeDeadlineSeconds":0}}`, "spec.activeDeadlineSeconds"},
		{"a service account of capitals", `{"spec":{"serviceAccountName":"Spark"}}`, "spec.serviceAccountName"},
		{"a volume of no source: an emptyDir", `{"spec":{"volumes":[{"name":"scratch"}]}}`, ""},
		{"a volume of two sources", `{"spec":{"volumes":[{"name":"scratch","emptyDir":{},"hostPath":{"path":"/mnt"}}]}}`, "spec.volumes[0].hostPath"},
		{"a volume of a bad name", `{"spec":{"volumes":[{"name":"Scratch","emptyDir":{}}]}}`, "spec.volumes[0].name"},
	}
	base, err := json.Marshal(podPatchTarget(namespace))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			patch := []byte(tt.patch)
			patched, err := overlay.PatchPod(base, patch)
			if err != nil {
				t.Fatalf("the case's patch: %v", err)
			}
			pod := &corev1.Pod{}
			if err := json.Unmarshal(patched, pod); err != nil {
				t.Fatalf("the patched pod: %v", err)
			}
			podField := causeField(cp.Client.Create(ctx, pod, client.DryRunAll))
			if podField != tt.refused {
				t.Fatalf("the API server: refused at %q, want %q (the case is wrong)", podField, tt.refused)
			}
			layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "podpatch-rules"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides,
				Match: v1alpha1.Match{Namespaces: []string{"podpatch-rules"}}, Config: &v1alpha1.Config{PodPatch: &runtime.RawExtension{Raw: patch}}}}
			err = cp.Client.Create(ctx, layer, client.DryRunAll)
			switch {
			case tt.refused == "" && err != nil:
				t.Errorf("the Layer is refused, where the API server takes the pod: %v", err)
			case tt.refused != "" && (err == nil || !strings.Contains(err.Error(), tt.refused+": ")):
				t.Errorf("the Layer: %v, want it refused at %s, as the API server refuses the pod", err, tt.refused)
			}
		})
	}
}

// podPatchTarget is the driver a Layer's pod patch is checked on
// (overlay.SamplePods) in namespace, without its labels and annotations:
// a plain pod no Strata webhook composes.
func podPatchTarget(namespace string) *corev1.Pod {
	pod := overlay.SamplePods()[0]
	pod.Namespace, pod.Labels, pod.Annotations = namespace, nil, nil
	return pod
}
