package volcanov1beta1

import (
	"fmt"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"

	"github.com/strata-dev/strata/pkg/overlay/jsonfield"
	"github.com/strata-dev/strata/pkg/overlay/quantity"
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
	// MinResources is what Volcano holds for the gang before any of its
	// pods is placed: it admits a PodGroup into its queue (Inqueue) only
	// while the MinResources of every PodGroup admitted and not yet
	// running fit what is idle, in the cluster (the overcommit plugin) and
	// in the queue (proportion, capacity). Nil when unset.
	MinResources corev1.ResourceList
	// Phase is status.phase as Volcano writes it (Pending, Inqueue,
	// Running, Unknown, Completed); empty before it does.
	Phase string
}

// Phases of a PodGroup Volcano writes while its gang waits to be placed:
// Pending, then Inqueue once admitted into its queue (what Volcano holds
// capacity for). Running, Unknown (part of the gang runs) and Completed
// follow once pods are placed.
const (
	PhasePending = "Pending"
	PhaseInqueue = "Inqueue"
)

// Object is the wire form Decode reads: a PodGroup's type, name,
// namespace, priority class, queue, minResources and phase; the rest of
// it (minMember, the rest of status) is skipped unread.
type Object struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		PriorityClassName string              `json:"priorityClassName"`
		Queue             string              `json:"queue"`
		MinResources      corev1.ResourceList `json:"minResources"`
	} `json:"spec"`
	Status struct {
		Phase string `json:"phase"`
	} `json:"status"`
}

// Decode decodes a PodGroup's JSON as the API server reads it
// (case-sensitive field names, the last of duplicate keys winning). A
// field Strata reads must have its type; an object that is not a
// scheduling.volcano.sh/v1beta1 PodGroup is an error. The namespace is
// the body's, empty when it names none. A quantity of minResources that
// quantity.Parse refuses is an error before it is decoded (decoding it
// would take minutes).
func Decode(raw []byte) (PodGroup, error) {
	if quantity.MayHoldUnbounded(raw) {
		if err := quantity.CheckJSON(raw, reflect.TypeFor[Object]()); err != nil {
			return PodGroup{}, fmt.Errorf("decoding the PodGroup: %w", err)
		}
	}
	var o Object
	if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, &o); err != nil {
		if field, why, ok := jsonfield.Refused(raw, reflect.TypeFor[Object](), err); ok {
			return PodGroup{}, fmt.Errorf("decoding the PodGroup: %s: %s", field, why)
		}
		return PodGroup{}, fmt.Errorf("decoding the PodGroup: %w", err)
	}
	if o.APIVersion != APIVersion || o.Kind != Kind {
		return PodGroup{}, fmt.Errorf("decoding the PodGroup: the object is apiVersion %q kind %q, want a %s %s", o.APIVersion, o.Kind, APIVersion, Kind)
	}
	return PodGroup{Name: o.Metadata.Name, Namespace: o.Metadata.Namespace, PriorityClassName: o.Spec.PriorityClassName, Queue: o.Spec.Queue,
		MinResources: o.Spec.MinResources, Phase: o.Status.Phase}, nil
}
