package manifest

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// DecodePods decodes the pods of a pod file: one Pod in YAML or JSON, or
// several (a List, or multi-document YAML). Every object must be a v1 Pod,
// decoded strictly. A pod without a namespace is in "default", as the API
// server would place it.
func DecodePods(file string, data []byte) ([]*corev1.Pod, error) {
	docs, err := DecodeDocuments(file, data)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("%s: no objects found (want one or more v1 Pods)", file)
	}
	pods := make([]*corev1.Pod, 0, len(docs))
	var errs []error
	for i := range docs {
		d := &docs[i]
		if d.Kind != "Pod" || d.APIVersion != "v1" {
			errs = append(errs, fmt.Errorf("%s: %s: kind: got apiVersion %q kind %q (want apiVersion v1 kind Pod)", d.File, d.Subject(), d.APIVersion, d.Kind))
			continue
		}
		var pod corev1.Pod
		if err := decodeStrict(d, &pod); err != nil {
			errs = append(errs, err)
			continue
		}
		if pod.Namespace == "" {
			pod.Namespace = corev1.NamespaceDefault
		}
		pods = append(pods, &pod)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return pods, nil
}
