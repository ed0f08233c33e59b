package e2e

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestRandomCompositionsAreValidPods: of random layers and pods, each pod
// the real API server takes as written and Strata composes (offline, as
// the composer does) the API server takes composed too. A composition it
// refused would have every such pod refused in words that name no layer,
// where the dry run said it was allowed. Both are dry runs in a namespace
// no Strata webhook judges, without the Spark role (no mutation), and
// without what only names other objects (PriorityClasses, RuntimeClasses),
// whose existence is not what is tested. Half the cases carry hazards
// (withHazards): podPatches and mounts that are valid alone but may meet
// the pod's own values so that the pod is not, which Strata must refuse
// naming the layer rather than compose.
func TestRandomCompositionsAreValidPods(t *testing.T) {
	ctx := context.Background()
	namespace := exemptNamespace(t)
	rng := rand.New(rand.NewPCG(fixtures.RandomSeed(31), 32))
	cluster := mutate.Cluster{Name: "prod-a", Pool: "batch"}
	create := func(p *corev1.Pod) error {
		p = p.DeepCopy()
		p.Namespace, p.Labels = namespace, nil
		p.Spec.PriorityClassName, p.Spec.Priority, p.Spec.PreemptionPolicy, p.Spec.RuntimeClassName = "", nil, nil, nil
		if p.Spec.ServiceAccountName == "" {
			p.Spec.ServiceAccountName = "default" // the ServiceAccount plugin's, which envtest runs without
		}
		return cp.Client.Create(ctx, p, client.DryRunAll)
	}
	cases := fixtures.RandomCases(400)
	checked, composedHazards, refusedHazards := 0, 0, 0
	for i := range cases {
		layers, pod := fixtures.RandomLayers(t, rng, 1+rng.IntN(5)), fixtures.RandomPod(t, rng)
		hazardous := i%2 == 1 && withHazards(rng, layers, pod)
		in := fixtures.RandomInputs(layers)
		snap, err := overlay.Compile(in)
		if err != nil {
			t.Fatalf("case %d: layers that validate do not compile: %v", i, err)
		}
		res, err := mutate.Compose(snap, cluster, pod)
		if hazardous && err != nil && strings.Contains(err.Error(), "the API server would refuse the pod as invalid") {
			refusedHazards++
		}
		if err != nil || create(pod) != nil {
			continue // refused by Strata, or as written
		}
		checked++
		if hazardous {
			composedHazards++
		}
		if err := create(res.Pod); err != nil {
			layers, _ := json.Marshal(in.Layers)
			written, _ := json.Marshal(pod)
			t.Errorf("case %d: the API server refuses the composed pod: %v\nlayers %s\npod %s", i, err, layers, written)
		}
	}
	if checked < cases/2 || composedHazards < cases/8 || refusedHazards == 0 {
		t.Fatalf("%d of %d cases checked, %d of them with hazards, and %d hazards refused by Strata: the cases check too little",
			checked, cases, composedHazards, refusedHazards)
	}
	t.Logf("%d of %d cases checked, %d of them with hazards; %d hazards refused by Strata", checked, cases, composedHazards, refusedHazards)
}

// podHazards are pod patches each valid on the pods a Layer is checked
// on, which may meet a pod's own values so that the pod is not: a host
// network under the pod's host port, the pod's dnsConfig taken from its
// dnsPolicy None, the volumes replaced under its mounts, a CPU limit under
// its request (each Spark container's by its role), and a few that are
// valid with any pod.
var podHazards = map[v1alpha1.Role][]string{
	"": {`{"spec":{"hostNetwork":true}}`, `{"spec":{"dnsConfig":null}}`,
		`{"spec":{"dnsPolicy":"None","dnsConfig":{"nameservers":["10.0.0.10"]}}}`,
		`{"spec":{"volumes":[{"$patch":"replace"},{"name":"spark-local-dir-1","emptyDir":{}}]}}`,
		`{"spec":{"securityContext":{"runAsUser":185,"fsGroup":185}}}`,
		`{"spec":{"affinity":{"podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":10,"podAffinityTerm":{"topologyKey":"kubernetes.io/hostname","labelSelector":{"matchLabels":{"spark-role":"executor"}}}}]}}}}`},
	v1alpha1.RoleDriver:   {`{"spec":{"containers":[{"name":"spark-kubernetes-driver","resources":{"limits":{"cpu":"500m"}}}]}}`},
	v1alpha1.RoleExecutor: {`{"spec":{"containers":[{"name":"spark-kubernetes-executor","resources":{"limits":{"cpu":"500m"}}}]}}`},
}

// withHazards gives one of layers a hazard (a podPatch of podHazards, or
// a mount of a volume it does not give) and pod values a hazard may meet
// (a host port, dnsPolicy None, a CPU request, a volume of that name),
// each drawn at random; it reports whether a layer took a hazard (each
// layer still validates).
func withHazards(rng *rand.Rand, layers []overlay.LayerSource, pod *corev1.Pod) bool {
	spark := &pod.Spec.Containers[0]
	if rng.IntN(3) == 0 {
		spark.Ports = append(spark.Ports, corev1.ContainerPort{ContainerPort: 80, HostPort: []int32{80, 8080}[rng.IntN(2)]})
	}
	if rng.IntN(3) == 0 {
		pod.Spec.DNSPolicy, pod.Spec.DNSConfig = corev1.DNSNone, &corev1.PodDNSConfig{Nameservers: []string{"10.0.0.10"}}
	}
	if rng.IntN(3) == 0 {
		spark.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")}
	}
	if rng.IntN(3) == 0 && !slices.ContainsFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == "hazard" }) {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: "hazard", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	}
	l := &layers[rng.IntN(len(layers))].Layer
	role := []v1alpha1.Role{"", v1alpha1.RoleDriver, v1alpha1.RoleExecutor}[rng.IntN(3)]
	block := &l.Spec.Config
	switch role {
	case v1alpha1.RoleDriver:
		block = &l.Spec.Driver
	case v1alpha1.RoleExecutor:
		block = &l.Spec.Executor
	}
	before := *block
	c := &v1alpha1.Config{}
	if *block != nil {
		c = (*block).DeepCopy()
	}
	if rng.IntN(4) == 0 {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "hazard", MountPath: "/hazard"})
	} else {
		hazards := append(slices.Clone(podHazards[""]), podHazards[role]...)
		c.PodPatch = &runtime.RawExtension{Raw: []byte(hazards[rng.IntN(len(hazards))])}
	}
	*block = c
	if errs := overlay.ValidateLayer(l); len(errs) != 0 {
		*block = before
		return false
	}
	return true
}
