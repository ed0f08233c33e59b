package policy

import (
	"encoding/json"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/test/fixtures"
)

// jsonValue is the oracle: x encoded as JSON, decoded, converted by OPA.
func jsonValue(t testing.TB, x any) ast.Value {
	t.Helper()
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	var y any
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	v, err := ast.InterfaceToValue(y)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestASTValueIsTheJSONValue: the converter gives what encoding to JSON and
// converting the result gives, on every example pod as created and as
// composed, a pod with every kind of field the converter treats apart,
// and the documents the policy input is made of.
func TestASTValueIsTheJSONValue(t *testing.T) {
	check, _ := exampleCheck(t)
	var docs []any
	for _, file := range []string{"driver.yaml", "executor.yaml", "geo-executor.yaml", "oversized-driver.yaml", "tenant-debug-pod.yaml"} {
		pod := fixtures.Pod(t, file)
		res, err := mutate.Compose(check.Snapshot, check.Cluster, pod)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, pod, res.Pod, res.Composition.Config)
	}
	now := metav1.Now()
	grace := int64(30)
	odd := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "odd", DeletionTimestamp: &now, CreationTimestamp: now, Labels: map[string]string{}},
		Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: &grace,
			Overhead:                      corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")},
			Containers: []corev1.Container{{Name: "c", Image: "i", Ports: []corev1.ContainerPort{{ContainerPort: 8080, HostPort: 0}},
				LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("http")}}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(9)}}},
				// A string that encodes with escapes: not read as it is written.
				StartupProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("é<\"\\x\u2028")}}},
				Resources:    corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1.5Gi")}}}},
			Volumes: []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "x", DefaultMode: new(int32)}}}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &now},
	}
	docs = append(docs, odd, Request{Operation: "CREATE", Namespace: "etl", DryRun: true},
		map[string]any{"limits": map[string]sourced{"maxPodCPU": {Value: "4", Number: 4000, Source: "x"}}, "none": nil,
			"images": []image{{Container: "c", Image: "i", Normalized: "docker.io/library/i"}}, "list": []string{"a"}, "empty": map[string]string{}},
		PodRequests(odd), Inventory{AppExecutors: 3})
	var c astConverter
	for i, doc := range docs {
		got, err := c.valueOf(doc)
		if err != nil {
			t.Fatalf("doc %d (%T): %v", i, doc, err)
		}
		if want := jsonValue(t, doc); got.Compare(want) != 0 {
			t.Errorf("doc %d (%T):\nconverter %v\njson      %v", i, doc, got, want)
		}
	}
}

// FuzzASTValueOfPod holds the converter to the JSON path on any pod a
// tenant can send (decoded as the webhook decodes it).
func FuzzASTValueOfPod(f *testing.F) {
	for _, file := range []string{"driver.yaml", "executor.yaml", "tenant-debug-pod.yaml"} {
		b, err := json.Marshal(fixtures.Pod(f, file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"spec":{"containers":[{"name":"a","resources":{"requests":{"cpu":"1e3m"}},"ports":[{"containerPort":1}]}],"priority":-5}}`))
	var c astConverter
	f.Fuzz(func(t *testing.T, data []byte) {
		var pod corev1.Pod
		if err := json.Unmarshal(data, &pod); err != nil {
			return
		}
		got, err := c.valueOf(&pod)
		if err != nil {
			t.Fatal(err)
		}
		if want := jsonValue(t, &pod); got.Compare(want) != 0 {
			t.Fatalf("converter %v\njson      %v", got, want)
		}
	})
}
