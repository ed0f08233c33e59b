package overlay

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"

	"github.com/strata-dev/strata/pkg/overlay/quantity"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// appLabel is the label spark-submit gives every pod of an application.
const appLabel = "spark-app-selector"

// strataPrefix is the prefix of Strata's own labels and annotations
// (strata.dev/layers, strata.dev/iam-role): no pod patch touches them.
const strataPrefix = "strata.dev/"

// CheckPodPatch checks that patch is a strategic merge patch of a Pod (what
// kubectl patch takes, directives such as $setElementOrder, $retainKeys and
// $deleteFromPrimitiveList included) by applying it, as composition will,
// to a driver and an executor as spark-submit creates them: it must apply
// to both and yield Pods with no unknown fields, labels, annotations and
// pod-level fields the API server's validation takes (PodErrors), every container named and
// with an image, and the labels that say what a pod is (spark-role,
// spark-app-selector) and Strata's own strata.dev/ keys untouched. A patch
// that fails here would fail on every pod. roles are the roles the patch
// applies to (both when none are given).
func CheckPodPatch(patch []byte, roles ...v1alpha1.Role) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(patch, &obj); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	// A quantity of a huge exponent would take minutes to parse in the
	// patched pod (the CRD's schema leaves a pod patch's fields unchecked).
	if err := quantity.CheckJSON(patch, reflect.TypeFor[corev1.Pod]()); err != nil {
		return err
	}
	for _, sample := range SamplePods() {
		role := sample.Labels[v1alpha1.RoleLabel]
		if len(roles) > 0 && !slices.Contains(roles, v1alpha1.Role(role)) {
			continue
		}
		before, err := json.Marshal(sample)
		if err != nil {
			return err
		}
		out, err := PatchPod(before, patch)
		if err != nil {
			return fmt.Errorf("does not apply to a Spark %s pod: %w", role, err)
		}
		var pod corev1.Pod
		strict, err := sigsjson.UnmarshalStrict(out, &pod, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
		if err != nil {
			return fmt.Errorf("does not patch a Pod: %w", err)
		}
		if len(strict) > 0 {
			msgs := make([]string, len(strict))
			for i, e := range strict {
				msgs[i] = e.Error()
			}
			return fmt.Errorf("does not patch a Pod: %s", strings.Join(msgs, "; "))
		}
		if err := checkPatched(sample, &pod); err != nil {
			return fmt.Errorf("on a Spark %s pod: %w", role, err)
		}
	}
	return nil
}

// sparkOwnVariable returns the index in c's env of a variable Spark sets
// only in its own container, or -1.
func sparkOwnVariable(c *corev1.Container) int {
	return slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool {
		return e.Name == v1alpha1.SparkExecutorIDVariable || e.Name == v1alpha1.SparkDriverBindAddressVariable
	})
}

// checkPatched checks what a patch made of sample.
func checkPatched(sample, pod *corev1.Pod) error {
	for _, k := range []string{v1alpha1.RoleLabel, appLabel} {
		if pod.Labels[k] != sample.Labels[k] {
			return fmt.Errorf("changes label %s, which says what the pod is; a layer cannot change it", k)
		}
	}
	if k, changed := changedKey(sample.Labels, pod.Labels, strataPrefix); changed {
		return fmt.Errorf("changes label %s; keys starting with %s are Strata's own", k, strataPrefix)
	}
	if k, changed := changedKey(sample.Annotations, pod.Annotations, strataPrefix); changed {
		return fmt.Errorf("changes annotation %s; keys starting with %s are Strata's own", k, strataPrefix)
	}
	if len(pod.Spec.Containers) == 0 {
		return fmt.Errorf("leaves the pod without containers")
	}
	names := map[string]bool{}
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range list {
			c := &list[i]
			switch {
			case c.Name == "":
				return fmt.Errorf("gives a container no name")
			case names[c.Name]:
				return fmt.Errorf("gives two containers the name %q", c.Name)
			case c.Image == "":
				return fmt.Errorf("gives container %q no image", c.Name)
			case c.Name != v1alpha1.SparkDriverContainer && c.Name != v1alpha1.SparkExecutorContainer:
				if j := sparkOwnVariable(c); j >= 0 {
					return fmt.Errorf("gives container %q the variable %s, which Spark sets in the container it runs in, by which Strata finds that container in a pod whose template named it otherwise; a layer cannot set it", c.Name, c.Env[j].Name)
				}
			}
			names[c.Name] = true
		}
	}
	if err := checkPatchedPod(sample, pod); err != nil {
		return err
	}
	if err := checkRemovedVolumes(sample, pod); err != nil {
		return err
	}
	return checkAddedContainers(sample, pod)
}

// checkPatchedPod checks the labels, annotations and pod-level fields a
// patch made of sample (PodErrors): a patch that writes dnsPolicy None
// without a dnsConfig, or a label key of a space, has every pod refused.
func checkPatchedPod(sample, pod *corev1.Pod) error {
	if errs := PodErrorsBeyond(sample, pod); len(errs) > 0 {
		return fmt.Errorf("%w: the API server would refuse every such pod as invalid", errs[0])
	}
	return nil
}

// checkRemovedVolumes checks that each volume sample's containers mount
// is still in pod: a patch that replaces or deletes the volumes leaves the
// Spark container's local directory a mount of no volume, which the API
// server refuses on every pod. A mount the patch adds of a volume the
// sample lacks is not judged: Spark gives its pods volumes the sample does
// not have (its configuration's), and composition judges each pod's.
func checkRemovedVolumes(sample, pod *corev1.Pod) error {
	has := map[string]bool{}
	for i := range pod.Spec.Volumes {
		has[pod.Spec.Volumes[i].Name] = true
	}
	for _, list := range []struct {
		path       string
		containers []corev1.Container
	}{{"spec.initContainers", sample.Spec.InitContainers}, {"spec.containers", sample.Spec.Containers}} {
		for i := range list.containers {
			c := &list.containers[i]
			for _, m := range c.VolumeMounts {
				if !has[m.Name] {
					return fmt.Errorf("takes away volume %q, which %s[%s] mounts at %s: the API server would refuse every such pod as invalid", m.Name, list.path, c.Name, m.MountPath)
				}
			}
		}
	}
	return nil
}

// checkAddedContainers checks the containers a patch added to sample (all
// of whose fields are the patch's) as a layer's sidecars and init
// containers are checked (containerSpec): what the API server's
// validation of every pod refuses. A container the sample has is not
// judged: the patch's values meet the sample's, not the pod's.
func checkAddedContainers(sample, pod *corev1.Pod) error {
	had := map[string]bool{}
	for _, list := range [][]corev1.Container{sample.Spec.InitContainers, sample.Spec.Containers} {
		for i := range list {
			had[list[i].Name] = true
		}
	}
	var v validator
	for _, list := range []struct {
		path       string
		containers []corev1.Container
		init       bool
	}{{"initContainers", pod.Spec.InitContainers, true}, {"containers", pod.Spec.Containers, false}} {
		for i := range list.containers {
			c := &list.containers[i]
			if had[c.Name] {
				continue
			}
			sidecar := !list.init || (c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways)
			v.containerSpec(field.NewPath("spec", list.path).Index(i), c, sidecar)
		}
	}
	if len(v.errs) > 0 {
		return v.errs[0]
	}
	return nil
}

// changedKey returns a key with prefix that is not the same in a and b.
func changedKey(a, b map[string]string, prefix string) (string, bool) {
	keys := maps.Clone(a)
	if keys == nil {
		keys = map[string]string{}
	}
	maps.Copy(keys, b)
	for _, k := range sortedKeys(keys) {
		if strings.HasPrefix(k, prefix) {
			va, ina := a[k]
			vb, inb := b[k]
			if ina != inb || va != vb {
				return k, true
			}
		}
	}
	return "", false
}

// SamplePods are a driver and an executor as spark-submit (Spark 3.5)
// creates them, composed once (they carry strata.dev/layers): the pods
// CheckPodPatch applies a Layer's pod patch to.
func SamplePods() []*corev1.Pod {
	pod := func(role, container string) *corev1.Pod {
		return &corev1.Pod{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{
				Name: "spark-pi-" + role, Namespace: "tenant",
				Labels: map[string]string{v1alpha1.RoleLabel: role, appLabel: "spark-0123456789abcdef",
					"spark-app-name": "spark-pi", "spark-version": "3.5.3"},
				Annotations: map[string]string{v1alpha1.LayersAnnotation: "platform-defaults"},
			},
			Spec: corev1.PodSpec{
				RestartPolicy:      corev1.RestartPolicyNever,
				ServiceAccountName: "spark",
				InitContainers: []corev1.Container{{Name: "log-shipper", Image: "fluent/fluent-bit:3.1.9",
					RestartPolicy: ptrTo(corev1.ContainerRestartPolicyAlways)}},
				Containers: []corev1.Container{{
					Name: container, Image: "apache/spark:3.5.3", Args: []string{role},
					Env:   []corev1.EnvVar{{Name: "SPARK_USER", Value: "bot"}, {Name: "SPARK_LOCAL_DIRS", Value: "/var/data/spark-1"}},
					Ports: []corev1.ContainerPort{{Name: "blockmanager", ContainerPort: 7079}},
					Resources: corev1.ResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1408Mi")},
						Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1408Mi")},
					},
					VolumeMounts: []corev1.VolumeMount{{Name: "spark-local-dir-1", MountPath: "/var/data/spark-1"}},
				}},
				Volumes: []corev1.Volume{{Name: "spark-local-dir-1", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
			},
		}
	}
	return []*corev1.Pod{pod("driver", v1alpha1.SparkDriverContainer), pod("executor", v1alpha1.SparkExecutorContainer)}
}

func ptrTo[T any](v T) *T { return &v }
