package overlay

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// envSources checks where each variable of env takes its value from
// (envSource).
func (v *validator) envSources(p *field.Path, env []corev1.EnvVar) {
	for i := range env {
		v.envSource(p.Index(i).Child("valueFrom"), &env[i])
	}
}

// envSource checks where an environment variable of a layer takes its
// value from, by the API server's rules for every pod
// (k8s.io/kubernetes's validateEnvVarValueFrom, which this follows; the
// module is not a library this build can import): exactly one source, and
// that one well formed. A variable it refuses is in every pod the layer
// matches, so each would be refused, in words that name no layer.
func (v *validator) envSource(p *field.Path, e *corev1.EnvVar) {
	src := e.ValueFrom
	if src == nil {
		return
	}
	if e.Value != "" {
		v.forbidden(p, "set either value or valueFrom, not both")
		return
	}
	sources := 0
	if ref := src.FieldRef; ref != nil {
		sources++
		v.fieldRef(p.Child("fieldRef"), ref, envFieldPaths)
	}
	if ref := src.ResourceFieldRef; ref != nil {
		sources++
		v.envResourceFieldRef(p.Child("resourceFieldRef"), ref)
	}
	if ref := src.ConfigMapKeyRef; ref != nil {
		sources++
		v.keyRef(p.Child("configMapKeyRef"), "ConfigMap", ref.Name, ref.Key)
	}
	if ref := src.SecretKeyRef; ref != nil {
		sources++
		v.keyRef(p.Child("secretKeyRef"), "Secret", ref.Name, ref.Key)
	}
	if ref := src.FileKeyRef; ref != nil {
		sources++
		v.fileKeyRef(p.Child("fileKeyRef"), ref)
	}
	switch {
	case sources == 0:
		v.required(p, "set one of fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef or fileKeyRef")
	case sources > 1:
		v.forbidden(p, "set only one of fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef or fileKeyRef")
	}
}

// fileKeyRef checks a variable read from a file on a volume of the pod.
// (That the volume is an emptyDir of the pod is the pod's to say.)
func (v *validator) fileKeyRef(p *field.Path, ref *corev1.FileKeySelector) {
	if ref.Key == "" {
		v.required(p.Child("key"), "the variable to read from the file")
	} else {
		v.addAll(p.Child("key"), ref.Key, validation.IsRelaxedEnvVarName(ref.Key))
	}
	if ref.VolumeName == "" {
		v.required(p.Child("volumeName"), "the volume the file is on")
	} else {
		v.addAll(p.Child("volumeName"), ref.VolumeName, validation.IsDNS1123Label(ref.VolumeName))
	}
	switch {
	case ref.Path == "":
		v.required(p.Child("path"), "the file, relative to the volume")
	case slices.Contains(strings.Split(ref.Path, "/"), ".."):
		v.invalid(p.Child("path"), ref.Path, "must not contain '..'")
	}
}

// envFieldPaths are the fields of its pod a container's environment may
// read, besides a label or annotation by key (metadata.labels['k']);
// spec.host is the old name of spec.nodeName.
var envFieldPaths = []string{"metadata.name", "metadata.namespace", "metadata.uid", "spec.host", "spec.nodeName",
	"spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"}

// envFrom checks a container's envFrom list (k8s.io/kubernetes's
// ValidateEnvFrom): each entry one source, of a valid name, its prefix a
// name the API server takes (its relaxed rule, GA since Kubernetes 1.34).
func (v *validator) envFrom(p *field.Path, list []corev1.EnvFromSource) {
	for i := range list {
		e := &list[i]
		if (e.ConfigMapRef == nil) == (e.SecretRef == nil) {
			v.invalid(p, "", "must specify exactly one of: `configMapRef` or `secretRef`")
			continue
		}
		v.envFromSource(p.Index(i), e)
	}
}

// envFromSource checks the prefix and the ConfigMap's or Secret's name of
// one envFrom entry of one source.
func (v *validator) envFromSource(p *field.Path, e *corev1.EnvFromSource) {
	if e.Prefix != "" {
		v.addAll(p.Child("prefix"), e.Prefix, validation.IsRelaxedEnvVarName(e.Prefix))
	}
	ref, name, what := p.Child("configMapRef", "name"), "", "the ConfigMap to read"
	if e.ConfigMapRef != nil {
		name = e.ConfigMapRef.Name
	} else {
		ref, name, what = p.Child("secretRef", "name"), e.SecretRef.Name, "the Secret to read"
	}
	if name == "" {
		v.required(ref, what)
		return
	}
	// The API server reads it as it reads a prefix of a generated name
	// (apimachinery's maskTrailingDash): it may end in "-".
	masked := name
	if len(masked) > 1 && strings.HasSuffix(masked, "-") {
		masked = masked[:len(masked)-1] + "a"
	}
	v.addAll(ref, name, validation.IsDNS1123Subdomain(masked))
}

// fieldRef checks a reference to a field of the pod, one of paths or a
// label or annotation by key (an environment variable's: envFieldPaths;
// a downward API volume's: volumeFieldPaths).
func (v *validator) fieldRef(p *field.Path, ref *corev1.ObjectFieldSelector, paths []string) {
	fp := ref.FieldPath
	if fp == "" {
		v.required(p.Child("fieldPath"), "the pod's field to read")
		return
	}
	if ref.APIVersion != "" && ref.APIVersion != "v1" { // the API server writes v1 where it is unset
		v.invalid(p.Child("fieldPath"), fp, "a field of apiVersion %q, where a pod's fields are of v1", ref.APIVersion)
		return
	}
	if path, key, ok := subscripted(fp); ok {
		switch path {
		case "metadata.labels":
			v.addAll(p, fp, validation.IsQualifiedName(key))
		case "metadata.annotations":
			v.addAll(p, fp, validation.IsQualifiedName(strings.ToLower(key)))
		default:
			v.invalid(p.Child("fieldPath"), fp, "only metadata.labels and metadata.annotations may be read by key")
		}
		return
	}
	if !slices.Contains(paths, fp) {
		v.errs = append(v.errs, field.NotSupported(p.Child("fieldPath"), fp, paths))
	}
}

// subscripted splits a field path of the form path['key']
// (k8s.io/kubernetes's fieldpath.SplitMaybeSubscriptedPath).
func subscripted(fp string) (path, key string, ok bool) {
	if !strings.HasSuffix(fp, "']") {
		return "", "", false
	}
	s := strings.TrimSuffix(fp, "']")
	i := strings.Index(s, "['")
	if i <= 0 {
		return "", "", false
	}
	return s[:i], s[i+2:], true
}

// envResources are the container resources an environment variable may
// read; hugepages by the prefixes envHugePages.
var (
	envResources  = []string{"limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"}
	envHugePages  = []string{"limits.hugepages-", "requests.hugepages-"}
	cpuDivisors   = []string{"1m", "1"}
	bytesDivisors = []string{"1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"}
)

func (v *validator) envResourceFieldRef(p *field.Path, ref *corev1.ResourceFieldSelector) {
	r := ref.Resource
	hugePages := slices.ContainsFunc(envHugePages, func(prefix string) bool { return strings.HasPrefix(r, prefix) })
	switch {
	case r == "":
		v.required(p.Child("resource"), "the container's resource to read, such as limits.memory")
		return
	case !hugePages && !slices.Contains(envResources, r):
		v.errs = append(v.errs, field.NotSupported(p.Child("resource"), r, envResources))
		return
	}
	if ref.Divisor.IsZero() {
		return // unset
	}
	divisors := bytesDivisors
	if strings.HasSuffix(r, ".cpu") {
		divisors = cpuDivisors
	}
	if d := ref.Divisor.String(); !slices.Contains(divisors, d) {
		v.errs = append(v.errs, field.NotSupported(p.Child("divisor"), d, divisors))
	}
}

// keyRef checks a reference to one key of a ConfigMap or Secret (kind).
func (v *validator) keyRef(p *field.Path, kind, name, key string) {
	if name == "" {
		v.required(p.Child("name"), "the "+kind+" to read")
	} else {
		v.addAll(p.Child("name"), name, validation.IsDNS1123Subdomain(name))
	}
	if key == "" {
		v.required(p.Child("key"), "the key of the "+kind+" to read")
		return
	}
	v.addAll(p.Child("key"), key, validation.IsConfigMapKey(key))
}
