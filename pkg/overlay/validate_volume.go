package overlay

import (
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// maxFileMode is the largest mode of a file a volume projects (0777);
// maxTokenSeconds the longest life of a projected service account token.
const (
	maxFileMode     = 0o777
	minTokenSeconds = 10 * 60
	maxTokenSeconds = 1 << 32
)

// volumeFieldPaths are the fields of its pod a downward API volume may
// project, besides a label or annotation by key.
var volumeFieldPaths = []string{"metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"}

var hostPathTypes = []corev1.HostPathType{"", corev1.HostPathDirectoryOrCreate, corev1.HostPathDirectory, corev1.HostPathFileOrCreate,
	corev1.HostPathFile, corev1.HostPathSocket, corev1.HostPathCharDev, corev1.HostPathBlockDev}

// volumeSource checks the source of a volume at p as the API server's
// validation of every pod checks it (k8s.io/kubernetes's
// validateVolumeSource, whose rules on these sources this follows): a
// volume it refuses is in every pod a layer gives it, so each would be
// refused, in words that name no layer. Judged: emptyDir, hostPath,
// secret, configMap, persistentVolumeClaim, downwardAPI, projected
// (secrets, ConfigMaps, the downward API and service account tokens), csi
// and nfs; fields behind feature gates (an emptyDir's mode, a file's
// user) and every other source are left to the API server.
func (v *validator) volumeSource(p *field.Path, vs *corev1.VolumeSource) {
	switch {
	case vs.EmptyDir != nil:
		if l := vs.EmptyDir.SizeLimit; l != nil && l.Cmp(resource.Quantity{}) < 0 {
			v.forbidden(p.Child("emptyDir", "sizeLimit"), "SizeLimit field must be a valid resource quantity")
		}
	case vs.HostPath != nil:
		hp := p.Child("hostPath")
		if vs.HostPath.Path == "" {
			v.required(hp.Child("path"), "")
			return
		}
		v.noBacksteps(hp.Child("path"), vs.HostPath.Path)
		if t := vs.HostPath.Type; t != nil && !slices.Contains(hostPathTypes, *t) {
			v.errs = append(v.errs, field.NotSupported(hp.Child("type"), *t, hostPathTypes))
		}
	case vs.Secret != nil:
		v.keyedVolume(p.Child("secret"), "secretName", vs.Secret.SecretName, vs.Secret.DefaultMode, vs.Secret.Items)
	case vs.ConfigMap != nil:
		v.keyedVolume(p.Child("configMap"), "name", vs.ConfigMap.Name, vs.ConfigMap.DefaultMode, vs.ConfigMap.Items)
	case vs.PersistentVolumeClaim != nil:
		if vs.PersistentVolumeClaim.ClaimName == "" {
			v.required(p.Child("persistentVolumeClaim", "claimName"), "")
		}
	case vs.DownwardAPI != nil:
		dp := p.Child("downwardAPI")
		v.fileMode(dp.Child("defaultMode"), vs.DownwardAPI.DefaultMode)
		for i := range vs.DownwardAPI.Items {
			v.downwardAPIFile(dp, &vs.DownwardAPI.Items[i])
		}
	case vs.Projected != nil:
		v.projected(p.Child("projected"), vs.Projected)
	case vs.CSI != nil:
		cp := p.Child("csi")
		switch d := vs.CSI.Driver; {
		case d == "":
			v.required(cp.Child("driver"), "")
		case len(d) > validation.DNS1123SubdomainMaxLength/4: // 63
			v.errs = append(v.errs, field.TooLong(cp.Child("driver"), "", 63))
		default:
			v.addAll(cp.Child("driver"), d, validation.IsDNS1123Subdomain(strings.ToLower(d)))
		}
		if ref := vs.CSI.NodePublishSecretRef; ref != nil {
			if ref.Name == "" {
				v.required(cp.Child("nodePublishSecretRef", "name"), "")
			} else {
				v.addAll(cp.Child("name"), ref.Name, validation.IsDNS1123Subdomain(ref.Name))
			}
		}
	case vs.NFS != nil:
		np := p.Child("nfs")
		if vs.NFS.Server == "" {
			v.required(np.Child("server"), "")
		}
		if vs.NFS.Path == "" {
			v.required(np.Child("path"), "")
		}
		if !path.IsAbs(vs.NFS.Path) {
			v.invalid(np.Child("path"), vs.NFS.Path, "must be an absolute path")
		}
	}
}

// projected checks a projected volume: its mode, and each source, one
// kind per source, its paths unique across the volume.
func (v *validator) projected(p *field.Path, pv *corev1.ProjectedVolumeSource) {
	v.fileMode(p.Child("defaultMode"), pv.DefaultMode)
	paths := map[string]bool{}
	for i := range pv.Sources {
		src := &pv.Sources[i]
		sp := p.Child("sources").Index(i)
		kinds := 0
		if src.Secret != nil {
			kinds++
			v.projectedKeys(p, sp.Child("secret"), src.Secret.Name, src.Secret.Items, paths)
		}
		if src.ConfigMap != nil {
			kinds++
			v.projectedKeys(p, sp.Child("configMap"), src.ConfigMap.Name, src.ConfigMap.Items, paths)
		}
		if src.DownwardAPI != nil {
			kinds++
			for j := range src.DownwardAPI.Items {
				f := &src.DownwardAPI.Items[j]
				v.downwardAPIFile(sp.Child("downwardAPI"), f)
				v.uniquePath(p, paths, f.Path)
			}
		}
		if t := src.ServiceAccountToken; t != nil {
			kinds++
			tp := sp.Child("serviceAccountToken")
			switch e := t.ExpirationSeconds; {
			case e == nil: // the API server gives it an hour
			case *e < minTokenSeconds:
				v.invalid(tp.Child("expirationSeconds"), *e, "may not specify a duration less than 10 minutes")
			case *e > maxTokenSeconds:
				v.invalid(tp.Child("expirationSeconds"), *e, "may not specify a duration larger than 2^32 seconds")
			}
			if t.Path == "" {
				v.required(p.Child("path"), "")
			} else {
				v.localPath(p.Child("path"), t.Path)
			}
		}
		if src.ClusterTrustBundle != nil {
			kinds++
		}
		if src.PodCertificate != nil {
			kinds++
		}
		if kinds > 1 {
			v.forbidden(sp, "may not specify more than 1 volume type per source")
		}
	}
}

// keyedVolume checks a Secret or ConfigMap volume at p: its name (in the
// field nameField), its mode and its items.
func (v *validator) keyedVolume(p *field.Path, nameField, name string, mode *int32, items []corev1.KeyToPath) {
	if name == "" {
		v.required(p.Child(nameField), "")
	}
	v.fileMode(p.Child("defaultMode"), mode)
	v.keysToPaths(p.Child("items"), items)
}

// projectedKeys checks a Secret or ConfigMap a projected volume (at p)
// projects, at sp: its name, and its items, at paths no other source of
// the volume projects to.
func (v *validator) projectedKeys(p, sp *field.Path, name string, items []corev1.KeyToPath, paths map[string]bool) {
	if name == "" {
		v.required(sp.Child("name"), "")
	}
	v.keysToPaths(sp.Child("items"), items)
	for _, kp := range items {
		v.uniquePath(p, paths, kp.Path)
	}
}

// keysToPaths checks the items a secret or ConfigMap projects.
func (v *validator) keysToPaths(p *field.Path, items []corev1.KeyToPath) {
	for i := range items {
		kp := &items[i]
		ip := p.Index(i)
		if kp.Key == "" {
			v.required(ip.Child("key"), "")
		}
		if kp.Path == "" {
			v.required(ip.Child("path"), "")
		}
		v.localPath(ip.Child("path"), kp.Path)
		v.fileMode(ip.Child("mode"), kp.Mode)
	}
}

// uniquePath records a path of a projected volume at p, refusing one
// that another of its sources projects.
func (v *validator) uniquePath(p *field.Path, paths map[string]bool, at string) {
	if at == "" {
		return
	}
	if paths[at] {
		v.invalid(p, at, "conflicting duplicate paths")
	}
	paths[at] = true
}

// downwardAPIFile checks a file a downward API volume, or source,
// projects: one of a pod field and a container's resource.
func (v *validator) downwardAPIFile(p *field.Path, f *corev1.DownwardAPIVolumeFile) {
	if f.Path == "" {
		v.required(p.Child("path"), "")
	}
	v.localPath(p.Child("path"), f.Path)
	switch {
	case f.FieldRef != nil:
		v.fieldRef(p.Child("fieldRef"), f.FieldRef, volumeFieldPaths)
		if f.ResourceFieldRef != nil {
			v.invalid(p, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously")
		}
	case f.ResourceFieldRef != nil:
		if f.ResourceFieldRef.ContainerName == "" {
			v.required(p.Child("resourceFieldRef", "containerName"), "")
		} else {
			v.envResourceFieldRef(p.Child("resourceFieldRef"), f.ResourceFieldRef)
		}
	default:
		v.required(p, "one of fieldRef and resourceFieldRef is required")
	}
	v.fileMode(p.Child("mode"), f.Mode)
}

func (v *validator) fileMode(p *field.Path, mode *int32) {
	if mode != nil && (*mode > maxFileMode || *mode < 0) {
		v.invalid(p, *mode, "must be a number between 0 and 0777 (octal), both inclusive")
	}
}

// localPath checks a path a volume projects a file to: relative, below
// the volume.
func (v *validator) localPath(p *field.Path, at string) {
	v.localDescendingPath(p, at)
	if strings.HasPrefix(at, "..") && !strings.HasPrefix(at, "../") {
		v.invalid(p, at, "must not start with '..'")
	}
}

// noBacksteps refuses a path with a ".." element.
func (v *validator) noBacksteps(p *field.Path, at string) {
	if slices.Contains(strings.Split(at, "/"), "..") {
		v.invalid(p, at, "must not contain '..'")
	}
}
