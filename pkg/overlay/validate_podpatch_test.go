package overlay

import (
	"strings"
	"testing"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestCheckPodPatch applies patches to a driver and an executor as
// spark-submit creates them: what would fail on every pod is refused,
// strategic merge directives are accepted.
func TestCheckPodPatch(t *testing.T) {
	tests := []struct {
		name  string
		patch string
		roles []v1alpha1.Role
		want  string // "" for valid
	}{
		{name: "dns", patch: `{"spec":{"dnsPolicy":"None","dnsConfig":{"nameservers":["10.0.0.10"]}}}`},
		{name: "container by name", patch: `{"spec":{"containers":[{"name":"spark-kubernetes-driver","securityContext":{"runAsNonRoot":true}}]}}`,
			roles: []v1alpha1.Role{v1alpha1.RoleDriver}},
		{name: "an executor's container patched on drivers too", patch: `{"spec":{"containers":[{"name":"spark-kubernetes-executor","securityContext":{"runAsNonRoot":true}}]}}`,
			want: `on a Spark driver pod: gives container "spark-kubernetes-executor" no image`},
		{name: "container without a name", patch: `{"spec":{"containers":[{"image":"x"}]}}`, want: "does not apply to a Spark driver pod"},
		{name: "setElementOrder", patch: `{"spec":{"$setElementOrder/containers":[{"name":"spark-kubernetes-executor"}],"containers":[{"name":"spark-kubernetes-executor","image":"x"}]}}`,
			roles: []v1alpha1.Role{v1alpha1.RoleExecutor}},
		{name: "retainKeys", patch: `{"spec":{"volumes":[{"name":"spark-local-dir-1","$retainKeys":["name","hostPath"],"hostPath":{"path":"/mnt/ssd"}}]}}`},
		{name: "deleteFromPrimitiveList", patch: `{"metadata":{"$deleteFromPrimitiveList/finalizers":["x"]}}`},
		{name: "unknown field", patch: `{"spec":{"containerz":[]}}`, want: `unknown field "spec.containerz"`},
		{name: "spark-role deleted", patch: `{"metadata":{"labels":{"spark-role":null}}}`, want: "changes label spark-role"},
		{name: "spark-role changed", patch: `{"metadata":{"labels":{"spark-role":"driver"}}}`, want: "on a Spark executor pod: changes label spark-role"},
		{name: "labels replaced", patch: `{"metadata":{"labels":{"$patch":"replace","team":"x"}}}`, want: "changes label spark-role"},
		{name: "app relabelled", patch: `{"metadata":{"labels":{"spark-app-selector":"other"}}}`, want: "changes label spark-app-selector"},
		{name: "strata annotation", patch: `{"metadata":{"annotations":{"strata.dev/iam-role":"arn:aws:iam::111111111111:role/x"}}}`, want: "changes annotation strata.dev/iam-role"},
		{name: "layers annotation changed", patch: `{"metadata":{"annotations":{"strata.dev/layers":"other"}}}`, want: "changes annotation strata.dev/layers"},
		{name: "layers annotation removed", patch: `{"metadata":{"annotations":{"$patch":"replace"}}}`, want: "changes annotation strata.dev/layers"},
		{name: "Spark's executor id given a sidecar", patch: `{"spec":{"containers":[{"name":"proxy","image":"envoy","env":[{"name":"SPARK_EXECUTOR_ID","value":"0"}]}]}}`,
			want: `on a Spark driver pod: gives container "proxy" the variable SPARK_EXECUTOR_ID, which Spark sets in the container it runs in`},
		{name: "Spark's bind address given an init container", patch: `{"spec":{"initContainers":[{"name":"warm","image":"busybox","env":[{"name":"SPARK_DRIVER_BIND_ADDRESS","value":"0.0.0.0"}]}]}}`,
			roles: []v1alpha1.Role{v1alpha1.RoleExecutor}, want: `on a Spark executor pod: gives container "warm" the variable SPARK_DRIVER_BIND_ADDRESS`},
		{name: "Spark's own container given its variable", patch: `{"spec":{"containers":[{"name":"spark-kubernetes-driver","env":[{"name":"SPARK_DRIVER_BIND_ADDRESS","value":"0.0.0.0"}]}]}}`,
			roles: []v1alpha1.Role{v1alpha1.RoleDriver}},
		{name: "no containers left", patch: `{"spec":{"containers":[{"$patch":"replace"}]}}`, want: "without containers"},
		{name: "an added sidecar requesting above its limit",
			patch: `{"spec":{"containers":[{"name":"proxy","image":"envoy","resources":{"requests":{"cpu":"2"},"limits":{"cpu":"1"}}}]}}`,
			want:  `on a Spark driver pod: spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1`},
		{name: "an added init container with a probe",
			patch: `{"spec":{"initContainers":[{"name":"warm","image":"busybox","livenessProbe":{"exec":{"command":["true"]}}}]}}`,
			want:  `spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always`},
		{name: "an added sidecar with a probe", patch: `{"spec":{"initContainers":[{"name":"warm","image":"busybox","restartPolicy":"Always","livenessProbe":{"exec":{"command":["true"]}}}]}}`},
		{name: "an added sidecar with a probe of no handler", patch: `{"spec":{"initContainers":[{"name":"warm","image":"busybox","restartPolicy":"Always","readinessProbe":{"periodSeconds":5}}]}}`,
			want: `spec.initContainers[0].readinessProbe: Required value: must specify a handler type`},
		{name: "an added container reading a pod field it cannot",
			patch: `{"spec":{"containers":[{"name":"proxy","image":"envoy","env":[{"name":"P","valueFrom":{"fieldRef":{"fieldPath":"status.phase"}}}]}]}}`,
			want:  `spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "status.phase"`},
		{name: "the Spark container's limit, which meets the sample's request, not the pod's",
			patch: `{"spec":{"containers":[{"name":"spark-kubernetes-driver","resources":{"limits":{"cpu":"500m"}}}]}}`, roles: []v1alpha1.Role{v1alpha1.RoleDriver}},
		{name: "dnsPolicy None without a dnsConfig", patch: `{"spec":{"dnsPolicy":"None"}}`,
			want: "on a Spark driver pod: spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None: the API server would refuse every such pod as invalid"},
		{name: "a pod affinity term of no topology key", patch: `{"spec":{"affinity":{"podAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[{"labelSelector":{"matchLabels":{"a":"b"}}}]}}}}`,
			want: "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value"},
		{name: "a label key of a space", patch: `{"metadata":{"labels":{"a b":"x"}}}`, want: `metadata.labels: Invalid value: "a b"`},
		{name: "the volumes taken away", patch: `{"spec":{"volumes":null}}`,
			want: `on a Spark driver pod: takes away volume "spark-local-dir-1", which spec.containers[spark-kubernetes-driver] mounts at /var/data/spark-1`},
		{name: "the volumes replaced, keeping Spark's", patch: `{"spec":{"volumes":[{"$patch":"replace"},{"name":"spark-local-dir-1","hostPath":{"path":"/mnt/ssd"}}]}}`},
		{name: "a restart policy of none known", patch: `{"spec":{"restartPolicy":"Sometimes"}}`, want: `spec.restartPolicy: Unsupported value: "Sometimes"`},
		{name: "a host network under the Spark container's port", patch: `{"spec":{"hostNetwork":true}}`},
		{name: "a valid spread", patch: `{"spec":{"topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"ScheduleAnyway"}]}}`},
		{name: "not an object", patch: `[1]`, want: "not a JSON object"},
		{name: "more after the object", patch: `{} {}`, want: "not a JSON object"},
		{name: "a quantity of a huge exponent, which would take minutes to parse",
			patch: `{"spec":{"containers":[{"name":"spark-kubernetes-driver","resources":{"requests":{"memory":"1e-999999999"}}}]}}`,
			want:  `spec.containers[0].resources.requests.memory: "1e-999999999": a quantity of more than 64 characters or of an exponent beyond ±99`},
		{name: "as a JSON number", patch: `{"spec":{"overhead":{"cpu":1.5e999}}}`, want: `spec.overhead.cpu: "1.5e999": a quantity of more than 64 characters`},
		{name: "a quantity of a small exponent", patch: `{"spec":{"overhead":{"cpu":"1.5e2"}}}`},
		{name: "such a number where no quantity is", patch: `{"metadata":{"annotations":{"threshold":"1e-300"}}}`},
	}
	for _, tt := range tests {
		err := CheckPodPatch([]byte(tt.patch), tt.roles...)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: error %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

// TestPodPatchThatPanicsStrategicMerge: a pod patch on which Kubernetes'
// strategic merge panics (a $setElementOrder directive for tolerations,
// which have no merge key) is an invalid Layer with a message, not a
// crash.
func TestPodPatchThatPanicsStrategicMerge(t *testing.T) {
	err := CheckPodPatch([]byte(`{"spec":{"tolerations":[{"key":"k","operator":"Exists"}],"$setElementOrder/tolerations":[{"key":"k"}]}}`))
	if err == nil || !strings.Contains(err.Error(), "the strategic merge patch cannot be applied") {
		t.Fatalf("error %v, want the patch refused", err)
	}
}
