package manifest

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
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

// Object is one object of an input file: a Pod, a SparkApplication, or a
// ScheduledSparkApplication as the SparkApplication each of its runs is.
type Object struct {
	// Pod is set for a v1 Pod.
	Pod *corev1.Pod
	// App is set for a sparkoperator.k8s.io/v1beta2 SparkApplication, and
	// for a ScheduledSparkApplication: its run (sparkv1beta2.RunOf).
	App *sparkv1beta2.Object
	// Schedule is the ScheduledSparkApplication's name and schedule when
	// App is its run; zero otherwise.
	Schedule sparkv1beta2.Schedule
}

// DecodeObjects decodes the Pods, SparkApplications and
// ScheduledSparkApplications of a file, in order, as DecodePods decodes
// pods. A SparkApplication keeps every field (the operator's API is wider
// than what Strata reads); a field Strata reads must have its type. A
// ScheduledSparkApplication is the SparkApplication each of its runs is.
// Without a namespace an object is in "default", as the API server would
// place it.
func DecodeObjects(file string, data []byte) ([]Object, error) {
	docs, err := DecodeDocuments(file, data)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("%s: no objects found (want v1 Pods, or %s SparkApplications or ScheduledSparkApplications)", file, sparkv1beta2.APIVersion)
	}
	out := make([]Object, 0, len(docs))
	var errs []error
	for i := range docs {
		d := &docs[i]
		switch {
		case d.Kind == "Pod" && d.APIVersion == "v1":
			var pod corev1.Pod
			if err := decodeStrict(d, &pod); err != nil {
				errs = append(errs, err)
				continue
			}
			if pod.Namespace == "" {
				pod.Namespace = corev1.NamespaceDefault
			}
			out = append(out, Object{Pod: &pod})
		case d.Kind == sparkv1beta2.Kind && d.APIVersion == sparkv1beta2.APIVersion:
			app, err := sparkv1beta2.Decode(d.Raw)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s%s: %w", d.filePrefix(), d.Subject(), err))
				continue
			}
			if app.App.Namespace == "" {
				app.App.Namespace = corev1.NamespaceDefault
			}
			out = append(out, Object{App: app})
		case d.Kind == sparkv1beta2.ScheduledKind && d.APIVersion == sparkv1beta2.APIVersion:
			run, schedule, err := sparkv1beta2.RunOf(d.Raw)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s%s: %w", d.filePrefix(), d.Subject(), err))
				continue
			}
			if run.App.Namespace == "" {
				run.App.Namespace = corev1.NamespaceDefault
			}
			out = append(out, Object{App: run, Schedule: schedule})
		default:
			errs = append(errs, fmt.Errorf("%s: %s: kind: got apiVersion %q kind %q (want apiVersion v1 kind Pod, or apiVersion %s kind %s or %s)",
				d.File, d.Subject(), d.APIVersion, d.Kind, sparkv1beta2.APIVersion, sparkv1beta2.Kind, sparkv1beta2.ScheduledKind))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}
