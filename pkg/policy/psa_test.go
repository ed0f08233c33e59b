package policy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/policies"
)

// psaBaseline returns k8s.io/pod-security-admission's baseline checks, each
// at its latest version: the oracle.
func psaBaseline() map[string]psapolicy.CheckPodFn {
	checks := map[string]psapolicy.CheckPodFn{}
	for _, c := range psapolicy.DefaultChecks() {
		if c.Level != psaapi.LevelBaseline || len(c.Versions) == 0 {
			continue
		}
		checks[string(c.ID)] = c.Versions[len(c.Versions)-1].CheckPod
	}
	return checks
}

// mutation sets one baseline-relevant field of a pod, to a value PSA may
// allow or forbid.
type mutation func(p *corev1.Pod, c *corev1.Container)

func boolPtr(b bool) *bool { return &b }

func secCtx(c *corev1.Container) *corev1.SecurityContext {
	if c.SecurityContext == nil {
		c.SecurityContext = &corev1.SecurityContext{}
	}
	return c.SecurityContext
}

func podSecCtx(p *corev1.Pod) *corev1.PodSecurityContext {
	if p.Spec.SecurityContext == nil {
		p.Spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	return p.Spec.SecurityContext
}

// corpusMutations covers every baseline check with allowed and forbidden values.
func corpusMutations() []mutation {
	var ms []mutation
	for _, b := range []bool{true, false} {
		ms = append(ms,
			func(_ *corev1.Pod, c *corev1.Container) { secCtx(c).Privileged = boolPtr(b) },
			func(p *corev1.Pod, _ *corev1.Container) { p.Spec.HostNetwork = b },
			func(p *corev1.Pod, _ *corev1.Container) { p.Spec.HostPID = b },
			func(p *corev1.Pod, _ *corev1.Container) { p.Spec.HostIPC = b },
			func(p *corev1.Pod, _ *corev1.Container) { p.Spec.HostUsers = boolPtr(b) },
			func(p *corev1.Pod, _ *corev1.Container) {
				podSecCtx(p).WindowsOptions = &corev1.WindowsSecurityContextOptions{HostProcess: boolPtr(b)}
			},
			func(_ *corev1.Pod, c *corev1.Container) {
				secCtx(c).WindowsOptions = &corev1.WindowsSecurityContextOptions{HostProcess: boolPtr(b)}
			},
		)
	}
	ms = append(ms,
		func(p *corev1.Pod, _ *corev1.Container) {
			p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: fmt.Sprintf("host%d", len(p.Spec.Volumes)),
				VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run"}}})
		},
		func(p *corev1.Pod, _ *corev1.Container) {
			p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: fmt.Sprintf("empty%d", len(p.Spec.Volumes)),
				VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
		},
	)
	for _, port := range []int32{0, 8080} {
		ms = append(ms, func(_ *corev1.Pod, c *corev1.Container) {
			c.Ports = append(c.Ports, corev1.ContainerPort{ContainerPort: 80, HostPort: port})
		})
	}
	for _, caps := range [][]corev1.Capability{{"CHOWN"}, {"NET_BIND_SERVICE", "KILL"}, {"SYS_ADMIN"}, {"NET_RAW"}, {"ALL"}} {
		ms = append(ms, func(_ *corev1.Pod, c *corev1.Container) {
			secCtx(c).Capabilities = &corev1.Capabilities{Add: caps, Drop: []corev1.Capability{"MKNOD"}}
		})
	}
	for _, pm := range []corev1.ProcMountType{corev1.DefaultProcMount, corev1.UnmaskedProcMount} {
		ms = append(ms, func(_ *corev1.Pod, c *corev1.Container) { secCtx(c).ProcMount = &pm })
	}
	for _, t := range []corev1.SeccompProfileType{corev1.SeccompProfileTypeRuntimeDefault, corev1.SeccompProfileTypeLocalhost, corev1.SeccompProfileTypeUnconfined} {
		ms = append(ms,
			func(p *corev1.Pod, _ *corev1.Container) {
				podSecCtx(p).SeccompProfile = &corev1.SeccompProfile{Type: t}
			},
			func(_ *corev1.Pod, c *corev1.Container) { secCtx(c).SeccompProfile = &corev1.SeccompProfile{Type: t} },
		)
	}
	for _, o := range []corev1.SELinuxOptions{{Type: "container_t"}, {Type: "container_engine_t"}, {Type: "spc_t"}, {User: "root"}, {Role: "sysadm_r"}, {Level: "s0:c1,c2"}} {
		ms = append(ms,
			func(p *corev1.Pod, _ *corev1.Container) { podSecCtx(p).SELinuxOptions = &o },
			func(_ *corev1.Pod, c *corev1.Container) { secCtx(c).SELinuxOptions = &o },
		)
	}
	for _, name := range []string{"kernel.shm_rmid_forced", "net.ipv4.tcp_notsent_lowat", "net.ipv4.tcp_rmem", "kernel.msgmax", "net.core.somaxconn"} {
		ms = append(ms, func(p *corev1.Pod, _ *corev1.Container) {
			podSecCtx(p).Sysctls = append(podSecCtx(p).Sysctls, corev1.Sysctl{Name: name, Value: "1"})
		})
	}
	for _, t := range []corev1.AppArmorProfileType{corev1.AppArmorProfileTypeRuntimeDefault, corev1.AppArmorProfileTypeLocalhost, corev1.AppArmorProfileTypeUnconfined} {
		ms = append(ms,
			func(p *corev1.Pod, _ *corev1.Container) {
				podSecCtx(p).AppArmorProfile = &corev1.AppArmorProfile{Type: t}
			},
			func(_ *corev1.Pod, c *corev1.Container) { secCtx(c).AppArmorProfile = &corev1.AppArmorProfile{Type: t} },
		)
	}
	for _, v := range []string{"", "runtime/default", "localhost/custom", "unconfined"} {
		ms = append(ms, func(p *corev1.Pod, c *corev1.Container) {
			if p.Annotations == nil {
				p.Annotations = map[string]string{}
			}
			p.Annotations["container.apparmor.security.beta.kubernetes.io/"+c.Name] = v
		})
	}
	for _, host := range []string{"", "10.0.0.1"} {
		ms = append(ms,
			func(_ *corev1.Pod, c *corev1.Container) {
				c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Host: host}}}
			},
			func(_ *corev1.Pod, c *corev1.Container) {
				c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Host: host}}}
			},
			func(_ *corev1.Pod, c *corev1.Container) {
				c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Host: host}}}
			},
			func(_ *corev1.Pod, c *corev1.Container) {
				c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{TCPSocket: &corev1.TCPSocketAction{Host: host}}}
			},
			func(_ *corev1.Pod, c *corev1.Container) {
				c.Lifecycle = &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Host: host}}}
			},
		)
	}
	return ms
}

// corpus generates n pods: each mutation alone on each kind of container
// (so every check is hit on its own), then random combinations.
func corpus(n int) []*corev1.Pod {
	base := func() *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "etl", Labels: map[string]string{"spark-role": "driver"}},
			Spec: corev1.PodSpec{
				InitContainers: []corev1.Container{{Name: "init", Image: "busybox"}},
				Containers:     []corev1.Container{{Name: "spark-kubernetes-driver", Image: "apache/spark:3.5.3"}, {Name: "side", Image: "busybox"}},
				EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
					Name: "debug", Image: "busybox"}}},
			},
		}
	}
	target := func(p *corev1.Pod, i int) *corev1.Container {
		switch i % 4 {
		case 0:
			return &p.Spec.Containers[0]
		case 1:
			return &p.Spec.InitContainers[0]
		case 2:
			return &p.Spec.Containers[1]
		}
		return (*corev1.Container)(&p.Spec.EphemeralContainers[0].EphemeralContainerCommon)
	}
	ms := corpusMutations()
	var pods []*corev1.Pod
	for _, m := range ms {
		for k := range 4 {
			p := base()
			m(p, target(p, k))
			pods = append(pods, p)
		}
	}
	r := rand.New(rand.NewPCG(1, 2)) // fixed seed: the same corpus every run
	for len(pods) < n {
		p := base()
		for range 1 + r.IntN(5) {
			ms[r.IntN(len(ms))](p, target(p, r.IntN(4)))
		}
		pods = append(pods, p)
	}
	return pods
}

// TestBaselineAgreesWithPodSecurityAdmission holds the isolation policy's
// baseline checks to k8s.io/pod-security-admission's, check for check,
// over a generated corpus.
func TestBaselineAgreesWithPodSecurityAdmission(t *testing.T) {
	ctx := context.Background()
	mods, err := LoadModules(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	engine, err := NewEngine(ctx, mods)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := overlay.Compile(overlay.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	oracle := psaBaseline()
	if len(oracle) < 12 {
		t.Fatalf("only %d baseline checks in pod-security-admission", len(oracle))
	}
	check := &Check{Engine: engine, Snapshot: snap, Cluster: mutate.Cluster{}}
	failing := map[string]int{}
	pods := corpus(3000)
	for i, pod := range pods {
		var want []string
		for id, fn := range oracle {
			if !fn(&pod.ObjectMeta, &pod.Spec).Allowed {
				want = append(want, id)
			}
		}
		_, decision, err := check.Pod(ctx, pod, Request{Operation: "CREATE"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range decision.Violations {
			if _, ok := oracle[v.Check]; ok && !slices.Contains(got, v.Check) {
				got = append(got, v.Check)
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("pod %d: isolation baseline fails %v, pod-security-admission %v\npod spec: %+v\nannotations: %v", i, got, want, pod.Spec, pod.Annotations)
		}
		for _, id := range want {
			failing[id]++
		}
	}
	for id := range oracle {
		if failing[id] == 0 {
			t.Errorf("no pod of the corpus fails %s: the corpus does not exercise it", id)
		}
	}
	t.Logf("%d pods, failures per check: %v", len(pods), failing)
}
