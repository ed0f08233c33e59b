package policy

import (
	"reflect"
	"slices"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// TestCountableLeavesTheBoundsAsTheyAre: admissions name the countable
// bounds in their denials at once, so naming them must not write them:
// resource.Quantity caches its text in itself when first printed.
func TestCountableLeavesTheBoundsAsTheyAre(t *testing.T) {
	pod := sparkPod("driver")
	pod.Spec.Containers[0].Resources.Requests = corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("9223372036854776"), corev1.ResourceMemory: resource.MustParse("8Ei")}
	want := Countable(pod)
	if len(want) != 2 {
		t.Fatalf("Countable: %q, want a sentence for CPU and one for memory", want)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if got := Countable(pod); !slices.Equal(got, want) {
				t.Errorf("Countable at once: %q, want %q", got, want)
			}
		})
	}
	wg.Wait()
	if !reflect.DeepEqual(*maxCountableCPU, *resource.NewMilliQuantity(MaxCountableCPUMilli, resource.DecimalSI)) ||
		!reflect.DeepEqual(*maxCountableMemory, *resource.NewQuantity(MaxCountableMemoryBytes, resource.BinarySI)) {
		t.Errorf("printing the bounds changed them: %#v, %#v", *maxCountableCPU, *maxCountableMemory)
	}
}
