package manifest

import (
	"errors"
	"fmt"

	psadmission "k8s.io/pod-security-admission/admission/api"
	psaload "k8s.io/pod-security-admission/admission/api/load"
	psavalidation "k8s.io/pod-security-admission/admission/api/validation"
)

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
