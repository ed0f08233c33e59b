package overlay

import (
	"fmt"
	"math"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The API server's limits on a pod's DNS configuration
// (k8s.io/kubernetes's MaxDNSNameservers, MaxDNSSearchPaths and
// MaxDNSSearchListChars).
const (
	maxDNSNameservers     = 3
	maxDNSSearchPaths     = 32
	maxDNSSearchListChars = 2048
)

// PodErrors are the errors the API server's validation of every pod finds
// in pod's labels and annotations and in the pod-level fields of its spec:
// what a layer's podPatch can write there that no typed field of a layer
// gives, so no Layer's validation judged it. The rules follow
// k8s.io/kubernetes's ValidatePodSpec (the module is not a library this
// build can import) on a pod after the API server's defaulting: an empty
// restartPolicy or dnsPolicy is defaulted, a volume of no source is an
// emptyDir, a container port's hostPort under hostNetwork is its
// containerPort. They cover label keys and values and annotation keys and
// their size, the restart and DNS policies and the DNS configuration, host
// networking's ports, hostname and subdomain, the node selector and
// tolerations, the security context's IDs, fsGroupChangePolicy and
// seccomp profile, process namespace sharing, image pull secrets, node
// and pod (anti-)affinity, topology spread constraints, readiness and
// scheduling gates, host aliases, activeDeadlineSeconds, the names of the
// service account, PriorityClass, node and volumes, a volume's sources
// (volumeSource), and the preemption policy. Not judged: sysctls, Windows and host-user
// options, resource claims, pod-level resources and overhead (each behind
// its own rules or feature gates), and containers (ContainerErrors).
func PodErrors(pod *corev1.Pod) field.ErrorList {
	return PodErrorsBeyond(&corev1.Pod{}, pod)
}

// PodErrorsBeyond are the errors of PodErrors in composed that written
// does not have: a label or annotation is judged only where composed's
// differs from written's (the labels of a pod are many, their rules
// regular expressions), the spec's errors are composed's that written's
// are not.
func PodErrorsBeyond(written, composed *corev1.Pod) field.ErrorList {
	var v validator
	meta := field.NewPath("metadata")
	v.changedLabels(meta.Child("labels"), written.Labels, composed.Labels)
	v.changedAnnotations(meta.Child("annotations"), written.Annotations, composed.Annotations)
	spec := field.NewPath("spec")
	var was validator
	was.podSpec(spec, &written.Spec)
	had := make(map[string]bool, len(was.errs))
	for _, e := range was.errs {
		had[e.Error()] = true
	}
	var now validator
	now.podSpec(spec, &composed.Spec)
	for _, e := range now.errs {
		if !had[e.Error()] {
			v.errs = append(v.errs, e)
		}
	}
	return v.errs
}

// changedLabels judges each label of now that was has not, or not so
// (apimachinery's ValidateLabels, entry by entry).
func (v *validator) changedLabels(p *field.Path, was, now map[string]string) {
	for _, k := range sortedKeys(now) {
		w, had := was[k]
		if had && w == now[k] {
			continue
		}
		if !had { // else the written pod's key: what is wrong with it is the user's
			for _, msg := range validation.IsQualifiedName(k) {
				v.invalid(p, k, "%s", msg)
			}
		}
		for _, msg := range validation.IsValidLabelValue(now[k]) {
			v.invalid(p, now[k], "%s", msg)
		}
	}
}

// changedAnnotations judges each annotation key of now that was has not,
// and now's size where an annotation changed (apimachinery's
// ValidateAnnotations).
func (v *validator) changedAnnotations(p *field.Path, was, now map[string]string) {
	changed := false
	for _, k := range sortedKeys(now) {
		if w, ok := was[k]; ok && w == now[k] {
			continue
		}
		changed = true
		if _, ok := was[k]; ok {
			continue // the written pod's key: what is wrong with it is the user's
		}
		for _, msg := range validation.IsQualifiedName(strings.ToLower(k)) {
			v.invalid(p, k, "%s", msg)
		}
	}
	if changed && apivalidation.ValidateAnnotationsSize(now) != nil {
		v.errs = append(v.errs, field.TooLong(p, "", apivalidation.TotalAnnotationSizeLimitB))
	}
}

func (v *validator) podSpec(p *field.Path, spec *corev1.PodSpec) {
	if rp := spec.RestartPolicy; rp != "" && !slices.Contains(restartPolicies, rp) {
		v.errs = append(v.errs, field.NotSupported(p.Child("restartPolicy"), rp, restartPolicies))
	}
	if dp := spec.DNSPolicy; dp != "" && !slices.Contains(dnsPolicies, dp) {
		v.errs = append(v.errs, field.NotSupported(p.Child("dnsPolicy"), dp, dnsPolicies))
	}
	v.dnsConfig(p.Child("dnsConfig"), spec.DNSConfig, spec.DNSPolicy)
	if spec.HostNetwork {
		for i := range spec.Containers {
			for j, port := range spec.Containers[i].Ports {
				if port.HostPort != 0 && port.HostPort != port.ContainerPort {
					v.invalid(p.Child("containers").Index(i).Child("ports").Index(j).Child("hostPort"), port.HostPort,
						"must match `containerPort` when `hostNetwork` is true")
				}
			}
		}
	}
	v.errs = append(v.errs, metav1validation.ValidateLabels(spec.NodeSelector, p.Child("nodeSelector"))...)
	v.podSecurityContext(p.Child("securityContext"), spec.SecurityContext)
	if s := spec.ShareProcessNamespace; s != nil && *s && spec.HostPID {
		v.invalid(p.Child("shareProcessNamespace"), *s, "ShareProcessNamespace and HostPID cannot both be enabled")
	}
	for i, s := range spec.ImagePullSecrets {
		if s != (corev1.LocalObjectReference{Name: s.Name}) {
			v.invalid(p.Child("imagePullSecrets").Index(i), s, "only name may be set")
		}
	}
	v.affinity(p.Child("affinity"), spec.Affinity)
	for i, g := range spec.ReadinessGates {
		v.qualifiedName(p.Child("readinessGates").Index(i).Child("conditionType"), string(g.ConditionType))
	}
	gates := map[string]bool{}
	for i, g := range spec.SchedulingGates {
		v.qualifiedName(p.Child("schedulingGates").Index(i), g.Name)
		if gates[g.Name] {
			v.errs = append(v.errs, field.Duplicate(p.Child("schedulingGates").Index(i), g.Name))
		}
		gates[g.Name] = true
	}
	v.topologySpread(p.Child("topologySpreadConstraints"), spec.TopologySpreadConstraints)
	if spec.Hostname != "" {
		v.addAll(p.Child("hostname"), spec.Hostname, validation.IsDNS1123Label(spec.Hostname))
	}
	if spec.Subdomain != "" {
		v.addAll(p.Child("subdomain"), spec.Subdomain, validation.IsDNS1123Label(spec.Subdomain))
	}
	for i := range spec.Tolerations {
		v.toleration(p.Child("tolerations").Index(i), &spec.Tolerations[i])
	}
	for i, a := range spec.HostAliases {
		ap := p.Child("hostAliases").Index(i)
		v.errs = append(v.errs, validation.IsValidIPForLegacyField(ap.Child("ip"), a.IP, false, nil)...)
		for j, h := range a.Hostnames {
			v.addAll(ap.Child("hostnames").Index(j), h, validation.IsDNS1123Subdomain(h))
		}
	}
	if s := spec.ActiveDeadlineSeconds; s != nil && (*s < 1 || *s > math.MaxInt32) {
		v.invalid(p.Child("activeDeadlineSeconds"), *s, "%s", validation.InclusiveRangeError(1, math.MaxInt32))
	}
	for _, f := range []struct{ name, value string }{
		{"serviceAccountName", spec.ServiceAccountName}, {"priorityClassName", spec.PriorityClassName}, {"nodeName", spec.NodeName},
	} {
		if f.value != "" {
			v.addAll(p.Child(f.name), f.value, validation.IsDNS1123Subdomain(f.value))
		}
	}
	if pp := spec.PreemptionPolicy; pp != nil && !slices.Contains(preemptionPolicies, *pp) {
		v.errs = append(v.errs, field.NotSupported(p.Child("preemptionPolicy"), *pp, preemptionPolicies))
	}
	seen := map[string]int{}
	for i := range spec.Volumes {
		vp := p.Child("volumes").Index(i)
		vol := &spec.Volumes[i]
		v.addAll(vp.Child("name"), vol.Name, validation.IsDNS1123Label(vol.Name))
		if srcs := volumeSources(&vol.VolumeSource); len(srcs) > 1 {
			v.forbidden(vp.Child(srcs[1]), "may not specify more than 1 volume type")
		} else {
			v.volumeSource(vp, &vol.VolumeSource)
		}
		if j, dup := seen[vol.Name]; dup {
			e := field.Duplicate(vp.Child("name"), vol.Name)
			e.Detail = fmt.Sprintf("volume name also at index %d", j)
			v.errs = append(v.errs, e)
		}
		seen[vol.Name] = i
	}
}

var (
	restartPolicies    = []corev1.RestartPolicy{corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}
	dnsPolicies        = []corev1.DNSPolicy{corev1.DNSClusterFirstWithHostNet, corev1.DNSClusterFirst, corev1.DNSDefault, corev1.DNSNone}
	preemptionPolicies = []corev1.PreemptionPolicy{corev1.PreemptLowerPriority, corev1.PreemptNever}
	fsGroupPolicies    = []corev1.PodFSGroupChangePolicy{corev1.FSGroupChangeAlways, corev1.FSGroupChangeOnRootMismatch}
	seccompTypes       = []corev1.SeccompProfileType{corev1.SeccompProfileTypeLocalhost, corev1.SeccompProfileTypeRuntimeDefault, corev1.SeccompProfileTypeUnconfined}
	unsatisfiable      = []corev1.UnsatisfiableConstraintAction{corev1.DoNotSchedule, corev1.ScheduleAnyway}
	inclusionPolicies  = []corev1.NodeInclusionPolicy{corev1.NodeInclusionPolicyHonor, corev1.NodeInclusionPolicyIgnore}
)

// volumeSourceOrder is each source a volume may have, by its field's
// name, in the order in which the API server's validation reads them: it
// refuses the second it finds, at its field. TestVolumeSourceOrder fails
// when corev1.VolumeSource has a source this does not list.
var volumeSourceOrder = []struct {
	name string
	set  func(*corev1.VolumeSource) bool
}{
	{"emptyDir", func(v *corev1.VolumeSource) bool { return v.EmptyDir != nil }},
	{"hostPath", func(v *corev1.VolumeSource) bool { return v.HostPath != nil }},
	{"gitRepo", func(v *corev1.VolumeSource) bool { return v.GitRepo != nil }}, //nolint:staticcheck // a pod may still have one
	{"gcePersistentDisk", func(v *corev1.VolumeSource) bool { return v.GCEPersistentDisk != nil }},
	{"awsElasticBlockStore", func(v *corev1.VolumeSource) bool { return v.AWSElasticBlockStore != nil }},
	{"secret", func(v *corev1.VolumeSource) bool { return v.Secret != nil }},
	{"nfs", func(v *corev1.VolumeSource) bool { return v.NFS != nil }},
	{"iscsi", func(v *corev1.VolumeSource) bool { return v.ISCSI != nil }},
	{"glusterfs", func(v *corev1.VolumeSource) bool { return v.Glusterfs != nil }},
	{"flocker", func(v *corev1.VolumeSource) bool { return v.Flocker != nil }},
	{"persistentVolumeClaim", func(v *corev1.VolumeSource) bool { return v.PersistentVolumeClaim != nil }},
	{"rbd", func(v *corev1.VolumeSource) bool { return v.RBD != nil }},
	{"cinder", func(v *corev1.VolumeSource) bool { return v.Cinder != nil }},
	{"cephfs", func(v *corev1.VolumeSource) bool { return v.CephFS != nil }},
	{"quobyte", func(v *corev1.VolumeSource) bool { return v.Quobyte != nil }},
	{"downwardAPI", func(v *corev1.VolumeSource) bool { return v.DownwardAPI != nil }},
	{"fc", func(v *corev1.VolumeSource) bool { return v.FC != nil }},
	{"flexVolume", func(v *corev1.VolumeSource) bool { return v.FlexVolume != nil }},
	{"configMap", func(v *corev1.VolumeSource) bool { return v.ConfigMap != nil }},
	{"azureFile", func(v *corev1.VolumeSource) bool { return v.AzureFile != nil }},
	{"vsphereVolume", func(v *corev1.VolumeSource) bool { return v.VsphereVolume != nil }},
	{"photonPersistentDisk", func(v *corev1.VolumeSource) bool { return v.PhotonPersistentDisk != nil }},
	{"portworxVolume", func(v *corev1.VolumeSource) bool { return v.PortworxVolume != nil }},
	{"azureDisk", func(v *corev1.VolumeSource) bool { return v.AzureDisk != nil }},
	{"storageos", func(v *corev1.VolumeSource) bool { return v.StorageOS != nil }},
	{"projected", func(v *corev1.VolumeSource) bool { return v.Projected != nil }},
	{"scaleIO", func(v *corev1.VolumeSource) bool { return v.ScaleIO != nil }},
	{"csi", func(v *corev1.VolumeSource) bool { return v.CSI != nil }},
	{"ephemeral", func(v *corev1.VolumeSource) bool { return v.Ephemeral != nil }},
	{"image", func(v *corev1.VolumeSource) bool { return v.Image != nil }},
}

// volumeSources are the sources set in vs, as their fields are named, in
// the order the API server reads them (volumeSourceOrder).
func volumeSources(vs *corev1.VolumeSource) []string {
	var out []string
	for _, src := range volumeSourceOrder {
		if src.set(vs) {
			out = append(out, src.name)
		}
	}
	return out
}

func (v *validator) qualifiedName(p *field.Path, name string) {
	v.addAll(p, name, validation.IsQualifiedName(name))
}

// dnsConfig checks a pod's DNS configuration under its policy.
func (v *validator) dnsConfig(p *field.Path, c *corev1.PodDNSConfig, policy corev1.DNSPolicy) {
	if policy == corev1.DNSNone {
		if c == nil {
			v.required(p, fmt.Sprintf("must provide `dnsConfig` when `dnsPolicy` is %s", corev1.DNSNone))
			return
		}
		if len(c.Nameservers) == 0 {
			v.required(p.Child("nameservers"), fmt.Sprintf("must provide at least one DNS nameserver when `dnsPolicy` is %s", corev1.DNSNone))
			return
		}
	}
	if c == nil {
		return
	}
	if len(c.Nameservers) > maxDNSNameservers {
		v.invalid(p.Child("nameservers"), c.Nameservers, "must not have more than %d nameservers", maxDNSNameservers)
	}
	for i, ns := range c.Nameservers {
		v.errs = append(v.errs, validation.IsValidIPForLegacyField(p.Child("nameservers").Index(i), ns, false, nil)...)
	}
	if len(c.Searches) > maxDNSSearchPaths {
		v.invalid(p.Child("searches"), c.Searches, "must not have more than %d search paths", maxDNSSearchPaths)
	}
	if len(strings.Join(c.Searches, " ")) > maxDNSSearchListChars {
		v.invalid(p.Child("searches"), c.Searches, "must not have more than %d characters (including spaces) in the search list", maxDNSSearchListChars)
	}
	for i, s := range c.Searches {
		if s != "." {
			s = strings.TrimSuffix(s, ".")
			v.addAll(p.Child("searches").Index(i), s, validation.IsDNS1123SubdomainWithUnderscore(s))
		}
	}
	for i, o := range c.Options {
		if o.Name == "" {
			v.required(p.Child("options").Index(i), "must not be empty")
		}
	}
}

// podSecurityContext checks the pod-level security context's IDs and
// policies.
func (v *validator) podSecurityContext(p *field.Path, sc *corev1.PodSecurityContext) {
	if sc == nil {
		return
	}
	id := func(name string, value *int64, check func(int64) []string) {
		if value != nil {
			for _, msg := range check(*value) {
				v.invalid(p.Child(name), *value, "%s", msg)
			}
		}
	}
	id("fsGroup", sc.FSGroup, validation.IsValidGroupID)
	id("runAsUser", sc.RunAsUser, validation.IsValidUserID)
	id("runAsGroup", sc.RunAsGroup, validation.IsValidGroupID)
	for i, g := range sc.SupplementalGroups {
		for _, msg := range validation.IsValidGroupID(g) {
			v.invalid(p.Child("supplementalGroups").Index(i), g, "%s", msg)
		}
	}
	if fp := sc.FSGroupChangePolicy; fp != nil && !slices.Contains(fsGroupPolicies, *fp) {
		v.errs = append(v.errs, field.NotSupported(p.Child("fsGroupChangePolicy"), *fp, fsGroupPolicies))
	}
	v.seccompProfile(p.Child("seccompProfile"), sc.SeccompProfile)
}

// seccompProfile checks a pod's or a container's seccomp profile: a type
// it knows, and a file only for Localhost, below the kubelet's root.
func (v *validator) seccompProfile(p *field.Path, sp *corev1.SeccompProfile) {
	if sp == nil {
		return
	}
	if !slices.Contains(seccompTypes, sp.Type) {
		v.errs = append(v.errs, field.NotSupported(p.Child("type"), sp.Type, seccompTypes))
	}
	switch {
	case sp.Type == corev1.SeccompProfileTypeLocalhost && sp.LocalhostProfile == nil:
		v.required(p.Child("localhostProfile"), "must be set when seccomp type is Localhost")
	case sp.Type == corev1.SeccompProfileTypeLocalhost:
		v.localDescendingPath(p.Child("localhostProfile"), *sp.LocalhostProfile)
	case sp.LocalhostProfile != nil:
		v.invalid(p.Child("localhostProfile"), sp, "can only be set when seccomp type is Localhost")
	}
}

// localDescendingPath checks a path relative to a root it may not leave.
func (v *validator) localDescendingPath(p *field.Path, target string) {
	if path.IsAbs(target) {
		v.invalid(p, target, "must be a relative path")
	}
	v.noBacksteps(p, target)
}

// affinity checks node affinity and pod (anti-)affinity as on a pod's
// creation: label values in required node terms and in selectors must be
// valid; preferred node terms may hold any value.
func (v *validator) affinity(p *field.Path, a *corev1.Affinity) {
	if a == nil {
		return
	}
	if na := a.NodeAffinity; na != nil {
		np := p.Child("nodeAffinity")
		if req := na.RequiredDuringSchedulingIgnoredDuringExecution; req != nil {
			rp := np.Child("requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
			if len(req.NodeSelectorTerms) == 0 {
				v.required(rp, "must have at least one node selector term")
			}
			for i := range req.NodeSelectorTerms {
				v.nodeSelectorTerm(rp.Index(i), &req.NodeSelectorTerms[i], true)
			}
		}
		for i := range na.PreferredDuringSchedulingIgnoredDuringExecution {
			t := &na.PreferredDuringSchedulingIgnoredDuringExecution[i]
			tp := np.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i)
			v.weight(tp.Child("weight"), t.Weight)
			v.nodeSelectorTerm(tp.Child("preference"), &t.Preference, false)
		}
	}
	if pa := a.PodAffinity; pa != nil {
		v.podAffinityTerms(p.Child("podAffinity"), pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	if pa := a.PodAntiAffinity; pa != nil {
		v.podAffinityTerms(p.Child("podAntiAffinity"), pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
}

// podAffinityTerms checks the terms of a pod affinity or anti-affinity.
func (v *validator) podAffinityTerms(p *field.Path, required []corev1.PodAffinityTerm, preferred []corev1.WeightedPodAffinityTerm) {
	for i := range required {
		v.podAffinityTerm(p.Child("requiredDuringSchedulingIgnoredDuringExecution").Index(i), &required[i])
	}
	for i := range preferred {
		tp := p.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i)
		v.weight(tp.Child("weight"), preferred[i].Weight)
		v.podAffinityTerm(tp.Child("podAffinityTerm"), &preferred[i].PodAffinityTerm)
	}
}

func (v *validator) weight(p *field.Path, w int32) {
	if w <= 0 || w > 100 {
		v.invalid(p, w, "must be in the range 1-100")
	}
}

// nodeSelectorTerm checks a node affinity term; labelValues says whether
// its label values are held to the label value rules (a required term's).
func (v *validator) nodeSelectorTerm(p *field.Path, t *corev1.NodeSelectorTerm, labelValues bool) {
	for i := range t.MatchExpressions {
		r := &t.MatchExpressions[i]
		rp := p.Child("matchExpressions").Index(i)
		switch r.Operator {
		case corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn:
			if len(r.Values) == 0 {
				v.required(rp.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'")
			}
		case corev1.NodeSelectorOpExists, corev1.NodeSelectorOpDoesNotExist:
			if len(r.Values) > 0 {
				v.forbidden(rp.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
			}
		case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
			if len(r.Values) != 1 {
				v.required(rp.Child("values"), "must be specified single value when `operator` is 'Lt' or 'Gt'")
			}
		default:
			v.invalid(rp.Child("operator"), r.Operator, "not a valid selector operator")
		}
		v.errs = append(v.errs, metav1validation.ValidateLabelName(r.Key, rp.Child("key"))...)
		if labelValues {
			for j, value := range r.Values {
				v.addAll(rp.Child("values").Index(j), value, validation.IsValidLabelValue(value))
			}
		}
	}
	for i := range t.MatchFields {
		r := &t.MatchFields[i]
		rp := p.Child("matchFields").Index(i)
		switch r.Operator {
		case corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn:
			if len(r.Values) != 1 {
				v.required(rp.Child("values"), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector")
			}
		default:
			v.invalid(rp.Child("operator"), r.Operator, "not a valid selector operator")
		}
		if r.Key != "metadata.name" {
			v.invalid(rp.Child("key"), r.Key, "not a valid field selector key")
			continue
		}
		for j, value := range r.Values {
			v.addAll(rp.Child("values").Index(j), value, validation.IsDNS1123Subdomain(value))
		}
	}
}

// podAffinityTerm checks a pod (anti-)affinity term.
func (v *validator) podAffinityTerm(p *field.Path, t *corev1.PodAffinityTerm) {
	opts := metav1validation.LabelSelectorValidationOptions{}
	v.errs = append(v.errs, metav1validation.ValidateLabelSelector(t.LabelSelector, opts, p.Child("labelSelector"))...)
	v.errs = append(v.errs, metav1validation.ValidateLabelSelector(t.NamespaceSelector, opts, p.Child("namespaceSelector"))...)
	for _, ns := range t.Namespaces {
		v.addAll(p.Child("namespace"), ns, validation.IsDNS1123Label(ns))
	}
	if t.TopologyKey == "" {
		v.required(p.Child("topologyKey"), "can not be empty")
	}
	v.errs = append(v.errs, metav1validation.ValidateLabelName(t.TopologyKey, p.Child("topologyKey"))...)
}

// topologySpread checks topology spread constraints, matchLabelKeys aside.
func (v *validator) topologySpread(p *field.Path, cs []corev1.TopologySpreadConstraint) {
	for i := range cs {
		c := &cs[i]
		cp := p.Index(i)
		if c.MaxSkew <= 0 {
			v.invalid(cp.Child("maxSkew"), c.MaxSkew, "must be greater than zero")
		}
		if c.TopologyKey == "" {
			v.required(cp.Child("topologyKey"), "can not be empty")
		}
		if !slices.Contains(unsatisfiable, c.WhenUnsatisfiable) {
			v.errs = append(v.errs, field.NotSupported(cp.Child("whenUnsatisfiable"), c.WhenUnsatisfiable, unsatisfiable))
		}
		for _, rest := range cs[i+1:] {
			if rest.TopologyKey == c.TopologyKey && rest.WhenUnsatisfiable == c.WhenUnsatisfiable {
				v.errs = append(v.errs, field.Duplicate(cp.Child("{topologyKey, whenUnsatisfiable}"), fmt.Sprintf("{%v, %v}", c.TopologyKey, c.WhenUnsatisfiable)))
				break
			}
		}
		if m := c.MinDomains; m != nil {
			if *m <= 0 {
				v.invalid(cp.Child("minDomains"), *m, "must be greater than zero")
			}
			if c.WhenUnsatisfiable != corev1.DoNotSchedule {
				v.invalid(cp.Child("minDomains"), *m, "can only use minDomains if whenUnsatisfiable=%s, not %s", corev1.DoNotSchedule, c.WhenUnsatisfiable)
			}
		}
		for _, np := range []struct {
			name   string
			policy *corev1.NodeInclusionPolicy
		}{{"nodeAffinityPolicy", c.NodeAffinityPolicy}, {"nodeTaintsPolicy", c.NodeTaintsPolicy}} {
			if np.policy != nil && !slices.Contains(inclusionPolicies, *np.policy) {
				v.errs = append(v.errs, field.NotSupported(cp.Child(np.name), *np.policy, inclusionPolicies))
			}
		}
	}
}
