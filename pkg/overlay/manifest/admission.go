package manifest

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation/field"
	resourcequotaapi "k8s.io/apiserver/pkg/admission/plugin/resourcequota/apis/resourcequota"
	resourcequotainstall "k8s.io/apiserver/pkg/admission/plugin/resourcequota/apis/resourcequota/install"
	resourcequotavalidation "k8s.io/apiserver/pkg/admission/plugin/resourcequota/apis/resourcequota/validation"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/strata-dev/strata/pkg/overlay"
)

// The kinds that hold the configuration of the API server's admission
// plugins Strata follows, and the plugins' names.
const (
	podSecurityConfigurationKind = "PodSecurityConfiguration"
	admissionConfigurationKind   = "AdmissionConfiguration"
	podSecurityPlugin            = "PodSecurity"
	podNodeSelectorPlugin        = "PodNodeSelector"
	podTolerationsPlugin         = "PodTolerationRestriction"
	resourceQuotaPlugin          = "ResourceQuota"
)

// admissionConfigurationVersions are the API versions of the file the API
// server's --admission-control-config-file names.
var admissionConfigurationVersions = []string{"apiserver.config.k8s.io/v1", "apiserver.k8s.io/v1alpha1"}

// podTolerationsVersions are the API versions of PodTolerationRestriction's
// configuration (kind Configuration).
var podTolerationsVersions = []string{"podtolerationrestriction.admission.k8s.io/v1", "podtolerationrestriction.admission.k8s.io/v1alpha1"}

// LoadAdmission reads the configuration of the API server's PodSecurity,
// PodNodeSelector, PodTolerationRestriction and ResourceQuota admission
// plugins from file, as the API server reads it: the AdmissionConfiguration it is given
// (--admission-control-config-file), whose plugins hold their
// configuration (configuration) or name its file (path, relative to
// file's folder), or a PodSecurityConfiguration alone.
//
// PodSecurity's is decoded strictly, defaulted and validated by the
// plugin's own library (pod-security.admission.config.k8s.io v1, v1beta1
// or v1alpha1). PodNodeSelector's is its podNodeSelectorPluginConfig,
// whose clusterDefaultNodeSelector, like every namespace's entry, must be
// a node selector of equalities the plugin can read.
// PodTolerationRestriction's is a Configuration
// (podtolerationrestriction.admission.k8s.io v1 or v1alpha1) whose
// default and whitelist tolerations the API server would accept on a pod.
// ResourceQuota's is a ResourceQuotaConfiguration (apiserver.config.k8s.io
// v1, resourcequota.admission.k8s.io v1beta1 or v1alpha1), decoded and
// validated as the plugin does, with its own types. Unknown fields are errors, naming the file and the field: a setting
// Strata cannot read is not silently left out.
func LoadAdmission(fsys filesys.FileSystem, file string) (overlay.Admission, error) {
	data, err := fsys.ReadFile(file)
	if err != nil {
		return overlay.Admission{}, err
	}
	docs, err := DecodeDocuments(file, data)
	if err != nil {
		return overlay.Admission{}, err
	}
	if len(docs) != 1 {
		return overlay.Admission{}, fmt.Errorf("%s: %d objects, want one AdmissionConfiguration or PodSecurityConfiguration", file, len(docs))
	}
	return admissionOf(fsys, &docs[0])
}

// admissionOf is the configuration d, a PodSecurityConfiguration or an
// AdmissionConfiguration, gives the plugins Strata follows.
func admissionOf(fsys filesys.FileSystem, d *Document) (overlay.Admission, error) {
	switch d.Kind {
	case podSecurityConfigurationKind:
		cfg, err := decodePodSecurity(d.filePrefix()+d.Kind, d.Raw)
		return overlay.Admission{PodSecurity: cfg}, err
	case admissionConfigurationKind:
	default:
		return overlay.Admission{}, fmt.Errorf("%s%s: want a PodSecurityConfiguration or an AdmissionConfiguration", d.filePrefix(), d.Subject())
	}
	if !slices.Contains(admissionConfigurationVersions, d.APIVersion) {
		return overlay.Admission{}, fmt.Errorf("%s%s: apiVersion: unsupported version %q (want %s)", d.filePrefix(), d.Kind, d.APIVersion, admissionConfigurationVersions[0])
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
		return overlay.Admission{}, err
	}
	var (
		out  overlay.Admission
		seen = map[string]bool{}
	)
	for i, p := range ac.Plugins {
		decode, ok := map[string]func(at string, data []byte) error{
			podSecurityPlugin: func(at string, data []byte) (err error) {
				out.PodSecurity, err = decodePodSecurity(at, data)
				return err
			},
			podNodeSelectorPlugin: func(at string, data []byte) (err error) {
				out.ClusterPlacement.NodeSelector, out.ClusterPlacement.NodeSelectorWhitelists, err = decodePodNodeSelector(at, data)
				return err
			},
			podTolerationsPlugin: func(at string, data []byte) (err error) {
				out.ClusterPlacement.Tolerations, out.ClusterPlacement.TolerationsWhitelist, err = decodePodTolerations(at, data)
				return err
			},
			resourceQuotaPlugin: func(at string, data []byte) (err error) {
				out.LimitedResources, err = decodeResourceQuota(at, data)
				return err
			},
		}[p.Name]
		if !ok {
			continue
		}
		at := fmt.Sprintf("%s%s: plugins[%d] (%s)", d.filePrefix(), d.Kind, i, p.Name)
		if seen[p.Name] {
			return overlay.Admission{}, fmt.Errorf("%s: a second configuration of the plugin; want one", at)
		}
		seen[p.Name] = true
		var err error
		switch {
		case len(p.Configuration) > 0 && p.Path != "":
			return overlay.Admission{}, fmt.Errorf("%s: both path and configuration; want one", at)
		case len(p.Configuration) > 0:
			err = decode(at+".configuration", p.Configuration)
		case p.Path != "":
			path := p.Path
			if !filepath.IsAbs(path) && d.File != "" {
				path = filepath.Join(filepath.Dir(d.File), path)
			}
			data, rerr := fsys.ReadFile(path)
			if rerr != nil {
				return overlay.Admission{}, fmt.Errorf("%s.path: %w", at, rerr)
			}
			err = decode(path, data)
		default:
			// The plugin's own default.
			err = decode(at, nil)
		}
		if err != nil {
			return overlay.Admission{}, err
		}
	}
	return out, nil
}

// clusterDefaultNodeSelector is PodNodeSelector's entry for the cluster's
// default; every other entry is a namespace's whitelist.
const clusterDefaultNodeSelector = "clusterDefaultNodeSelector"

// decodePodNodeSelector reads PodNodeSelector's configuration (JSON or
// YAML; none: no default) and returns its clusterDefaultNodeSelector, nil
// for none, and the namespaces' whitelists, nil for none. Every entry must
// be a node selector the plugin can read: the plugin refuses every pod an
// entry it cannot read applies to. Errors are led by at.
func decodePodNodeSelector(at string, data []byte) (map[string]string, map[string]map[string]string, error) {
	var cfg struct {
		// APIVersion and Kind are not read by the plugin, and allowed.
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Selectors  map[string]string `json:"podNodeSelectorPluginConfig"`
	}
	if len(data) > 0 {
		if err := decodeYAMLStrict(at, data, &cfg); err != nil {
			return nil, nil, err
		}
	}
	var (
		errs       field.ErrorList
		defaults   map[string]string
		whitelists map[string]map[string]string
	)
	p := field.NewPath("podNodeSelectorPluginConfig")
	for _, k := range slices.Sorted(maps.Keys(cfg.Selectors)) {
		sel, err := labels.ConvertSelectorToLabelsMap(cfg.Selectors[k])
		switch {
		case err != nil:
			// A key's error comes with no field path ("<nil>: ").
			errs = append(errs, field.Invalid(p.Key(k), cfg.Selectors[k], "want a node selector of equalities (key=value,...): "+strings.TrimPrefix(err.Error(), "<nil>: ")))
		case len(sel) == 0:
		case k == clusterDefaultNodeSelector:
			defaults = sel
		default:
			if whitelists == nil {
				whitelists = map[string]map[string]string{}
			}
			whitelists[k] = sel
		}
	}
	if len(errs) > 0 {
		return nil, nil, fmt.Errorf("%s: %w", at, errs.ToAggregate())
	}
	return defaults, whitelists, nil
}

// decodePodTolerations reads PodTolerationRestriction's configuration
// (JSON or YAML; none: no default) and returns its default tolerations and
// its whitelist, each nil for none. Errors are led by at.
func decodePodTolerations(at string, data []byte) (defaults, whitelist []corev1.Toleration, err error) {
	if len(data) == 0 {
		return nil, nil, nil
	}
	var cfg struct {
		APIVersion string              `json:"apiVersion"`
		Kind       string              `json:"kind"`
		Default    []corev1.Toleration `json:"default"`
		Whitelist  []corev1.Toleration `json:"whitelist"`
	}
	if err := decodeYAMLStrict(at, data, &cfg); err != nil {
		return nil, nil, err
	}
	if !slices.Contains(podTolerationsVersions, cfg.APIVersion) || cfg.Kind != "Configuration" {
		return nil, nil, fmt.Errorf("%s: apiVersion %q, kind %q: want kind Configuration of %s", at, cfg.APIVersion, cfg.Kind, podTolerationsVersions[0])
	}
	errs := overlay.ValidateTolerations(field.NewPath("default"), cfg.Default)
	errs = append(errs, overlay.ValidateTolerations(field.NewPath("whitelist"), cfg.Whitelist)...)
	if len(errs) > 0 {
		return nil, nil, fmt.Errorf("%s: %w", at, errs.ToAggregate())
	}
	return nonEmpty(cfg.Default), nonEmpty(cfg.Whitelist), nil
}

// nonEmpty is ts, nil when empty.
func nonEmpty(ts []corev1.Toleration) []corev1.Toleration {
	if len(ts) == 0 {
		return nil
	}
	return ts
}

// decodeResourceQuota reads the ResourceQuota plugin's configuration
// (JSON or YAML; none: nothing limited) as the plugin's LoadConfiguration
// does, strictly, with the plugin's scheme of its versions, and validates
// it as the API server does at start (a limited resource names its
// resource). It returns its limitedResources, nil for none. Errors are led
// by at. The plugin's own package is not imported: it brings the API
// server's admission machinery (CEL, tracing) into the webhook for ten
// lines of decoding.
func decodeResourceQuota(at string, data []byte) ([]resourcequotaapi.LimitedResource, error) {
	if len(data) == 0 {
		return nil, nil
	}
	scheme := runtime.NewScheme()
	resourcequotainstall.Install(scheme)
	obj, err := runtime.Decode(serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDecoder(), data)
	if err != nil {
		return nil, fmt.Errorf("%s: want a ResourceQuotaConfiguration of apiserver.config.k8s.io/v1: %w", at, err)
	}
	cfg, ok := obj.(*resourcequotaapi.Configuration)
	if !ok {
		return nil, fmt.Errorf("%s: a %T, want a ResourceQuotaConfiguration of apiserver.config.k8s.io/v1", at, obj)
	}
	if errs := resourcequotavalidation.ValidateConfiguration(cfg); len(errs) > 0 {
		return nil, fmt.Errorf("%s: %w", at, errs.ToAggregate())
	}
	if len(cfg.LimitedResources) == 0 {
		return nil, nil
	}
	return cfg.LimitedResources, nil
}
