package overlay

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestPodErrors: each pod-level rule refuses what the API server
// refuses, at its field, and takes what its defaulting makes valid
// (test/e2e's TestLayerPodPatchesAreJudgedAsTheAPIServerJudgesPods holds
// the same rules to the real API server).
func TestPodErrors(t *testing.T) {
	port := func(container, host int32) []corev1.Container {
		return []corev1.Container{{Name: "c", Ports: []corev1.ContainerPort{{ContainerPort: container, HostPort: host}}}}
	}
	term := func(r corev1.NodeSelectorRequirement) *corev1.Affinity {
		return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{r}}}}}}
	}
	tests := []struct {
		name string
		spec corev1.PodSpec
		want string // the first error's field, "" for none
	}{
		{"nothing set: the API server's defaults", corev1.PodSpec{}, ""},
		{"a restart policy of none known", corev1.PodSpec{RestartPolicy: "Sometimes"}, "spec.restartPolicy"},
		{"a DNS policy of none known", corev1.PodSpec{DNSPolicy: "Mine"}, "spec.dnsPolicy"},
		{"dnsPolicy None without a dnsConfig", corev1.PodSpec{DNSPolicy: corev1.DNSNone}, "spec.dnsConfig"},
		{"dnsPolicy None without nameservers", corev1.PodSpec{DNSPolicy: corev1.DNSNone, DNSConfig: &corev1.PodDNSConfig{}}, "spec.dnsConfig.nameservers"},
		{"dnsPolicy None with a nameserver", corev1.PodSpec{DNSPolicy: corev1.DNSNone, DNSConfig: &corev1.PodDNSConfig{Nameservers: []string{"10.0.0.10"}}}, ""},
		{"four nameservers", corev1.PodSpec{DNSConfig: &corev1.PodDNSConfig{Nameservers: []string{"1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4"}}}, "spec.dnsConfig.nameservers"},
		{"a nameserver that is no IP", corev1.PodSpec{DNSConfig: &corev1.PodDNSConfig{Nameservers: []string{"dns.internal"}}}, "spec.dnsConfig.nameservers[0]"},
		{"a search path of a trailing dot", corev1.PodSpec{DNSConfig: &corev1.PodDNSConfig{Searches: []string{"svc.cluster.local.", "."}}}, ""},
		{"a search path of a space", corev1.PodSpec{DNSConfig: &corev1.PodDNSConfig{Searches: []string{"a b"}}}, "spec.dnsConfig.searches[0]"},
		{"an option of no name", corev1.PodSpec{DNSConfig: &corev1.PodDNSConfig{Options: []corev1.PodDNSConfigOption{{}}}}, "spec.dnsConfig.options[0]"},
		{"a host network and a host port the API server defaults", corev1.PodSpec{HostNetwork: true, Containers: port(7079, 0)}, ""},
		{"a host network and another host port", corev1.PodSpec{HostNetwork: true, Containers: port(80, 8080)}, "spec.containers[0].ports[0].hostPort"},
		{"another host port without a host network", corev1.PodSpec{Containers: port(80, 8080)}, ""},
		{"a node selector of a bad key", corev1.PodSpec{NodeSelector: map[string]string{"a b": "x"}}, "spec.nodeSelector"},
		{"a negative user", corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{RunAsUser: ptrTo(int64(-1))}}, "spec.securityContext.runAsUser"},
		{"a negative supplemental group", corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{SupplementalGroups: []int64{1, -2}}}, "spec.securityContext.supplementalGroups[1]"},
		{"an fsGroup change policy of none known", corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{FSGroupChangePolicy: ptrTo(corev1.PodFSGroupChangePolicy("Never"))}}, "spec.securityContext.fsGroupChangePolicy"},
		{"a localhost seccomp profile of no file", corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost}}}, "spec.securityContext.seccompProfile.localhostProfile"},
		{"a localhost seccomp profile above its root", corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptrTo("../x.json")}}}, "spec.securityContext.seccompProfile.localhostProfile"},
		{"a runtime default seccomp profile with a file", corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault, LocalhostProfile: ptrTo("x.json")}}}, "spec.securityContext.seccompProfile.localhostProfile"},
		{"a shared process namespace and the host's", corev1.PodSpec{ShareProcessNamespace: ptrTo(true), HostPID: true}, "spec.shareProcessNamespace"},
		{"a node affinity of no term", corev1.PodSpec{Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{}}}},
			"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"},
		{"In of no value", corev1.PodSpec{Affinity: term(corev1.NodeSelectorRequirement{Key: "zone", Operator: corev1.NodeSelectorOpIn})},
			"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values"},
		{"Exists with a value", corev1.PodSpec{Affinity: term(corev1.NodeSelectorRequirement{Key: "zone", Operator: corev1.NodeSelectorOpExists, Values: []string{"a"}})},
			"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values"},
		{"an operator of none known", corev1.PodSpec{Affinity: term(corev1.NodeSelectorRequirement{Key: "zone", Operator: "Near"})},
			"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator"},
		{"a preferred term of weight 0", corev1.PodSpec{Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{}}}}},
			"spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight"},
		{"a pod anti-affinity of a bad selector", corev1.PodSpec{Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
			TopologyKey: "zone", LabelSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: metav1.LabelSelectorOpIn}}}}}}}},
			"spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].values"},
		{"a spread of no skew", corev1.PodSpec{TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{TopologyKey: "zone", WhenUnsatisfiable: corev1.DoNotSchedule}}},
			"spec.topologySpreadConstraints[0].maxSkew"},
		{"a spread given twice", corev1.PodSpec{TopologySpreadConstraints: []corev1.TopologySpreadConstraint{
			{MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: corev1.DoNotSchedule}, {MaxSkew: 2, TopologyKey: "zone", WhenUnsatisfiable: corev1.DoNotSchedule}}},
			"spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}"},
		{"minDomains on a soft spread", corev1.PodSpec{TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: corev1.ScheduleAnyway, MinDomains: ptrTo(int32(2))}}},
			"spec.topologySpreadConstraints[0].minDomains"},
		{"a readiness gate of a bad condition", corev1.PodSpec{ReadinessGates: []corev1.PodReadinessGate{{ConditionType: "a b"}}}, "spec.readinessGates[0].conditionType"},
		{"a scheduling gate twice", corev1.PodSpec{SchedulingGates: []corev1.PodSchedulingGate{{Name: "example.com/wait"}, {Name: "example.com/wait"}}}, "spec.schedulingGates[1]"},
		{"a hostname of a dot", corev1.PodSpec{Hostname: "a.b"}, "spec.hostname"},
		{"a toleration of Exists with a value", corev1.PodSpec{Tolerations: []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists, Value: "v"}}}, "spec.tolerations[0].value"},
		{"a host alias of no IP", corev1.PodSpec{HostAliases: []corev1.HostAlias{{IP: "x", Hostnames: []string{"a"}}}}, "spec.hostAliases[0].ip"},
		{"a deadline of zero", corev1.PodSpec{ActiveDeadlineSeconds: ptrTo(int64(0))}, "spec.activeDeadlineSeconds"},
		{"a service account of capitals", corev1.PodSpec{ServiceAccountName: "Spark"}, "spec.serviceAccountName"},
		{"a preemption policy of none known", corev1.PodSpec{PreemptionPolicy: ptrTo(corev1.PreemptionPolicy("Always"))}, "spec.preemptionPolicy"},
		{"an image pull secret of only a name, empty", corev1.PodSpec{ImagePullSecrets: []corev1.LocalObjectReference{{}}}, ""},
		{"a volume of no source: an emptyDir", corev1.PodSpec{Volumes: []corev1.Volume{{Name: "scratch"}}}, ""},
		{"a volume of two sources", corev1.PodSpec{Volumes: []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{
			EmptyDir: &corev1.EmptyDirVolumeSource{}, HostPath: &corev1.HostPathVolumeSource{Path: "/x"}}}}}, "spec.volumes[0].hostPath"},
		{"a ConfigMap volume of no name", corev1.PodSpec{Volumes: []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}}}}, "spec.volumes[0].configMap.name"},
		{"a volume name twice", corev1.PodSpec{Volumes: []corev1.Volume{{Name: "v"}, {Name: "v"}}}, "spec.volumes[1].name"},
	}
	for _, tt := range tests {
		errs := PodErrors(&corev1.Pod{Spec: tt.spec})
		got := ""
		if len(errs) > 0 {
			got = errs[0].Field
		}
		if got != tt.want {
			t.Errorf("%s: first error at %q (%v), want %q", tt.name, got, errs, tt.want)
		}
	}
}

// TestVolumeSourceOrder: volumeSourceOrder lists every source of
// corev1.VolumeSource, by its JSON name, and finds each when it is set.
func TestVolumeSourceOrder(t *testing.T) {
	typ := reflect.TypeFor[corev1.VolumeSource]()
	listed := map[string]bool{}
	for _, src := range volumeSourceOrder {
		listed[src.name] = true
	}
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !listed[name] {
			t.Errorf("volumeSourceOrder does not list %s (%s)", name, f.Name)
			continue
		}
		var vs corev1.VolumeSource
		reflect.ValueOf(&vs).Elem().Field(i).Set(reflect.New(f.Type.Elem()))
		if got := volumeSources(&vs); len(got) != 1 || got[0] != name {
			t.Errorf("with %s set, volumeSources = %v", f.Name, got)
		}
	}
	if len(listed) != typ.NumField() {
		t.Errorf("volumeSourceOrder lists %d sources, corev1.VolumeSource has %d", len(listed), typ.NumField())
	}
}
