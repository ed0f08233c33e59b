package policy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// quotaPod is a running Spark pod of app in namespace ns requesting cpu
// millicores and mem MiB, in one container or split over two.
func quotaPod(name, ns, role, app string, cpu, mem int64, split bool) *corev1.Pod {
	pod := sparkPod(role)
	pod.Name, pod.Namespace = name, ns
	pod.Labels[AppLabel] = app
	req := func(c, m int64) corev1.ResourceRequirements {
		return corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU:    *resource.NewMilliQuantity(c, resource.DecimalSI),
			corev1.ResourceMemory: *resource.NewQuantity(m<<20, resource.BinarySI)}}
	}
	pod.Spec.Containers[0].Resources = req(cpu, mem)
	if split {
		pod.Spec.Containers[0].Resources = req(cpu/2, mem/2)
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: "sidecar", Image: pod.Spec.Containers[0].Image,
			Resources: req(cpu-cpu/2, mem-mem/2)})
	}
	pod.Status.Phase = corev1.PodRunning
	return pod
}

// randomLimits is a layer's limits: some of them, small enough that
// random pods meet them.
func randomLimits(rng *rand.Rand) string {
	var limits []string
	add := func(name, value string) {
		if rng.IntN(2) == 0 {
			limits = append(limits, name+": "+value)
		}
	}
	add("maxPodCPU", fmt.Sprintf("%dm", 500+rng.IntN(4)*500))
	add("maxPodMemory", fmt.Sprintf("%dMi", 512+rng.IntN(4)*512))
	add("maxExecutorsPerApp", fmt.Sprint(rng.IntN(5)))
	add("namespaceCPU", fmt.Sprintf("%dm", 1000+rng.IntN(8)*1000))
	add("namespaceMemory", fmt.Sprintf("%dMi", 1024+rng.IntN(8)*1024))
	add("namespacePods", fmt.Sprint(rng.IntN(8)))
	add("maxAppCPU", fmt.Sprintf("%dm", 1000+rng.IntN(6)*1000))
	add("maxAppMemory", fmt.Sprintf("%dMi", 1024+rng.IntN(6)*1024))
	return "{tier: ClusterOverrides, config: {limits: {" + strings.Join(limits, ", ") + "}}}"
}

// TestQuotaIsMonotone holds quota to what makes it a quota, on random
// limits, live pods and pods: a pod quota admits is admitted asking for
// less (but some: one asking for none of a limited resource is refused,
// TestNoRequestUnderALimit), and with fewer pods live; a pod it refuses is refused asking for
// more. And the webhook's verdict, through a ledger, is the dry run's.
func TestQuotaIsMonotone(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	ctx := context.Background()
	apps := []string{"app-1", "app-2", ""}
	var admitted, refused int
	for i := range 300 {
		layer := randomLimits(rng)
		c := tenantCheck(t, map[string]string{"limits": layer})
		var live []*corev1.Pod
		for j := range rng.IntN(8) {
			ns := []string{"etl", "etl", "geo"}[rng.IntN(3)]
			live = append(live, quotaPod(fmt.Sprintf("live-%d", j), ns, []string{"driver", "executor"}[rng.IntN(2)],
				apps[rng.IntN(3)], int64(100+rng.IntN(20)*100), int64(128+rng.IntN(16)*128), rng.IntN(3) == 0))
		}
		tracker := func(pods []*corev1.Pod) *Tracker {
			tr := NewTracker()
			for _, p := range pods {
				tr.Upsert(p)
			}
			return tr
		}
		cpu, mem := int64(100+rng.IntN(30)*100), int64(128+rng.IntN(24)*128)
		role, app := []string{"driver", "executor"}[rng.IntN(2)], apps[rng.IntN(3)]
		judge := func(cpu, mem int64, pods []*corev1.Pod, ledger *Ledger) (bool, string) {
			pod := quotaPod("candidate", "etl", role, app, cpu, mem, false)
			pod.Status = corev1.PodStatus{}
			check := *c
			check.Ledger = ledger
			_, d, err := check.Pod(ctx, pod, Request{Operation: "CREATE"}, tracker(pods))
			if err != nil {
				t.Fatal(err)
			}
			var quota []string
			for _, v := range d.Violations {
				if v.Policy == quotaPolicy {
					quota = append(quota, v.Message)
				}
			}
			return len(quota) == 0, strings.Join(quota, "; ")
		}
		describe := func() string {
			var pods []string
			for _, p := range live {
				r := p.Spec.Containers[0].Resources.Requests
				pods = append(pods, fmt.Sprintf("%s/%s %s app=%q cpu=%s mem=%s containers=%d", p.Namespace, p.Name, p.Labels[v1alpha1.RoleLabel],
					p.Labels[AppLabel], r.Cpu(), r.Memory(), len(p.Spec.Containers)))
			}
			return fmt.Sprintf("case %d: %s\nlive: %s\ncandidate %s app=%q cpu=%dm mem=%dMi", i, layer, strings.Join(pods, "\n  "), role, app, cpu, mem)
		}
		ok, why := judge(cpu, mem, live, nil)
		if webhook, whyWebhook := judge(cpu, mem, live, NewLedger(time.Minute)); webhook != ok || whyWebhook != why {
			t.Fatalf("the webhook's verdict (%v: %s) is not the dry run's (%v: %s)\n%s", webhook, whyWebhook, ok, why, describe())
		}
		less := live[:rng.IntN(len(live)+1)]
		if ok {
			admitted++
			smaller, _ := judge(cpu*int64(1+rng.IntN(4))/4, mem*int64(1+rng.IntN(4))/4, live, nil)
			fewer, whyFewer := judge(cpu, mem, less, nil)
			if !smaller || !fewer {
				t.Fatalf("admitted, yet refused asking for less (%v) or with %d of the live pods (%v: %s)\n%s", !smaller, len(less), !fewer, whyFewer, describe())
			}
			continue
		}
		refused++
		if larger, _ := judge(cpu+int64(rng.IntN(4))*100, mem+int64(rng.IntN(4))*128, live, nil); larger {
			t.Fatalf("refused (%s), yet admitted asking for more\n%s", why, describe())
		}
		if more := slices.Concat(live, []*corev1.Pod{quotaPod("more", "etl", "executor", app, 100, 128, false)}); len(more) > 0 {
			if admittedWithMore, _ := judge(cpu, mem, more, nil); admittedWithMore {
				t.Fatalf("refused (%s), yet admitted with one more pod live\n%s", why, describe())
			}
		}
	}
	if admitted < 50 || refused < 50 {
		t.Fatalf("%d admitted, %d refused: the cases check too little", admitted, refused)
	}
}
