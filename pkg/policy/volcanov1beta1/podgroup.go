package volcanov1beta1

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
)

// APIVersion and Kind name a PodGroup.
const (
	APIVersion = "scheduling.volcano.sh/v1beta1"
	Kind       = "PodGroup"
)

// PodGroup is what policies see of a Volcano PodGroup: the gang of pods
// Volcano queues, ranks and preempts as one, by the PodGroup's own priority
// class and queue. Spark's Volcano support has spark-submit create it with
// the submitter's credentials, so tenants write PodGroups.
type PodGroup struct {
	Name, Namespace   string
	PriorityClassName string
	Queue             string
}

// Object is the wire form Decode reads: a PodGroup's type, name,
// namespace, priority class and queue; the rest of it (minMember,
// minResources, status) is skipped unread.
type Object struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		PriorityClassName string `json:"priorityClassName"`
		Queue             string `json:"queue"`
	} `json:"spec"`
}

// Decode decodes a PodGroup's JSON as the API server reads it
// (case-sensitive field names, the last of duplicate keys winning). A
// field Strata reads must have its type; an object that is not a
// scheduling.volcano.sh/v1beta1 PodGroup is an error. The namespace is
// the body's, empty when it names none.
func Decode(raw []byte) (PodGroup, error) {
	var o Object
	if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, &o); err != nil {
		return PodGroup{}, fmt.Errorf("decoding the PodGroup: %w", err)
	}
	if o.APIVersion != APIVersion || o.Kind != Kind {
		return PodGroup{}, fmt.Errorf("decoding the PodGroup: the object is apiVersion %q kind %q, want a %s %s", o.APIVersion, o.Kind, APIVersion, Kind)
	}
	return PodGroup{Name: o.Metadata.Name, Namespace: o.Metadata.Namespace, PriorityClassName: o.Spec.PriorityClassName, Queue: o.Spec.Queue}, nil
}
