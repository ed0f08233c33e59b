package manifest

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

const podSecurityV1 = `apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults:
  enforce: baseline
  enforce-version: v1.30
exemptions:
  usernames: [system:serviceaccount:spark-operator:spark-operator]
  runtimeClasses: [kata]
  namespaces: [kube-system]
`

// TestLoadPodSecurity: the configuration of the PodSecurity admission is
// read (LoadAdmission) as the API server reads it, alone or from the AdmissionConfiguration
// that holds it or names its file; what the API server would refuse is
// refused, naming the file and the field.
func TestLoadPodSecurity(t *testing.T) {
	admission := func(plugin string) string {
		return "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: EventRateLimit\n  path: events.yaml\n" + plugin
	}
	embedded := "- name: PodSecurity\n  configuration:\n" + indent(podSecurityV1, "    ")
	for _, tc := range []struct {
		name, file string
		// want is the default enforce level and version, and the exempt
		// namespaces; "none" for no configuration.
		want string
		// err is part of the error; "" for none.
		err string
	}{
		{name: "a PodSecurityConfiguration", file: podSecurityV1, want: "baseline v1.30 [kube-system]"},
		{name: "its defaults", file: "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\n", want: "privileged latest []"},
		{name: "an AdmissionConfiguration holding it", file: admission(embedded), want: "baseline v1.30 [kube-system]"},
		{name: "an AdmissionConfiguration naming its file", file: admission("- name: PodSecurity\n  path: psa/podsecurity.yaml\n"), want: "baseline v1.30 [kube-system]"},
		{name: "an AdmissionConfiguration without it", file: admission(""), want: "none"},
		{name: "a field the plugin does not know", file: strings.Replace(podSecurityV1, "exemptions:", "exemptons:", 1),
			err: `cluster/admission.yaml: PodSecurityConfiguration: strict decoding error: unknown field "exemptons"`},
		{name: "a level the plugin does not know", file: strings.Replace(podSecurityV1, "enforce: baseline", "enforce: strict", 1),
			err: `cluster/admission.yaml: PodSecurityConfiguration: defaults.enforce: Invalid value: "strict"`},
		{name: "an embedded level the plugin does not know", file: admission(strings.Replace(embedded, "enforce: baseline", "enforce: strict", 1)),
			err: `cluster/admission.yaml: AdmissionConfiguration: plugins[1] (PodSecurity).configuration: defaults.enforce: Invalid value: "strict"`},
		{name: "both path and configuration", file: admission(embedded + "  path: psa/podsecurity.yaml\n"),
			err: `cluster/admission.yaml: AdmissionConfiguration: plugins[1] (PodSecurity): both path and configuration; want one`},
		{name: "a path that is not there", file: admission("- name: PodSecurity\n  path: nowhere.yaml\n"),
			err: `cluster/admission.yaml: AdmissionConfiguration: plugins[1] (PodSecurity).path: `},
		{name: "another kind", file: "apiVersion: v1\nkind: Namespace\nmetadata: {name: etl}\n",
			err: `cluster/admission.yaml: Namespace "etl": want a PodSecurityConfiguration or an AdmissionConfiguration`},
		{name: "another AdmissionConfiguration version", file: strings.Replace(admission(""), "apiserver.config.k8s.io/v1", "apiserver.config.k8s.io/v2", 1),
			err: `cluster/admission.yaml: AdmissionConfiguration: apiVersion: unsupported version "apiserver.config.k8s.io/v2"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := filesys.MakeFsInMemory()
			if err := fsys.WriteFile("cluster/admission.yaml", []byte(tc.file)); err != nil {
				t.Fatal(err)
			}
			if err := fsys.WriteFile("cluster/psa/podsecurity.yaml", []byte(podSecurityV1)); err != nil {
				t.Fatal(err)
			}
			a, err := LoadAdmission(fsys, "cluster/admission.yaml")
			cfg := a.PodSecurity
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := "none"
			if cfg != nil {
				got = cfg.Defaults.Enforce + " " + cfg.Defaults.EnforceVersion + " " + "[" + strings.Join(cfg.Exemptions.Namespaces, " ") + "]"
			}
			if got != tc.want {
				t.Errorf("read %q, want %q", got, tc.want)
			}
		})
	}
}

// TestClusterConfigPodSecurity: --cluster-config files may hold the
// PodSecurity admission's configuration beside the cluster's objects;
// two are refused.
func TestClusterConfigPodSecurity(t *testing.T) {
	fsys := filesys.MakeFsInMemory()
	if err := fsys.WriteFile("ns.yaml", []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: etl}\n---\n"+podSecurityV1)); err != nil {
		t.Fatal(err)
	}
	if err := fsys.WriteFile("psa.yaml", []byte(podSecurityV1)); err != nil {
		t.Fatal(err)
	}
	in, err := LoadClusterConfig(fsys, []string{"ns.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Namespaces) != 1 || in.PodSecurity == nil || in.PodSecurity.Defaults.Enforce != "baseline" {
		t.Errorf("namespaces %v, PodSecurity %+v", in.Namespaces, in.PodSecurity)
	}
	if _, err := LoadClusterConfig(fsys, []string{"ns.yaml", "psa.yaml"}); err == nil ||
		!strings.Contains(err.Error(), "psa.yaml: PodSecurityConfiguration #1: a second configuration of the API server's admission; want one") {
		t.Errorf("two configurations: %v", err)
	}
}

// indent is s with each line led by prefix.
func indent(s, prefix string) string {
	lines := strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
	return prefix + strings.Join(lines, prefix) + "\n"
}
