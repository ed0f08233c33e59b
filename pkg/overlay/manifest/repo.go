package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/quantity"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// originAnnotation is where kustomize records a resource's source file when
// a kustomization asks for `buildMetadata: [originAnnotations]`.
const originAnnotation = "config.kubernetes.io/origin"

// LoadRepo reads a layer repository. If dir holds a kustomization, it is
// built in-process with kustomize's krusty, exactly as `kubectl kustomize dir`
// would; otherwise every .yaml, .yml and .json file below dir is read, in
// lexical order. Layer objects are decoded strictly; Namespace,
// PriorityClass, RuntimeClass, LimitRange, ResourceQuota and admission policy objects are
// kept for composition and the policies; other kinds are ignored.
// Every problem found is returned, joined.
func LoadRepo(fsys filesys.FileSystem, dir string) (overlay.Inputs, error) {
	docs, err := repoDocuments(fsys, dir)
	if err != nil {
		return overlay.Inputs{}, err
	}
	return inputsFrom(docs)
}

// IsKustomization reports whether dir holds a kustomization file.
func IsKustomization(fsys filesys.FileSystem, dir string) bool {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		if fsys.Exists(filepath.Join(dir, name)) {
			return true
		}
	}
	return false
}

func repoDocuments(fsys filesys.FileSystem, dir string) ([]Document, error) {
	if !fsys.IsDir(dir) {
		return nil, fmt.Errorf("%s: not a directory (want a layer repository: a kustomization or a directory of YAML/JSON files)", dir)
	}
	if IsKustomization(fsys, dir) {
		return kustomizeDocuments(fsys, dir)
	}
	var files []string
	err := fsys.Walk(dir, func(path string, info fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() {
			if path != dir && strings.HasPrefix(info.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".yaml", ".yml", ".json":
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: reading layer repository: %w", dir, err)
	}
	slices.Sort(files)
	var docs []Document
	var errs []error
	for _, f := range files {
		data, err := fsys.ReadFile(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f, err))
			continue
		}
		d, err := DecodeDocuments(f, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		docs = append(docs, d...)
	}
	return docs, errors.Join(errs...)
}

func kustomizeDocuments(fsys filesys.FileSystem, dir string) ([]Document, error) {
	// kustomize keeps the last of two equal keys; the repository's own
	// files are checked first, so no setting is dropped silently.
	if err := duplicateKeysBelow(fsys, dir); err != nil {
		return nil, err
	}
	opts := krusty.MakeDefaultOptions()
	resMap, err := krusty.MakeKustomizer(opts).Run(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("%s: kustomize build: %w", dir, err)
	}
	built := dir + " (kustomize build)"
	var docs []Document
	for i, r := range resMap.Resources() {
		file := built
		if origin, err := r.GetOrigin(); err == nil && origin != nil && origin.Path != "" {
			file = filepath.Join(dir, origin.Path)
			_ = r.SetOrigin(nil) // Strata's own annotation-free copy
		}
		raw, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("%s: %s %q: encoding: %w", built, r.GetKind(), r.GetName(), err)
		}
		docs = append(docs, Document{File: file, Index: i, APIVersion: r.GetApiVersion(), Kind: r.GetKind(), Name: r.GetName(), Raw: raw})
	}
	return docs, nil
}

// duplicateKeysBelow checks every YAML file below dir for keys set twice.
func duplicateKeysBelow(fsys filesys.FileSystem, dir string) error {
	var errs []error
	err := fsys.Walk(dir, func(path string, info fs.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".yaml", ".yml":
			data, err := fsys.ReadFile(path)
			if err != nil {
				return err
			}
			if err := checkDuplicateKeys(path, data); err != nil {
				errs = append(errs, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: reading layer repository: %w", dir, err)
	}
	return errors.Join(errs...)
}

// appendDecoded decodes d strictly onto the end of list, or its error
// onto the end of errs, in d's apiVersion (the version it is read as:
// apiVersionRead).
func appendDecoded[T any](d *Document, list *[]T, errs []error) []error {
	var obj T
	if err := decodeStrict(d, &obj); err != nil {
		return append(errs, err)
	}
	if o, ok := any(&obj).(interface{ GetObjectKind() schema.ObjectKind }); ok {
		o.GetObjectKind().SetGroupVersionKind(schema.FromAPIVersionAndKind(d.APIVersion, d.Kind))
	}
	*list = append(*list, obj)
	return errs
}

func inputsFrom(docs []Document) (overlay.Inputs, error) {
	var in overlay.Inputs
	var errs []error
	versions := readVersions()
	for i := range docs {
		d := &docs[i]
		apiVersion, err := apiVersionRead(d, versions)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if apiVersion != d.APIVersion {
			read := *d
			read.APIVersion = apiVersion
			d = &read
		}
		switch {
		case d.Kind == v1alpha1.LayerKind && groupOf(d.APIVersion) == v1alpha1.GroupVersion.Group:
			l, err := DecodeLayer(d)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			in.Layers = append(in.Layers, overlay.LayerSource{Layer: *l, File: d.File})
		case d.Kind == "Namespace" && d.APIVersion == "v1":
			errs = appendDecoded(d, &in.Namespaces, errs)
		case d.Kind == "PriorityClass" && d.APIVersion == schedulingv1.SchemeGroupVersion.String():
			errs = appendDecoded(d, &in.PriorityClasses, errs)
		case d.Kind == "RuntimeClass" && d.APIVersion == nodev1.SchemeGroupVersion.String():
			errs = appendDecoded(d, &in.RuntimeClasses, errs)
		case d.Kind == "LimitRange" && d.APIVersion == "v1":
			errs = appendNamespaced(d, &in.LimitRanges, "a LimitRange bounds the pods of its namespace", errs)
		case d.Kind == "ResourceQuota" && d.APIVersion == "v1":
			errs = appendNamespaced(d, &in.ResourceQuotas, "a ResourceQuota bounds the pods of its namespace", errs)
		case d.Kind == "ValidatingAdmissionPolicy" && d.APIVersion == admissionregistrationv1.SchemeGroupVersion.String():
			errs = appendDecoded(d, &in.AdmissionPolicies, errs)
		case d.Kind == "ValidatingAdmissionPolicyBinding" && d.APIVersion == admissionregistrationv1.SchemeGroupVersion.String():
			errs = appendDecoded(d, &in.AdmissionPolicyBindings, errs)
		case d.Kind == "MutatingAdmissionPolicy" && d.APIVersion == admissionregistrationv1.SchemeGroupVersion.String():
			errs = appendDecoded(d, &in.MutatingPolicies.Policies, errs)
		case d.Kind == "MutatingAdmissionPolicyBinding" && d.APIVersion == admissionregistrationv1.SchemeGroupVersion.String():
			errs = appendDecoded(d, &in.MutatingPolicies.Bindings, errs)
		case groupOf(d.APIVersion) == v1alpha1.GroupVersion.Group && d.Kind != policyTestKind,
			d.Kind == v1alpha1.LayerKind:
			// A misspelt kind of Strata's, or a Layer of another group,
			// would otherwise be skipped, and its settings lost.
			errs = append(errs, fmt.Errorf("%s%s: apiVersion %q kind %q: not a Strata object (want apiVersion %s kind %s)",
				d.filePrefix(), d.Subject(), d.APIVersion, d.Kind, v1alpha1.GroupVersion.String(), v1alpha1.LayerKind))
		case d.Kind != "" && d.APIVersion != "" && d.Kind != policyTestKind && d.Kind != podSecurityConfigurationKind && d.Kind != admissionConfigurationKind:
			// What a MutatingAdmissionPolicy's paramKind may name; a
			// document that is no object (no kind) names nothing.
			var u unstructured.Unstructured
			if err := u.UnmarshalJSON(d.Raw); err != nil {
				errs = append(errs, fmt.Errorf("%s%s: %w", d.filePrefix(), d.Subject(), err))
				continue
			}
			in.MutatingPolicies.Params = append(in.MutatingPolicies.Params, u)
		}
	}
	return in, errors.Join(errs...)
}

// appendNamespaced decodes the namespaced object d (a LimitRange, a
// ResourceQuota) strictly onto the end of list, or its error onto the end
// of errs: one without a namespace is an error (why says why it needs
// one), and so is a quantity of an exponent the API server would refuse.
func appendNamespaced[T any, PT interface {
	*T
	GetNamespace() string
}](d *Document, list *[]T, why string, errs []error) []error {
	// A quantity of a huge exponent would take minutes to decode.
	if err := quantity.CheckJSON(d.Raw, reflect.TypeFor[T]()); err != nil {
		return append(errs, fmt.Errorf("%s%s: %w", d.filePrefix(), d.Subject(), err))
	}
	n := len(*list)
	if errs = appendDecoded(d, list, errs); len(*list) == n {
		return errs
	}
	if PT(&(*list)[n]).GetNamespace() == "" {
		*list = (*list)[:n]
		return append(errs, fmt.Errorf("%s%s: metadata.namespace: Required value: %s", d.filePrefix(), d.Subject(), why))
	}
	return errs
}

// policyTestKind is composer test's kind, which may live beside the layers.
const policyTestKind = "PolicyTest"

func groupOf(apiVersion string) string {
	if g, _, ok := strings.Cut(apiVersion, "/"); ok {
		return g
	}
	return ""
}

// DecodeLayer decodes a Layer strictly: an unknown or duplicate field, a
// value of the wrong type or an unsupported version is an error naming the
// file, the Layer and the field.
func DecodeLayer(d *Document) (*v1alpha1.Layer, error) {
	if d.APIVersion != v1alpha1.GroupVersion.String() {
		return nil, fmt.Errorf("%s%s: apiVersion: unsupported version %q (want %s)",
			d.filePrefix(), d.Subject(), d.APIVersion, v1alpha1.GroupVersion.String())
	}
	// A quantity of a huge exponent would take minutes to decode; the
	// API server refuses one in a limit by the CRD's schema.
	if err := quantity.CheckJSON(d.Raw, reflect.TypeFor[v1alpha1.Layer]()); err != nil {
		return nil, fmt.Errorf("%s%s: %w", d.filePrefix(), d.Subject(), err)
	}
	var l v1alpha1.Layer
	if err := decodeStrict(d, &l); err != nil {
		return nil, err
	}
	delete(l.Annotations, originAnnotation)
	if len(l.Annotations) == 0 {
		l.Annotations = nil
	}
	return &l, nil
}

// LoadClusterConfig reads the Namespaces, PriorityClasses, RuntimeClasses,
// LimitRanges, ResourceQuotas and ValidatingAdmissionPolicies with their bindings of files (a cluster's base configuration, which a layer
// repository usually does not hold), as LoadRepo reads them, and the
// configuration of the API server's admission plugins Strata follows (an
// AdmissionConfiguration, or a PodSecurityConfiguration alone:
// LoadAdmission), at most one; every other object is skipped. An object of
// a later file replaces an earlier file's of its kind and name
// (overlay.Inputs.And).
func LoadClusterConfig(fsys filesys.FileSystem, files []string) (overlay.Inputs, error) {
	var (
		out        overlay.Inputs
		errs       []error
		admissions int
	)
	for _, f := range files {
		data, err := fsys.ReadFile(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("--cluster-config: %w", err))
			continue
		}
		docs, err := DecodeDocuments(f, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for i := range docs {
			if d := &docs[i]; d.Kind == podSecurityConfigurationKind || d.Kind == admissionConfigurationKind {
				a, err := admissionOf(fsys, d)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if admissions++; admissions > 1 {
					errs = append(errs, fmt.Errorf("%s%s: a second configuration of the API server's admission; want one", d.filePrefix(), d.Subject()))
					continue
				}
				out.Admission = a
			}
		}
		// Strata's own objects are the repository's, not the cluster's.
		kept := slices.DeleteFunc(docs, func(d Document) bool {
			return groupOf(d.APIVersion) == v1alpha1.GroupVersion.Group || d.Kind == v1alpha1.LayerKind
		})
		in, err := inputsFrom(kept)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = out.And(in)
	}
	return out, errors.Join(errs...)
}

// Names are the cluster and pool names the Layers of in match.
func Names(in overlay.Inputs) (clusters, pools []string) {
	for i := range in.Layers {
		m := &in.Layers[i].Layer.Spec.Match
		for _, c := range m.Clusters {
			if !slices.Contains(clusters, c) {
				clusters = append(clusters, c)
			}
		}
		for _, p := range m.Pools {
			if !slices.Contains(pools, p) {
				pools = append(pools, p)
			}
		}
	}
	slices.Sort(clusters)
	slices.Sort(pools)
	return clusters, pools
}
