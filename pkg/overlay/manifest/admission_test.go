package manifest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	resourcequotaapi "k8s.io/apiserver/pkg/admission/plugin/resourcequota/apis/resourcequota"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/strata-dev/strata/pkg/overlay"
)

// TestLoadAdmissionPlacement: the PodNodeSelector and
// PodTolerationRestriction plugins' configuration is read from the
// AdmissionConfiguration as the API server reads it, embedded or by path,
// beside PodSecurity's; what the plugins would fail on, and any field
// Strata cannot read, is refused, naming the file, the plugin and the
// field.
func TestLoadAdmissionPlacement(t *testing.T) {
	admission := func(plugins string) string {
		return "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: EventRateLimit\n  path: events.yaml\n" + plugins
	}
	const selector = "podNodeSelectorPluginConfig:\n  clusterDefaultNodeSelector: node.strata.dev/zone=shared,tier=batch\n  etl: node.strata.dev/pool=etl\n"
	const tolerations = "apiVersion: podtolerationrestriction.admission.k8s.io/v1alpha1\nkind: Configuration\n" +
		"default:\n- {key: node.strata.dev/shared, operator: Exists, effect: NoSchedule}\nwhitelist:\n- {key: node.strata.dev/spot}\n"
	embedded := "- name: PodNodeSelector\n  configuration:\n" + indent(selector, "    ") +
		"- name: PodTolerationRestriction\n  configuration:\n" + indent(tolerations, "    ")
	spot := []corev1.Toleration{{Key: "node.strata.dev/spot"}}
	want := overlay.ClusterPlacement{NodeSelector: map[string]string{"node.strata.dev/zone": "shared", "tier": "batch"},
		Tolerations:            []corev1.Toleration{{Key: "node.strata.dev/shared", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
		NodeSelectorWhitelists: map[string]map[string]string{"etl": {"node.strata.dev/pool": "etl"}}, TolerationsWhitelist: spot}
	for _, tc := range []struct {
		name, file string
		want       overlay.ClusterPlacement
		// podSecurity: PodSecurity's configuration is read too.
		podSecurity bool
		err         string
	}{
		{name: "embedded", file: admission(embedded), want: want},
		{name: "by path", file: admission("- name: PodNodeSelector\n  path: selector.yaml\n- name: PodTolerationRestriction\n  path: plugins/tolerations.yaml\n"), want: want},
		{name: "beside PodSecurity", file: admission(embedded + "- name: PodSecurity\n  configuration:\n" + indent(podSecurityV1, "    ")), want: want, podSecurity: true},
		{name: "as JSON", file: admission("- name: PodNodeSelector\n  configuration: {\"podNodeSelectorPluginConfig\": {\"clusterDefaultNodeSelector\": \"tier=batch\"}}\n"),
			want: overlay.ClusterPlacement{NodeSelector: map[string]string{"tier": "batch"}}},
		{name: "the v1 tolerations", file: admission("- name: PodTolerationRestriction\n  configuration:\n" +
			indent(strings.Replace(tolerations, "v1alpha1", "v1", 1), "    ")), want: overlay.ClusterPlacement{Tolerations: want.Tolerations, TolerationsWhitelist: spot}},
		{name: "no default", file: admission("- name: PodNodeSelector\n  configuration:\n    podNodeSelectorPluginConfig: {etl: pool=etl}\n- name: PodTolerationRestriction\n"),
			want: overlay.ClusterPlacement{NodeSelectorWhitelists: map[string]map[string]string{"etl": {"pool": "etl"}}}},
		{name: "neither plugin", file: admission(""), want: overlay.ClusterPlacement{}},
		{name: "a PodSecurityConfiguration alone", file: podSecurityV1, podSecurity: true},
		{name: "a default selector the plugin cannot read", file: admission(strings.Replace(embedded, "tier=batch", "tier!=batch", 1)),
			err: `cluster/admission.yaml: AdmissionConfiguration: plugins[1] (PodNodeSelector).configuration: podNodeSelectorPluginConfig[clusterDefaultNodeSelector]: Invalid value: "node.strata.dev/zone=shared,tier!=batch": want a node selector of equalities`},
		{name: "a namespace's selector the plugin cannot read", file: admission(strings.Replace(embedded, "pool=etl", "pool in (etl)", 1)),
			err: `plugins[1] (PodNodeSelector).configuration: podNodeSelectorPluginConfig[etl]: Invalid value: "node.strata.dev/pool in (etl)"`},
		{name: "a namespace's selector of a key no label has", file: admission(strings.Replace(embedded, "pool=etl", "pool x=etl", 1)),
			err: `plugins[1] (PodNodeSelector).configuration: podNodeSelectorPluginConfig[etl]: Invalid value: "node.strata.dev/pool x=etl": want a node selector of equalities (key=value,...): Invalid value: "node.strata.dev/pool x": name part must consist`},
		{name: "a misspelt PodNodeSelector field", file: admission(strings.Replace(embedded, "podNodeSelectorPluginConfig", "podNodeSelectorConfig", 1)),
			err: `plugins[1] (PodNodeSelector).configuration: unknown field "podNodeSelectorConfig"`},
		{name: "a misspelt PodTolerationRestriction field", file: admission(strings.Replace(embedded, "default:", "defaults:", 1)),
			err: `plugins[2] (PodTolerationRestriction).configuration: unknown field "defaults"`},
		{name: "a PodTolerationRestriction field of the wrong type", file: admission(strings.Replace(embedded, "operator: Exists, effect: NoSchedule", "operator: Exists, effect: NoSchedule, tolerationSeconds: soon", 1)),
			err: `plugins[2] (PodTolerationRestriction).configuration: default[0].tolerationSeconds: expected int64, got JSON string`},
		{name: "a toleration the API server refuses", file: admission(strings.Replace(embedded, "operator: Exists, effect: NoSchedule", "operator: Exists, effect: Sometimes", 1)),
			err: `plugins[2] (PodTolerationRestriction).configuration: default[0].effect: Unsupported value: "Sometimes"`},
		{name: "a whitelist toleration the API server refuses", file: admission(strings.Replace(embedded, "{key: node.strata.dev/spot}", "{key: node.strata.dev/spot, operator: Exists, value: x}", 1)),
			err: `plugins[2] (PodTolerationRestriction).configuration: whitelist[0].value: Invalid value: "x": must be empty when operator is Exists`},
		{name: "another tolerations kind", file: admission(strings.Replace(embedded, "kind: Configuration", "kind: TolerationConfiguration", 1)),
			err: `plugins[2] (PodTolerationRestriction).configuration: apiVersion "podtolerationrestriction.admission.k8s.io/v1alpha1", kind "TolerationConfiguration": want kind Configuration of podtolerationrestriction.admission.k8s.io/v1`},
		{name: "a path that is not there", file: admission("- name: PodTolerationRestriction\n  path: nowhere.yaml\n"),
			err: `cluster/admission.yaml: AdmissionConfiguration: plugins[1] (PodTolerationRestriction).path: `},
		{name: "a plugin twice", file: admission(embedded + "- name: PodNodeSelector\n  path: selector.yaml\n"),
			err: `cluster/admission.yaml: AdmissionConfiguration: plugins[3] (PodNodeSelector): a second configuration of the plugin; want one`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := memFS(t, map[string]string{"cluster/admission.yaml": tc.file, "cluster/selector.yaml": selector,
				"cluster/plugins/tolerations.yaml": tolerations, "cluster/psa/podsecurity.yaml": podSecurityV1})
			got, err := LoadAdmission(fsys, "cluster/admission.yaml")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.ClusterPlacement, tc.want) {
				t.Errorf("placement %+v, want %+v", got.ClusterPlacement, tc.want)
			}
			if (got.PodSecurity != nil) != tc.podSecurity {
				t.Errorf("PodSecurity %+v, want one: %v", got.PodSecurity, tc.podSecurity)
			}
		})
	}
}

// TestClusterConfigPlacement: --cluster-config reads the placement
// plugins' configuration from the AdmissionConfiguration among its files.
func TestClusterConfigPlacement(t *testing.T) {
	fsys := filesys.MakeFsInMemory()
	admission := "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n" +
		"- name: PodNodeSelector\n  configuration: {podNodeSelectorPluginConfig: {clusterDefaultNodeSelector: zone=shared}}\n"
	if err := fsys.WriteFile("cluster.yaml", []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: etl}\n---\n"+admission)); err != nil {
		t.Fatal(err)
	}
	in, err := LoadClusterConfig(fsys, []string{"cluster.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(in.ClusterPlacement.NodeSelector); len(in.Namespaces) != 1 || got != "map[zone:shared]" {
		t.Errorf("namespaces %v, the cluster's node selector %s", in.Namespaces, got)
	}
}

// TestLoadAdmissionResourceQuota: the ResourceQuota plugin's
// limitedResources are read as the plugin reads them, of each of its
// versions, embedded or by path, and through --cluster-config; a field
// the plugin does not know, a version it does not serve and a limited
// resource without its resource are refused, naming the file, the plugin
// and the field.
func TestLoadAdmissionResourceQuota(t *testing.T) {
	const limited = "limitedResources:\n- resource: pods\n  matchContains: [nvidia.com/gpu]\n" +
		"- resource: pods\n  matchScopes:\n  - {scopeName: PriorityClass, operator: In, values: [cluster-services]}\n"
	quota := func(version string) string {
		kind := "ResourceQuotaConfiguration"
		if version != "apiserver.config.k8s.io/v1" {
			kind = "Configuration" // the older versions' kind
		}
		return "apiVersion: " + version + "\nkind: " + kind + "\n" + limited
	}
	admission := func(plugins string) string {
		return "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n" + plugins
	}
	want := []resourcequotaapi.LimitedResource{{Resource: "pods", MatchContains: []string{"nvidia.com/gpu"}},
		{Resource: "pods", MatchScopes: []corev1.ScopedResourceSelectorRequirement{{ScopeName: corev1.ResourceQuotaScopePriorityClass,
			Operator: corev1.ScopeSelectorOpIn, Values: []string{"cluster-services"}}}}}
	for _, tc := range []struct {
		name, file, err string
		want            []resourcequotaapi.LimitedResource
	}{
		{name: "embedded", file: admission("- name: ResourceQuota\n  configuration:\n" + indent(quota("apiserver.config.k8s.io/v1"), "    ")), want: want},
		{name: "by path", file: admission("- name: ResourceQuota\n  path: quota.yaml\n"), want: want},
		{name: "v1beta1", file: admission("- name: ResourceQuota\n  configuration:\n" + indent(quota("resourcequota.admission.k8s.io/v1beta1"), "    ")), want: want},
		{name: "v1alpha1", file: admission("- name: ResourceQuota\n  configuration:\n" + indent(quota("resourcequota.admission.k8s.io/v1alpha1"), "    ")), want: want},
		{name: "none", file: admission("- name: ResourceQuota\n")},
		{name: "nothing limited", file: admission("- name: ResourceQuota\n  configuration: {apiVersion: apiserver.config.k8s.io/v1, kind: ResourceQuotaConfiguration}\n")},
		{name: "a misspelt field", file: admission("- name: ResourceQuota\n  configuration:\n" +
			indent(strings.Replace(quota("apiserver.config.k8s.io/v1"), "matchContains", "matchContain", 1), "    ")),
			err: `cluster/admission.yaml: AdmissionConfiguration: plugins[0] (ResourceQuota).configuration: want a ResourceQuotaConfiguration of apiserver.config.k8s.io/v1: strict decoding error: unknown field "limitedResources[0].matchContain"`},
		{name: "a version the plugin does not serve", file: admission("- name: ResourceQuota\n  configuration:\n" + indent(strings.Replace(quota("apiserver.config.k8s.io/v1"), "/v1", "/v2", 1), "    ")),
			err: `plugins[0] (ResourceQuota).configuration: want a ResourceQuotaConfiguration of apiserver.config.k8s.io/v1: no kind "ResourceQuotaConfiguration" is registered for version "apiserver.config.k8s.io/v2"`},
		{name: "no resource", file: admission("- name: ResourceQuota\n  configuration:\n" + indent(strings.Replace(quota("apiserver.config.k8s.io/v1"), "resource: pods\n  matchContains", "matchContains", 1), "    ")),
			err: `plugins[0] (ResourceQuota).configuration: limitedResources[0].resource: Required value`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := memFS(t, map[string]string{"cluster/admission.yaml": tc.file, "cluster/quota.yaml": quota("apiserver.config.k8s.io/v1")})
			got, err := LoadAdmission(fsys, "cluster/admission.yaml")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.LimitedResources, tc.want) {
				t.Errorf("limited %+v, want %+v", got.LimitedResources, tc.want)
			}
			in, err := LoadClusterConfig(fsys, []string{"cluster/admission.yaml"})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(in.LimitedResources, tc.want) {
				t.Errorf("--cluster-config: limited %+v, want %+v", in.LimitedResources, tc.want)
			}
		})
	}
}
