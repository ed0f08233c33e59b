package manifest

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/policy/volcanov1beta1"
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

// Object is one object of an input file: a Pod, a SparkApplication, a
// ScheduledSparkApplication as the SparkApplication each of its runs is,
// a SparkConnect, or a Volcano PodGroup.
type Object struct {
	// Pod is set for a v1 Pod.
	Pod *corev1.Pod
	// App is set for a sparkoperator.k8s.io/v1beta2 SparkApplication, and
	// for a ScheduledSparkApplication: its run (sparkv1beta2.RunOf).
	App *sparkv1beta2.Object
	// Schedule is the ScheduledSparkApplication's name and schedule when
	// App is its run; zero otherwise.
	Schedule sparkv1beta2.Schedule
	// PodGroup is set for a scheduling.volcano.sh/v1beta1 PodGroup, read
	// as the webhook reads one (volcanov1beta1.Decode); Raw is it as
	// written, as JSON, as it is a ScheduledSparkApplication (App being
	// its run) and a SparkConnect.
	PodGroup *volcanov1beta1.PodGroup
	Raw      []byte
	// Connect is set for a sparkoperator.k8s.io/v1alpha1 SparkConnect,
	// read as the webhook reads one (sparkv1alpha1.Decode); Raw is it as
	// written, as JSON, which is what is composed.
	Connect *sparkv1alpha1.SparkConnect
}

// Namespace is the object's namespace.
func (o *Object) Namespace() string {
	switch {
	case o.App != nil:
		return o.App.App.Namespace
	case o.PodGroup != nil:
		return o.PodGroup.Namespace
	case o.Connect != nil:
		return o.Connect.Metadata.Namespace
	default:
		return o.Pod.Namespace
	}
}

// Is reports whether the object is of kind: "Pod", "SparkApplication"
// (a ScheduledSparkApplication's run is one), "PodGroup" or
// "SparkConnect".
func (o *Object) Is(kind string) bool {
	switch kind {
	case "Pod":
		return o.Pod != nil
	case sparkv1beta2.Kind:
		return o.App != nil
	case volcanov1beta1.Kind:
		return o.PodGroup != nil
	case sparkv1alpha1.Kind:
		return o.Connect != nil
	}
	return false
}

// DecodeObjects decodes the Pods, SparkApplications,
// ScheduledSparkApplications, SparkConnects and Volcano PodGroups of a
// file, in order, as
// DecodePods decodes pods. A SparkApplication or a PodGroup keeps every
// field (their APIs are wider than what Strata reads); a field Strata
// reads must have its type. A ScheduledSparkApplication is the
// SparkApplication each of its runs is.
// Without a namespace an object is in "default", as the API server would
// place it.
func DecodeObjects(file string, data []byte) ([]Object, error) {
	docs, err := DecodeDocuments(file, data)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("%s: no objects found (want v1 Pods, %s SparkApplications or ScheduledSparkApplications, %s SparkConnects, or %s PodGroups)",
			file, sparkv1beta2.APIVersion, sparkv1alpha1.APIVersion, volcanov1beta1.APIVersion)
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
			out = append(out, Object{App: run, Schedule: schedule, Raw: d.Raw})
		case d.Kind == volcanov1beta1.Kind && d.APIVersion == volcanov1beta1.APIVersion:
			pg, err := volcanov1beta1.Decode(d.Raw)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s%s: %w", d.filePrefix(), d.Subject(), err))
				continue
			}
			if pg.Namespace == "" {
				pg.Namespace = corev1.NamespaceDefault
			}
			out = append(out, Object{PodGroup: &pg, Raw: d.Raw})
		case d.Kind == sparkv1alpha1.Kind && d.APIVersion == sparkv1alpha1.APIVersion:
			_, c, err := sparkv1alpha1.Decode(d.Raw)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s%s: %w", d.filePrefix(), d.Subject(), err))
				continue
			}
			if c.Metadata.Namespace == "" {
				c.Metadata.Namespace = corev1.NamespaceDefault
			}
			out = append(out, Object{Connect: c, Raw: d.Raw})
		default:
			errs = append(errs, fmt.Errorf("%s: %s: kind: got apiVersion %q kind %q (want apiVersion v1 kind Pod, apiVersion %s kind %s or %s, apiVersion %s kind %s, or apiVersion %s kind %s)",
				d.File, d.Subject(), d.APIVersion, d.Kind, sparkv1beta2.APIVersion, sparkv1beta2.Kind, sparkv1beta2.ScheduledKind, sparkv1alpha1.APIVersion, sparkv1alpha1.Kind,
				volcanov1beta1.APIVersion, volcanov1beta1.Kind))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}
