package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Tier is the band of the composition order a Layer belongs to. From low to
// high: PoolDefaults, ClusterDefaults, the user's own pod, ClusterOverrides,
// NamespaceOverrides.
//
// The CRD schema deliberately has no enum for tiers and roles: the validating
// webhook checks them, so kubectl shows the same message the composer CLI gives.
type Tier string

// The tiers of a Layer, in composition order. The user's own pod sits between
// ClusterDefaults and ClusterOverrides.
const (
	// PoolDefaults fill what is unset, for every cluster of a pool.
	PoolDefaults Tier = "PoolDefaults"
	// ClusterDefaults fill what is unset, for one cluster; they beat PoolDefaults.
	ClusterDefaults Tier = "ClusterDefaults"
	// ClusterOverrides replace the user's values, for one cluster.
	ClusterOverrides Tier = "ClusterOverrides"
	// NamespaceOverrides replace the user's values and ClusterOverrides.
	NamespaceOverrides Tier = "NamespaceOverrides"
)

// Tiers lists every tier in composition order, low to high.
func Tiers() []Tier {
	return []Tier{PoolDefaults, ClusterDefaults, ClusterOverrides, NamespaceOverrides}
}

// IsDefault reports whether layers of the tier only fill what is unset.
func (t Tier) IsDefault() bool { return t == PoolDefaults || t == ClusterDefaults }

// Rank is the position of the tier in composition order (0 for the lowest),
// or -1 for a tier that does not exist.
func (t Tier) Rank() int {
	for i, known := range Tiers() {
		if t == known {
			return i
		}
	}
	return -1
}

// Role is the Spark role of a pod, read from its spark-role label.
type Role string

// The Spark roles.
const (
	// RoleDriver is a Spark driver pod.
	RoleDriver Role = "driver"
	// RoleExecutor is a Spark executor pod.
	RoleExecutor Role = "executor"
)

// RoleLabel is the pod label spark-submit and the Spark Operator set to the
// pod's Spark role.
const RoleLabel = "spark-role"

// LayersAnnotation is the pod annotation that lists the layers applied to a
// composed pod, in the order they were applied, comma-separated.
const LayersAnnotation = "strata.dev/layers"

// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=sl
// +kubebuilder:printcolumn:name="Tier",type=string,JSONPath=`.spec.tier`
// +kubebuilder:printcolumn:name="Order",type=integer,JSONPath=`.spec.order`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Layer is one layer of Spark pod settings: its tier and order in the
// composition, which pods it matches, and the settings it contributes.
type Layer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec LayerSpec `json:"spec"`
}

// +kubebuilder:object:root=true

// LayerList is a list of Layers.
type LayerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []Layer `json:"items"`
}

// LayerSpec is the content of a Layer.
type LayerSpec struct {
	// Tier is the band of the composition order: PoolDefaults, ClusterDefaults,
	// ClusterOverrides or NamespaceOverrides.
	// +required
	Tier Tier `json:"tier"`

	// Order is the position inside the tier, lower first; ties are broken by name.
	// +optional
	Order int32 `json:"order,omitempty"`

	// Match selects the pods the layer applies to. Every field given must
	// match; a field left out (or empty) matches all.
	// +optional
	Match Match `json:"match,omitempty"`

	// Config applies to every matched pod.
	// +optional
	Config *Config `json:"config,omitempty"`

	// Driver applies to matched driver pods, after Config.
	// +optional
	Driver *Config `json:"driver,omitempty"`

	// Executor applies to matched executor pods, after Config.
	// +optional
	Executor *Config `json:"executor,omitempty"`
}

// Match selects pods by where they run and what they are.
type Match struct {
	// Pools are cluster pool names; the cluster's pool must be one of them.
	// +optional
	// +listType=set
	Pools []string `json:"pools,omitempty"`

	// Clusters are cluster names; the cluster must be one of them.
	// +optional
	// +listType=set
	Clusters []string `json:"clusters,omitempty"`

	// Namespaces are namespace names; the pod's namespace must be one of them.
	// +optional
	// +listType=set
	Namespaces []string `json:"namespaces,omitempty"`

	// NamespaceSelector selects by the labels of the pod's Namespace.
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`

	// Roles are Spark roles; the pod's spark-role must be one of them.
	// +optional
	// +listType=set
	Roles []Role `json:"roles,omitempty"`
}

// Config is the settings a layer contributes to a Spark pod. Every field is
// optional and has an explicit "unset": a nil pointer, a nil map or a nil
// list. A pointer to the empty string is a value, so an override can set a
// field to "".
type Config struct {
	// Labels are pod labels, merged key by key.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// Annotations are pod annotations, merged key by key.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// NodeSelector is the pod's node selector, merged key by key.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// PriorityClassName is the pod's priority class.
	// +optional
	PriorityClassName *string `json:"priorityClassName,omitempty"`

	// SchedulerName is the scheduler that places the pod.
	// +optional
	SchedulerName *string `json:"schedulerName,omitempty"`

	// ServiceAccountName is the pod's service account.
	// +optional
	ServiceAccountName *string `json:"serviceAccountName,omitempty"`

	// Tolerations are merged element by element, keyed by (key, effect).
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// SparkConf is Spark configuration (spark.* keys), merged key by key and
	// carried in the composed config for SparkApplication objects.
	// +optional
	SparkConf map[string]string `json:"sparkConf,omitempty"`
}
