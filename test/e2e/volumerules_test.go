package e2e

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestLayerVolumesAreJudgedAsTheAPIServerJudgesPods: a Layer's volume is
// refused exactly when the real API server refuses a pod that has it, and
// at the same field: each source's required fields, modes, paths, items
// and projections. Both are dry runs, so nothing is stored.
func TestLayerVolumesAreJudgedAsTheAPIServerJudgesPods(t *testing.T) {
	ctx := context.Background()
	namespace := exemptNamespace(t) // no Strata webhook judges its plain pods
	mode := func(m int32) *int32 { return &m }
	hostPathType := func(s string) *corev1.HostPathType { t := corev1.HostPathType(s); return &t }
	items := func(kp ...corev1.KeyToPath) []corev1.KeyToPath { return kp }
	token := func(seconds int64, path string) corev1.VolumeProjection {
		return corev1.VolumeProjection{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Audience: "sts.amazonaws.com", ExpirationSeconds: &seconds, Path: path}}
	}
	cm := func(name string, kp ...corev1.KeyToPath) *corev1.ConfigMapProjection {
		return &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Items: kp}
	}
	negative := resource.MustParse("-1Gi")
	tests := []struct {
		name    string
		source  corev1.VolumeSource
		refused string // the field under the volume the API server names; "" for allowed
	}{
		{"an emptyDir of a size", corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: new(resource.MustParse("1Gi"))}}, ""},
		{"an emptyDir of a negative size", corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: &negative}}, "emptyDir.sizeLimit"},
		{"a host path", corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/mnt/ssd", Type: hostPathType("DirectoryOrCreate")}}, ""},
		{"a host path of no path", corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{}}, "hostPath.path"},
		{"a host path stepping back", corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/mnt/../etc"}}, "hostPath.path"},
		{"a host path of a type of none known", corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/mnt", Type: hostPathType("Folder")}}, "hostPath.type"},
		{"a secret of items", corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds", DefaultMode: mode(0o400), Items: items(corev1.KeyToPath{Key: "k", Path: "a/k", Mode: mode(0o440)})}}, ""},
		{"volumes the API server takes, each of every field the rules read", corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds", Optional: new(true),
			DefaultMode: mode(0), Items: items(corev1.KeyToPath{Key: "a.b", Path: "x/..y", Mode: mode(0o777)})}}, ""},
		{"a ConfigMap that is optional", corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "conf"}, Optional: new(true),
			Items: items(corev1.KeyToPath{Key: "log4j2.xml", Path: "log4j2.xml"})}}, ""},
		{"a claim read-only", corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "spill", ReadOnly: true}}, ""},
		{"a CSI volume of a publish secret", corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: "Secrets-Store.csi.k8s.io", FSType: new("ext4"),
			NodePublishSecretRef: &corev1.LocalObjectReference{Name: "csi-creds"}}}, ""},
		{"an NFS volume", corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Server: "10.0.0.5", Path: "/exports/spark", ReadOnly: true}}, ""},
		{"the downward API of an annotation by key and a mode", corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{DefaultMode: mode(0o444), Items: []corev1.DownwardAPIVolumeFile{
			{Path: "note", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.annotations['Example.com/Note']"}, Mode: mode(0o400)}}}}, ""},
		{"a secret of no name", corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{}}, "secret.secretName"},
		{"a secret of a mode above 0777", corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds", DefaultMode: mode(0o1000)}}, "secret.defaultMode"},
		{"a secret's item of no key", corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds", Items: items(corev1.KeyToPath{Path: "k"})}}, "secret.items[0].key"},
		{"a secret's item at an absolute path", corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds", Items: items(corev1.KeyToPath{Key: "k", Path: "/k"})}}, "secret.items[0].path"},
		{"a secret's item above the volume", corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds", Items: items(corev1.KeyToPath{Key: "k", Path: "a/../../k"})}}, "secret.items[0].path"},
		{"a secret's item at a path starting with ..", corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds", Items: items(corev1.KeyToPath{Key: "k", Path: "..k"})}}, "secret.items[0].path"},
		{"a secret's item of a negative mode", corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds", Items: items(corev1.KeyToPath{Key: "k", Path: "k", Mode: mode(-1)})}}, "secret.items[0].mode"},
		{"a ConfigMap of no name", corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}, "configMap.name"},
		{"a ConfigMap's item of no path", corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "conf"}, Items: items(corev1.KeyToPath{Key: "k"})}}, "configMap.items[0].path"},
		{"a claim of no name", corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{}}, "persistentVolumeClaim.claimName"},
		{"the downward API", corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
			{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
			{Path: "mem", ResourceFieldRef: &corev1.ResourceFieldSelector{ContainerName: "main", Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}}}}}, ""},
		{"the downward API of a field it cannot project", corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
			{Path: "node", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}}}}, "downwardAPI.fieldRef.fieldPath"},
		{"the downward API of a resource of no container", corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
			{Path: "mem", ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.memory"}}}}}, "downwardAPI.resourceFieldRef.containerName"},
		{"the downward API of no source", corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{{Path: "x"}}}}, "downwardAPI"},
		{"a projected token and ConfigMap", corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
			token(86400, "token"), {ConfigMap: cm("ca", corev1.KeyToPath{Key: "ca.crt", Path: "ca.crt"})}}}}, ""},
		{"a projected token of no life of its own: an hour", corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}}}}}, ""},
		{"a projected token of a short life", corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{token(60, "token")}}},
			"projected.sources[0].serviceAccountToken.expirationSeconds"},
		{"a projected token of no path", corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{token(3600, "")}}}, "projected.path"},
		{"a projection of two kinds", corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: token(3600, "token").ServiceAccountToken, ConfigMap: cm("ca")}}}}, "projected.sources[0]"},
		{"two projections of one path", corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
			{ConfigMap: cm("a", corev1.KeyToPath{Key: "k", Path: "conf"})}, {ConfigMap: cm("b", corev1.KeyToPath{Key: "k", Path: "conf"})}}}}, "projected"},
		{"a projected ConfigMap of no name", corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{ConfigMap: cm("")}}}},
			"projected.sources[0].configMap.name"},
		{"a CSI volume", corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: "secrets-store.csi.k8s.io", ReadOnly: new(true),
			VolumeAttributes: map[string]string{"secretProviderClass": "spark"}}}, ""},
		{"a CSI volume of no driver", corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{}}, "csi.driver"},
		{"a CSI volume of a bad driver", corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: "secrets_store"}}, "csi.driver"},
		{"an NFS volume of a relative path", corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Server: "nfs.internal", Path: "exports"}}, "nfs.path"},
		{"an NFS volume of no server", corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Path: "/exports"}}, "nfs.server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vol := corev1.Volume{Name: "v", VolumeSource: tt.source}
			pod := plainPod("volume-rules", namespace, "busybox:1.36")
			pod.Spec.Volumes = []corev1.Volume{vol}
			pod.Spec.ServiceAccountName = "default" // the ServiceAccount plugin's, which envtest runs without
			podField := causeField(cp.Client.Create(ctx, pod, client.DryRunAll))
			if want := prefixed("spec.volumes[0]", tt.refused); podField != want {
				t.Fatalf("the API server: refused at %q, want %q (the case is wrong)", podField, want)
			}
			layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "volume-rules"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterDefaults,
				Match: v1alpha1.Match{Namespaces: []string{"volume-rules"}}, Config: &v1alpha1.Config{Volumes: []corev1.Volume{vol}}}}
			if want, got := prefixed("spec.config.volumes[0]", tt.refused), causeField(cp.Client.Create(ctx, layer, client.DryRunAll)); got != want {
				t.Errorf("the Layer: refused at %q, want %q, where the API server refuses the pod", got, want)
			}
		})
	}
}
