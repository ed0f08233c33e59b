package mutate

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	jsonpatchv5 "github.com/evanphx/json-patch/v5"
	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// The random layers and pods below draw their names and values from small
// vocabularies shared by both, so that a tenant's value and a layer's meet
// in every field (the same label key, env name, volume, mount path,
// container, toleration) as often as they miss.
var (
	randKeys       = []string{"team", "tier", "a", "pool", "owner", "example.com/cost"}
	randValues     = []string{"etl", "geo", "x", "y", ""}
	randEnvNames   = []string{"SPARK_USER", "LOG_LEVEL", "TZ", "A", "JAVA_TOOL_OPTIONS", "AWS_ROLE_ARN"}
	randContainers = []string{"log-shipper", "metrics", "init-a", "spark-kubernetes-driver", "spark-kubernetes-executor"}
	randVolumes    = []string{"data", "logs", "spark-local-dir-1", "cfg", "strata-secret-team", "aws-iam-token"}
	randPaths      = []string{"/data", "/var/log/spark", "/opt/spark/conf", "/etc/x"}
	randImages     = []string{"docker.io/apache/spark:3.5.3", "docker.io/fluent/fluent-bit:3", "gcr.io/team/tool:1", "busybox", "mirror.internal/dockerhub/x:1"}
	randClasses    = []string{"spark-driver", "spark-executor", "tenant-pc"}
	randRoles      = []string{"arn:aws:iam::111111111111:role/etl", "arn:aws:iam::222222222222:role/geo"}
	randSparkConf  = map[string][]string{
		"spark.executor.memory":                    {"2g", "4096m"},
		"spark.kubernetes.executor.label.team":     {"conf", "etl"},
		"spark.kubernetes.driver.annotation.owner": {"conf"},
		"spark.kubernetes.node.selector.pool":      {"conf", "batch"},
		"spark.eventLog.enabled":                   {"true"},
	}
	randNamespaces = []string{"etl", "geo", "other"}
)

// randomLayers are n Layers that validate, each drawn from the
// vocabularies above.
func randomLayers(t testing.TB, rng *rand.Rand, n int) []overlay.LayerSource {
	var out []overlay.LayerSource
	for len(out) < n {
		l := v1alpha1.Layer{}
		l.Name = fmt.Sprintf("layer-%d", len(out))
		l.Spec.Tier = v1alpha1.Tiers()[rng.IntN(4)]
		l.Spec.Order = int32(rng.IntN(3))
		if rng.IntN(8) == 0 {
			l.Spec.Mode = v1alpha1.ModeShadow
		}
		if rng.IntN(2) == 0 {
			l.Spec.Match.Namespaces = pickSome(rng, randNamespaces)
		}
		if rng.IntN(3) == 0 {
			l.Spec.Match.Roles = []v1alpha1.Role{[]v1alpha1.Role{v1alpha1.RoleDriver, v1alpha1.RoleExecutor}[rng.IntN(2)]}
		}
		l.Spec.Config = randomConfig(rng)
		if rng.IntN(3) == 0 {
			l.Spec.Driver = randomConfig(rng)
		}
		if rng.IntN(3) == 0 {
			l.Spec.Executor = randomConfig(rng)
		}
		if errs := overlay.ValidateLayer(&l); len(errs) != 0 {
			continue
		}
		out = append(out, overlay.LayerSource{Layer: l})
	}
	return out
}

func pick[T any](rng *rand.Rand, from []T) T { return from[rng.IntN(len(from))] }

// pickSome is one to three distinct elements of from.
func pickSome(rng *rand.Rand, from []string) []string {
	var out []string
	seen := map[string]bool{}
	for range 1 + rng.IntN(3) {
		if s := pick(rng, from); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func randomMap(rng *rand.Rand) map[string]string {
	m := map[string]string{}
	for range 1 + rng.IntN(2) {
		m[pick(rng, randKeys)] = pick(rng, randValues)
	}
	return m
}

func randomEnv(rng *rand.Rand) []corev1.EnvVar {
	var env []corev1.EnvVar
	seen := map[string]bool{}
	for range 1 + rng.IntN(2) {
		name := pick(rng, randEnvNames)
		if seen[name] {
			continue
		}
		seen[name] = true
		e := corev1.EnvVar{Name: name, Value: pick(rng, randValues)}
		if rng.IntN(5) == 0 {
			e.Value = ""
			e.ValueFrom = &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}
		}
		env = append(env, e)
	}
	return env
}

func randomTolerations(rng *rand.Rand) []corev1.Toleration {
	var out []corev1.Toleration
	for range 1 + rng.IntN(2) {
		tol := corev1.Toleration{Key: pick(rng, randKeys), Effect: pick(rng, []corev1.TaintEffect{"", corev1.TaintEffectNoSchedule})}
		if rng.IntN(2) == 0 {
			tol.Operator = corev1.TolerationOpExists
		} else {
			tol.Operator, tol.Value = corev1.TolerationOpEqual, pick(rng, randValues)
		}
		out = append(out, tol)
	}
	return out
}

func randomVolume(rng *rand.Rand) corev1.Volume {
	v := corev1.Volume{Name: pick(rng, randVolumes)}
	if rng.IntN(2) == 0 {
		v.EmptyDir = &corev1.EmptyDirVolumeSource{}
	} else {
		v.ConfigMap = &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: pick(rng, randKeys[:3])}}
	}
	return v
}

func randomContainer(rng *rand.Rand) corev1.Container {
	c := corev1.Container{Name: pick(rng, randContainers[:3]), Image: pick(rng, randImages)}
	if rng.IntN(2) == 0 {
		c.Env = randomEnv(rng)
	}
	if rng.IntN(3) == 0 {
		c.Args = []string{pick(rng, randValues[:4])}
	}
	return c
}

// randomConfig is a configuration of a few random fields.
func randomConfig(rng *rand.Rand) *v1alpha1.Config {
	c := &v1alpha1.Config{}
	maybe := func() bool { return rng.IntN(4) == 0 }
	if maybe() {
		c.Labels = randomMap(rng)
	}
	if maybe() {
		c.Annotations = randomMap(rng)
	}
	if maybe() {
		c.NodeSelector = randomMap(rng)
	}
	if maybe() {
		c.PriorityClassName = new(pick(rng, randClasses))
	}
	if maybe() {
		c.SchedulerName = new(pick(rng, []string{"volcano", "default-scheduler"}))
	}
	if maybe() {
		c.ServiceAccountName = new(pick(rng, []string{"spark", "etl-sa"}))
	}
	if maybe() {
		c.Tolerations = randomTolerations(rng)
	}
	if maybe() {
		c.SparkConf = map[string]string{}
		for range 1 + rng.IntN(2) {
			k := pick(rng, []string{"spark.executor.memory", "spark.kubernetes.executor.label.team",
				"spark.kubernetes.driver.annotation.owner", "spark.kubernetes.node.selector.pool", "spark.eventLog.enabled"})
			c.SparkConf[k] = pick(rng, randSparkConf[k])
		}
	}
	if maybe() {
		c.Sidecars = []corev1.Container{randomContainer(rng)}
	}
	if maybe() {
		c.SidecarMode = new(pick(rng, []v1alpha1.SidecarMode{v1alpha1.SidecarModeNative, v1alpha1.SidecarModeContainer}))
	}
	if maybe() {
		c.InitContainers = []corev1.Container{randomContainer(rng)}
	}
	if maybe() {
		c.Env = randomEnv(rng)
	}
	if maybe() {
		c.EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: pick(rng, randKeys[:3])}}}}
	}
	if maybe() {
		v := randomVolume(rng)
		c.Volumes = []corev1.Volume{v}
		if rng.IntN(2) == 0 {
			c.VolumeMounts = []corev1.VolumeMount{{Name: v.Name, MountPath: pick(rng, randPaths)}}
		}
	}
	if maybe() {
		s := v1alpha1.SecretMount{SecretName: pick(rng, randKeys[:3])}
		if rng.IntN(2) == 0 {
			s.MountPath = pick(rng, randPaths)
		} else {
			s.AsEnv = true
		}
		c.Secrets = []v1alpha1.SecretMount{s}
	}
	if maybe() {
		c.IAM = &v1alpha1.IAM{Role: new(pick(rng, randRoles))}
		if rng.IntN(2) == 0 {
			c.IAM.Mode = new(pick(rng, []v1alpha1.IAMMode{v1alpha1.IAMModeAnnotation, v1alpha1.IAMModeIRSA}))
		}
	}
	if maybe() {
		c.ImageMirrors = []v1alpha1.ImageMirror{{From: "docker.io/", To: "mirror.internal/dockerhub/"}}
	}
	if rng.IntN(10) == 0 {
		patch := pick(rng, []string{`{"metadata":{"labels":{"patched":"yes"}}}`,
			`{"spec":{"dnsPolicy":"ClusterFirstWithHostNet"}}`,
			`{"metadata":{"annotations":{"owner":"patch"}}}`,
			`{"spec":{"tolerations":[{"key":"tier","operator":"Exists"}]}}`, // replaces the list whole
			`{"metadata":{"labels":{"team":null}}}`})
		c.PodPatch = &runtime.RawExtension{Raw: []byte(patch)}
	}
	return c
}

// randomPod is the example driver or executor in a random namespace with
// random values of the tenant's own, as the tenant may write them.
func randomPod(t testing.TB, rng *rand.Rand) *corev1.Pod {
	pod := fixtures.Pod(t, pick(rng, []string{"driver.yaml", "executor.yaml"}))
	pod.Namespace = pick(rng, randNamespaces)
	maybe := func() bool { return rng.IntN(3) == 0 }
	for k, v := range randomMap(rng) {
		if maybe() {
			pod.Labels[k] = v
		}
	}
	if maybe() {
		pod.Annotations = randomMap(rng)
		if maybe() {
			pod.Annotations[v1alpha1.IAMRoleAnnotation] = pick(rng, randRoles)
		}
		if maybe() {
			pod.Annotations["iam.amazonaws.com/role"] = pick(rng, randRoles)
		}
		if maybe() {
			pod.Annotations[v1alpha1.LayersAnnotation] = "layer-0"
		}
	}
	if maybe() {
		pod.Spec.NodeSelector = randomMap(rng)
	}
	if maybe() {
		pod.Spec.Tolerations = randomTolerations(rng)
	}
	if maybe() {
		pod.Spec.PriorityClassName = pick(rng, randClasses)
	}
	if maybe() {
		pod.Spec.SchedulerName = pick(rng, []string{"volcano", "mine"})
	}
	if maybe() {
		pod.Spec.ServiceAccountName = pick(rng, []string{"spark", "mine"})
		if maybe() {
			pod.Spec.DeprecatedServiceAccount = pick(rng, []string{"spark", "mine"}) //nolint:staticcheck // tenants write it
		}
	}
	spark := &pod.Spec.Containers[0]
	if maybe() {
		for _, e := range randomEnv(rng) {
			if !hasEnv(spark.Env, e.Name) {
				spark.Env = append(spark.Env, e)
			}
		}
	}
	if maybe() {
		// A name given twice: the last is the one in effect.
		spark.Env = append(spark.Env, corev1.EnvVar{Name: pick(rng, randEnvNames), Value: pick(rng, randValues)})
	}
	if maybe() {
		spark.Image = pick(rng, randImages)
	}
	if maybe() {
		v := randomVolume(rng)
		if !hasVolume(pod.Spec.Volumes, v.Name) {
			pod.Spec.Volumes = append(pod.Spec.Volumes, v)
			spark.VolumeMounts = append(spark.VolumeMounts, corev1.VolumeMount{Name: v.Name, MountPath: pick(rng, randPaths[:2]) + "/" + v.Name})
		}
	}
	if maybe() {
		c := randomContainer(rng)
		if c.Name != spark.Name && !hasContainer(pod.Spec.Containers, c.Name) {
			pod.Spec.Containers = append(pod.Spec.Containers, c)
			if rng.IntN(3) == 0 { // a sidecar first, the Spark container after it
				slices.Reverse(pod.Spec.Containers)
			}
		}
	}
	if rng.IntN(10) == 0 { // no container Spark names
		pod.Spec.Containers[slices.IndexFunc(pod.Spec.Containers, func(c corev1.Container) bool { return c.Name == spark.Name })].Name = "main"
	}
	if maybe() {
		c := randomContainer(rng)
		if maybe() {
			c.RestartPolicy = new(corev1.ContainerRestartPolicyAlways)
		}
		pod.Spec.InitContainers = append(pod.Spec.InitContainers, c)
	}
	return pod
}

func hasEnv(env []corev1.EnvVar, name string) bool {
	for _, e := range env {
		if e.Name == name {
			return true
		}
	}
	return false
}

func hasVolume(vs []corev1.Volume, name string) bool {
	for _, v := range vs {
		if v.Name == name {
			return true
		}
	}
	return false
}

func hasContainer(cs []corev1.Container, name string) bool {
	for _, c := range cs {
		if c.Name == name {
			return true
		}
	}
	return false
}

// randomClasses are the PriorityClasses the random layers name.
var randomClasses = []schedulingv1.PriorityClass{
	{ObjectMeta: metav1.ObjectMeta{Name: "spark-driver"}, Value: 100},
	{ObjectMeta: metav1.ObjectMeta{Name: "spark-executor"}, Value: 50},
	{ObjectMeta: metav1.ObjectMeta{Name: "tenant-pc"}, Value: 10},
}

// TestRandomLayersAndPods holds composition to its promises on layers and
// pods no example has: random Layers (every field, every tier, Shadow
// ones, role blocks, pod patches) over random tenant pods whose values
// meet the layers' in every field. For each:
//   - what the webhook answers (Admit) is what the dry run shows
//     (Compose): the same pod, patch and warnings;
//   - composing is deterministic: the same patch, byte for byte, again;
//   - the patch is the composition: applied to the pod as the API server
//     holds it, it gives the composed pod;
//   - composing is idempotent: the patched pod, as the API server sends
//     it back on a reinvocation, composes to no patch, and warns of
//     nothing new (a tenant's request that stays on the pod, such as
//     strata.dev/iam-role, is still overridden);
//   - composing leaves its input alone.
func TestRandomLayersAndPods(t *testing.T) {
	rng := rand.New(rand.NewPCG(seedOf(t), 22))
	var composed, patched, failed int
	for i := range casesOf(400) {
		in := overlay.Inputs{Layers: randomLayers(t, rng, 1+rng.IntN(5)), PriorityClasses: randomClasses}
		snap, err := overlay.Compile(in)
		if err != nil {
			t.Fatalf("case %d: layers that validate do not compile: %v", i, err)
		}
		pod := randomPod(t, rng)
		describe := func() string {
			layers, _ := json.Marshal(in.Layers)
			p, _ := json.Marshal(pod)
			return fmt.Sprintf("case %d\nlayers %s\npod %s", i, layers, p)
		}
		before, err := json.Marshal(pod)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Compose(snap, prodA, pod)
		admitted, admitErr := Admit(snap, prodA, pod)
		if (err == nil) != (admitErr == nil) || (err != nil && err.Error() != admitErr.Error()) {
			t.Fatalf("Compose: %v; Admit: %v\n%s", err, admitErr, describe())
		}
		if err != nil {
			failed++
			continue
		}
		composed++
		patch, err := EncodePatch(res.Patch)
		if err != nil {
			t.Fatal(err)
		}
		admitPatch, _ := EncodePatch(admitted.Patch)
		if string(patch) != string(admitPatch) || !reflect.DeepEqual(res.Pod, admitted.Pod) || !reflect.DeepEqual(res.Warnings, admitted.Warnings) {
			t.Fatalf("Admit is not Compose:\npatch %s\n      %s\nwarnings %q\n         %q\n%s", patch, admitPatch, res.Warnings, admitted.Warnings, describe())
		}
		if after, _ := json.Marshal(pod); string(after) != string(before) {
			t.Fatalf("composing changed its input:\n%s\n%s", before, after)
		}
		checkShadows(t, in, pod, res, describe)
		checkExplained(t, res, describe)
		again, err := Compose(snap, prodA, pod)
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := EncodePatch(again.Patch); string(p) != string(patch) {
			t.Fatalf("composed twice, two patches:\n%s\n%s\n%s", patch, p, describe())
		}
		if len(res.Patch) == 0 {
			continue
		}
		patched++
		stored := applyPatch(t, before, patch, describe)
		want, _ := json.Marshal(res.Pod)
		if !jsonEqual(t, stored, want) {
			t.Fatalf("the patch is not the composition:\npatched  %s\ncomposed %s\npatch %s\n%s", stored, want, patch, describe())
		}
		var reinvoked corev1.Pod
		if err := json.Unmarshal(stored, &reinvoked); err != nil {
			t.Fatal(err)
		}
		second, err := Compose(snap, prodA, &reinvoked)
		if err != nil {
			t.Fatalf("a composed pod does not compose again: %v\n%s", err, describe())
		}
		if p, _ := EncodePatch(second.Patch); len(second.Patch) != 0 || !subset(second.Warnings, res.Warnings) {
			t.Fatalf("a composed pod composed again: patch %s, warnings %q\nfirst patch %s, warnings %q\n%s", p, second.Warnings, patch, res.Warnings, describe())
		}
	}
	if composed < 300 || patched < composed/2 {
		t.Fatalf("%d composed, %d patched, %d refused: the cases check too little", composed, patched, failed)
	}
	t.Logf("%d composed, %d patched, %d refused", composed, patched, failed)
}

// onlyUnmountedVolumes reports whether every operation of patch adds
// volumes the section's Spark container does not mount.
func onlyUnmountedVolumes(patch []jsonpatch.Operation, sec *sparkv1beta2.SparkPodSpec) bool {
	mounted := map[string]bool{}
	for _, m := range sec.VolumeMounts {
		mounted[m.Name] = true
	}
	for _, op := range patch {
		if op.Operation != "add" || (op.Path != "/spec/volumes" && !strings.HasPrefix(op.Path, "/spec/volumes/")) {
			return false
		}
		raw, _ := json.Marshal(op.Value)
		var vs []corev1.Volume
		if op.Path != "/spec/volumes" {
			raw = append(append([]byte("["), raw...), ']')
		}
		if err := json.Unmarshal(raw, &vs); err != nil || strings.Count(op.Path, "/") > 3 {
			return false
		}
		for _, v := range vs {
			if mounted[v.Name] {
				return false
			}
		}
	}
	return true
}

// checkShadows holds Shadow layers to theirs: a pod is composed as if
// they did not exist, and what they would change is reported exactly when
// enforcing them would change the pod.
func checkShadows(t *testing.T, in overlay.Inputs, pod *corev1.Pod, res *Result, describe func() string) {
	t.Helper()
	without, enforced := in, in
	without.Layers, enforced.Layers = nil, nil
	for _, l := range in.Layers {
		if !l.Layer.Spec.IsShadow() {
			without.Layers = append(without.Layers, l)
			enforced.Layers = append(enforced.Layers, l)
			continue
		}
		l.Layer = *l.Layer.DeepCopy()
		l.Layer.Spec.Mode = v1alpha1.ModeEnforce
		enforced.Layers = append(enforced.Layers, l)
	}
	if len(without.Layers) == len(in.Layers) {
		return
	}
	compose := func(in overlay.Inputs) *Result {
		snap, err := overlay.Compile(in)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Compose(snap, prodA, pod)
		if err != nil {
			t.Fatalf("%v\n%s", err, describe())
		}
		return r
	}
	plain := compose(without)
	p, _ := EncodePatch(res.Patch)
	if q, _ := EncodePatch(plain.Patch); string(p) != string(q) || !slices.Equal(res.Warnings, plain.Warnings) {
		t.Fatalf("Shadow layers changed the composition:\n%s\nwithout them\n%s\n%s", p, q, describe())
	}
	snap, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	changes, err := ShadowOf(snap, prodA, pod, res)
	if err != nil {
		t.Fatal(err)
	}
	would := compose(enforced).Pod.DeepCopy()
	now := plain.Pod.DeepCopy()
	for _, p := range []*corev1.Pod{would, now} {
		delete(p.Annotations, v1alpha1.LayersAnnotation)
		listsSorted(p)
	}
	w, _ := json.Marshal(would)
	n, _ := json.Marshal(now)
	if differ := string(w) != string(n); differ != (len(changes) > 0) {
		t.Fatalf("enforcing the Shadow layers changes the pod: %v; reported changes %+v\nwould %s\nnow   %s\n%s", differ, changes, w, n, describe())
	}
}

// listsSorted sorts pod's keyed lists (ShadowOf's inKeyOrder, written
// again as this test's own oracle). A Shadow layer reports the
// fields whose values it would change; where an element stands in its list
// is the place of the lowest layer that names it, and a Shadow layer that
// names an element a higher layer sets moves it without changing a value.
func listsSorted(pod *corev1.Pod) {
	byJSON := func(a, b corev1.Toleration) int {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		return strings.Compare(string(x), string(y))
	}
	slices.SortStableFunc(pod.Spec.Tolerations, byJSON)
	slices.SortStableFunc(pod.Spec.Volumes, func(a, b corev1.Volume) int { return strings.Compare(a.Name, b.Name) })
	byName := func(a, b corev1.Container) int { return strings.Compare(a.Name, b.Name) }
	slices.SortStableFunc(pod.Spec.InitContainers, byName)
	if len(pod.Spec.Containers) > 1 {
		slices.SortStableFunc(pod.Spec.Containers[1:], byName)
	}
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range cs {
			slices.SortStableFunc(cs[i].Env, func(a, b corev1.EnvVar) int { return strings.Compare(a.Name, b.Name) })
			slices.SortStableFunc(cs[i].EnvFrom, func(a, b corev1.EnvFromSource) int {
				x, _ := json.Marshal(a)
				y, _ := json.Marshal(b)
				return strings.Compare(string(x), string(y))
			})
			slices.SortStableFunc(cs[i].VolumeMounts, func(a, b corev1.VolumeMount) int { return strings.Compare(a.MountPath, b.MountPath) })
		}
	}
}

// checkExplained holds explain to the pod: every field provenance explains
// that the pod row finds on the composed pod has there the value explained.
func checkExplained(t *testing.T, res *Result, describe func() string) {
	t.Helper()
	for _, f := range res.Composition.Provenance.Fields() {
		if !AppliesToPod(f.Key) {
			continue
		}
		v, _, found := currents(f.Key, res.Pod, res.Pod)
		if !found {
			continue
		}
		var got string
		switch v := v.(type) {
		case nil:
			got = removedByPatch // nothing else takes a value off the pod
		case string:
			got = strconv.Quote(v)
		case *corev1.EnvVar:
			got = overlay.RenderEnv(v)
		case *corev1.Container:
			continue // rendered with what the platform adds (mirrors, IRSA, mounts), each explained apart
		default:
			b, _ := json.Marshal(v)
			got = string(b)
		}
		if got != f.Value {
			t.Errorf("explain says %s is %s (%s); the pod holds %s\n%s", f.Path, f.Value, f.Winner, got, describe())
		}
	}
}

// subset reports whether every string of a is in b.
func subset(a, b []string) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return true
}

// applyPatch applies a JSON patch to a pod's JSON.
func applyPatch(t testing.TB, doc, patch []byte, describe func() string) []byte {
	t.Helper()
	p, err := jsonpatchv5.DecodePatch(patch)
	if err != nil {
		t.Fatalf("the patch does not decode: %v\n%s", err, describe())
	}
	out, err := p.Apply(doc)
	if err != nil {
		t.Fatalf("the patch does not apply: %v\npatch %s\n%s", err, patch, describe())
	}
	return out
}

// jsonEqual reports whether a and b are the same JSON value.
func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

func seedOf(t testing.TB) uint64 {
	if s := os.Getenv("RSEED"); s != "" {
		n, _ := strconv.ParseUint(s, 10, 64)
		return n
	}
	return 21
}

func casesOf(n int) int {
	if s := os.Getenv("RCASES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	return n
}

// randomApp is an example SparkApplication in a random namespace with
// random values of the tenant's own, in either spelling of a setting.
func randomApp(t testing.TB, rng *rand.Rand) *sparkv1beta2.Object {
	app := fixtures.App(t, pick(rng, []string{"etl-report.yaml", "geo-tiles.yaml"})).App
	app.Namespace = pick(rng, randNamespaces)
	maybe := func() bool { return rng.IntN(3) == 0 }
	if maybe() {
		app.Spec.Image = new(pick(rng, randImages))
	}
	if maybe() {
		if app.Spec.SparkConf == nil {
			app.Spec.SparkConf = map[string]string{}
		}
		for range 1 + rng.IntN(3) {
			k := pick(rng, []string{"spark.executor.memory", "spark.executor.cores", "spark.executor.instances",
				"spark.driver.memory", "spark.kubernetes.executor.label.team", "spark.kubernetes.driver.annotation.owner",
				"spark.kubernetes.node.selector.pool", "spark.kubernetes.executor.node.selector.a", "spark.eventLog.enabled",
				"spark.kubernetes.authenticate.driver.serviceAccountName", "spark.kubernetes.container.image"})
			values := map[string][]string{
				"spark.executor.memory": {"2g", "3g"}, "spark.executor.cores": {"1", "3"}, "spark.executor.instances": {"2", "5"},
				"spark.driver.memory": {"1g"}, "spark.kubernetes.container.image": randImages,
				"spark.kubernetes.authenticate.driver.serviceAccountName": {"spark", "mine"},
			}[k]
			if values == nil {
				values = []string{"x", "etl"}
			}
			app.Spec.SparkConf[k] = pick(rng, values)
		}
	}
	if maybe() {
		app.Spec.HadoopConf = map[string]string{"fs.s3a.endpoint": pick(rng, randValues[:3])}
	}
	if maybe() {
		app.Spec.NodeSelector = randomMap(rng)
	}
	for _, sec := range []*sparkv1beta2.SparkPodSpec{&app.Spec.Driver.SparkPodSpec, &app.Spec.Executor.SparkPodSpec} {
		if maybe() {
			sec.Labels = randomMap(rng)
		}
		if maybe() {
			sec.Annotations = randomMap(rng)
			if maybe() {
				sec.Annotations[v1alpha1.IAMRoleAnnotation] = pick(rng, randRoles)
			}
		}
		if maybe() {
			sec.NodeSelector = randomMap(rng)
		}
		if maybe() {
			sec.Env = randomEnv(rng)
		}
		if maybe() {
			sec.ServiceAccount = new(pick(rng, []string{"spark", "mine"}))
		}
		if maybe() {
			sec.Memory = new(pick(rng, []string{"1g", "4096m"}))
		}
		if maybe() {
			sec.Cores = new(int32(1 + rng.IntN(3)))
		}
		if maybe() {
			sec.Image = new(pick(rng, randImages))
		}
		if maybe() {
			sec.Tolerations = randomTolerations(rng)
		}
		if maybe() {
			sec.SchedulerName = new(pick(rng, []string{"volcano", "mine"}))
		}
		if maybe() {
			sec.PriorityClassName = new(pick(rng, randClasses))
		}
		if maybe() {
			sec.Sidecars = []corev1.Container{randomContainer(rng)}
		}
		if maybe() {
			sec.InitContainers = []corev1.Container{randomContainer(rng)}
		}
		if maybe() {
			v := randomVolume(rng)
			if !hasVolume(app.Spec.Volumes, v.Name) {
				app.Spec.Volumes = append(app.Spec.Volumes, v)
			}
			sec.VolumeMounts = append(sec.VolumeMounts, corev1.VolumeMount{Name: v.Name, MountPath: pick(rng, randPaths)})
		}
	}
	if maybe() {
		app.Spec.Executor.Instances = new(int32(1 + rng.IntN(5)))
	}
	obj, err := sparkv1beta2.FromApp(&app)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// TestRandomLayersAndApps holds the composition of SparkApplications to
// its promises on layers and applications no example has (random Layers,
// pod patches aside: those apply at pod admission; random tenant values in
// either spelling of a setting):
//   - deterministic: the same patch, byte for byte, again;
//   - the patch is the composition: applied to the application as
//     written, it gives the composed application;
//   - idempotent: the composed application composes to no patch and warns
//     of nothing new;
//   - the pods the operator launches from the composed application compose
//     at pod admission to no patch but the volumes an app cannot give a
//     pod (the operator adds only those the Spark container mounts, README
//     "How the two webhooks share the work"), and warn only of what the
//     application's composition did.
func TestRandomLayersAndApps(t *testing.T) {
	rng := rand.New(rand.NewPCG(seedOf(t), 23))
	var composed, patched, refused int
	for i := range casesOf(300) {
		layers := randomLayers(t, rng, 1+rng.IntN(5))
		for j := range layers {
			for _, c := range []*v1alpha1.Config{layers[j].Layer.Spec.Config, layers[j].Layer.Spec.Driver, layers[j].Layer.Spec.Executor} {
				if c != nil {
					c.PodPatch = nil
				}
			}
		}
		snap, err := overlay.Compile(overlay.Inputs{Layers: layers, PriorityClasses: randomClasses})
		if err != nil {
			t.Fatalf("case %d: layers that validate do not compile: %v", i, err)
		}
		app := randomApp(t, rng)
		before, err := app.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		describe := func() string {
			l, _ := json.Marshal(layers)
			return fmt.Sprintf("case %d\nlayers %s\napp %s", i, l, before)
		}
		res, err := ComposeApp(snap, prodA, app)
		if err != nil {
			refused++
			continue
		}
		composed++
		patch, err := EncodePatch(res.Patch)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ComposeApp(snap, prodA, app)
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := EncodePatch(again.Patch); string(p) != string(patch) {
			t.Fatalf("composed twice, two patches:\n%s\n%s\n%s", patch, p, describe())
		}
		after, err := res.App.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Patch) > 0 {
			patched++
			if got := applyPatch(t, before, patch, describe); !jsonEqual(t, got, after) {
				t.Fatalf("the patch is not the composition:\npatched  %s\ncomposed %s\npatch %s\n%s", got, after, patch, describe())
			}
		}
		stored, err := sparkv1beta2.Decode(after)
		if err != nil {
			t.Fatal(err)
		}
		second, err := ComposeApp(snap, prodA, stored)
		if err != nil {
			t.Fatalf("a composed app does not compose again: %v\n%s", err, describe())
		}
		if p, _ := EncodePatch(second.Patch); len(second.Patch) != 0 || !subset(second.Warnings, res.Warnings) {
			t.Fatalf("a composed app composed again: patch %s, warnings %q\nfirst patch %s, warnings %q\n%s", p, second.Warnings, patch, res.Warnings, describe())
		}
		for _, role := range Roles() {
			pod, err := LaunchedPod(&res.App.App, role)
			if err != nil {
				t.Fatalf("%s: the composed app launches no pod: %v\n%s", role, err, describe())
			}
			got, err := Compose(snap, prodA, pod)
			if err != nil {
				t.Fatalf("%s: the launched pod does not compose: %v\n%s", role, err, describe())
			}
			var prefixed []string
			for _, w := range got.Warnings {
				prefixed = append(prefixed, string(role)+": "+w)
			}
			sec := res.App.App.Spec.Pod(string(role))
			if p, _ := EncodePatch(got.Patch); !onlyUnmountedVolumes(got.Patch, sec) || !subset(prefixed, res.Warnings) {
				pj, _ := json.Marshal(pod)
				t.Fatalf("%s: the launched pod of a composed app: patch %s, warnings %q (the app's %q)\npod %s\ncomposed app %s\n%s",
					role, p, got.Warnings, res.Warnings, pj, after, describe())
			}
		}
	}
	if composed < 200 || patched < composed/2 {
		t.Fatalf("%d composed, %d patched, %d refused: the cases check too little", composed, patched, refused)
	}
	t.Logf("%d composed, %d patched, %d refused", composed, patched, refused)
}
