package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	psadmission "k8s.io/pod-security-admission/admission/api"
	psaload "k8s.io/pod-security-admission/admission/api/load"
	psavalidation "k8s.io/pod-security-admission/admission/api/validation"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// The kinds that hold the configuration of the API server's PodSecurity
// admission plugin.
const (
	podSecurityConfigurationKind = "PodSecurityConfiguration"
	admissionConfigurationKind   = "AdmissionConfiguration"
	podSecurityPlugin            = "PodSecurity"
)

// admissionConfigurationVersions are the API versions of the file the API
// server's --admission-control-config-file names.
var admissionConfigurationVersions = []string{"apiserver.config.k8s.io/v1", "apiserver.k8s.io/v1alpha1"}

// LoadPodSecurity reads the configuration of the API server's PodSecurity
// admission plugin from file, as the API server reads it: a
// PodSecurityConfiguration (pod-security.admission.config.k8s.io v1,
// v1beta1 or v1alpha1, defaulted, strictly decoded and validated by the
// plugin's own library), or the AdmissionConfiguration the API server is
// given (--admission-control-config-file), whose PodSecurity plugin holds
// it (configuration) or names its file (path, relative to file's folder).
// nil when an AdmissionConfiguration configures no PodSecurity plugin.
func LoadPodSecurity(fsys filesys.FileSystem, file string) (*psadmission.PodSecurityConfiguration, error) {
	data, err := fsys.ReadFile(file)
	if err != nil {
		return nil, err
	}
	docs, err := DecodeDocuments(file, data)
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 {
		return nil, fmt.Errorf("%s: %d objects, want one PodSecurityConfiguration or AdmissionConfiguration", file, len(docs))
	}
	return podSecurityOf(fsys, &docs[0])
}

// podSecurityOf is the configuration d, a PodSecurityConfiguration or an
// AdmissionConfiguration, gives the PodSecurity admission plugin.
func podSecurityOf(fsys filesys.FileSystem, d *Document) (*psadmission.PodSecurityConfiguration, error) {
	switch d.Kind {
	case podSecurityConfigurationKind:
		return decodePodSecurity(d.filePrefix()+d.Kind, d.Raw)
	case admissionConfigurationKind:
	default:
		return nil, fmt.Errorf("%s%s: want a PodSecurityConfiguration or an AdmissionConfiguration", d.filePrefix(), d.Subject())
	}
	if !slices.Contains(admissionConfigurationVersions, d.APIVersion) {
		return nil, fmt.Errorf("%s%s: apiVersion: unsupported version %q (want %s)", d.filePrefix(), d.Kind, d.APIVersion, admissionConfigurationVersions[0])
	}
	var ac struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Plugins    []struct {
			Name          string          `json:"name"`
			Path          string          `json:"path"`
			Configuration json.RawMessage `json:"configuration"`
		} `json:"plugins"`
	}
	if err := decodeStrict(d, &ac); err != nil {
		return nil, err
	}
	for i, p := range ac.Plugins {
		if p.Name != podSecurityPlugin {
			continue
		}
		at := fmt.Sprintf("%s%s: plugins[%d] (PodSecurity)", d.filePrefix(), d.Kind, i)
		switch {
		case len(p.Configuration) > 0 && p.Path != "":
			return nil, fmt.Errorf("%s: both path and configuration; want one", at)
		case len(p.Configuration) > 0:
			return decodePodSecurity(at+".configuration", p.Configuration)
		case p.Path != "":
			path := p.Path
			if !filepath.IsAbs(path) && d.File != "" {
				path = filepath.Join(filepath.Dir(d.File), path)
			}
			data, err := fsys.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("%s.path: %w", at, err)
			}
			return decodePodSecurity(path, data)
		default:
			// The plugin's own default.
			return decodePodSecurity(at, nil)
		}
	}
	return nil, nil
}

// decodePodSecurity decodes data (JSON or YAML; none: the plugin's
// default) as the plugin does, and validates it; errors are led by at.
func decodePodSecurity(at string, data []byte) (*psadmission.PodSecurityConfiguration, error) {
	cfg, err := psaload.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", at, err)
	}
	if errs := psavalidation.ValidatePodSecurityConfiguration(cfg); len(errs) > 0 {
		return nil, fmt.Errorf("%s: %w", at, errors.Join(errs.ToAggregate().Errors()...))
	}
	return cfg, nil
}
