package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
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

// IsShadow reports whether the layer is composed without being applied.
func (s *LayerSpec) IsShadow() bool { return s.Mode == ModeShadow }

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

// SparkDriverContainer and SparkExecutorContainer are the names Spark
// gives the container of a driver's and an executor's pod, which runs
// Spark: a layer's sidecar or init container may not take either name.
const (
	SparkDriverContainer   = "spark-kubernetes-driver"
	SparkExecutorContainer = "spark-kubernetes-executor"
)

// SparkExecutorIDVariable and SparkDriverBindAddressVariable are the
// environment variables Spark sets in its container of an executor's and
// a driver's pod, and in no other: they find that container when a pod
// template named it otherwise. A layer's container may not set either.
const (
	SparkExecutorIDVariable        = "SPARK_EXECUTOR_ID"
	SparkDriverBindAddressVariable = "SPARK_DRIVER_BIND_ADDRESS"
)

// ConnectServerRoleValue is the RoleLabel value of the Spark Operator's
// SparkConnect server pod: a Spark driver running in client mode (its
// Spark container is named as a driver's), composed and judged as a
// driver.
const ConnectServerRoleValue = "connect-server"

// IAMRoleAnnotation is the pod annotation with which a user asks for an IAM
// role: the user's value of iam.role in the composition.
const IAMRoleAnnotation = "strata.dev/iam-role"

// LayersAnnotation is the pod annotation that lists the layers applied to a
// composed pod, in the order they were applied, comma-separated.
const LayersAnnotation = "strata.dev/layers"

// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=sl
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Tier",type=string,JSONPath=`.spec.tier`
// +kubebuilder:printcolumn:name="Order",type=integer,JSONPath=`.spec.order`
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.spec.mode`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Layer is one layer of Spark pod settings: its tier and order in the
// composition, which pods it matches, and the settings it contributes.
type Layer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec LayerSpec `json:"spec"`
	// Status is what the webhook observed of the layer: for a Shadow
	// layer, what it would have changed.
	// +optional
	Status LayerStatus `json:"status,omitempty"`
}

// Mode is whether a Layer is applied.
type Mode string

// The modes of a Layer.
const (
	// ModeEnforce applies the layer (the default).
	ModeEnforce Mode = "Enforce"
	// ModeShadow composes the layer but does not apply it: pods are
	// admitted exactly as without it, and what it would have changed is
	// recorded (an audit annotation, strata_shadow_changes_total, and
	// status.shadow), so a layer can be tried on live traffic first.
	ModeShadow Mode = "Shadow"
)

// LayerStatus is what the webhook observed of a Layer.
type LayerStatus struct {
	// Shadow is, per webhook replica, what the layer in Shadow mode would
	// have changed since that replica started.
	// +optional
	// +listType=map
	// +listMapKey=replica
	Shadow []ShadowReport `json:"shadow,omitempty"`
}

// ShadowReport is what a Shadow layer would have changed, as one webhook
// replica counted it.
type ShadowReport struct {
	// Replica is the webhook replica (its pod's name).
	Replica string `json:"replica"`
	// Pods is the number of pods the layer would have changed.
	Pods int64 `json:"pods"`
	// Fields are the fields it would have changed, each with the number
	// of pods.
	// +optional
	// +listType=atomic
	Fields []ShadowField `json:"fields,omitempty"`
	// Samples are some of those pods, namespace/name.
	// +optional
	// +listType=atomic
	Samples []string `json:"samples,omitempty"`
	// UpdatedAt is when the replica last wrote the report.
	UpdatedAt metav1.Time `json:"updatedAt"`
}

// ShadowField is a field a Shadow layer would have changed, and on how
// many pods.
type ShadowField struct {
	Field string `json:"field"`
	Pods  int64  `json:"pods"`
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

	// Mode is Enforce (the default): the layer is applied; or Shadow: it
	// is composed but not applied, and what it would change is recorded
	// (see ModeShadow).
	// +optional
	Mode Mode `json:"mode,omitempty"`
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
//
// The core/v1 lists (containers, env, volumes, ...) are schemaless in the
// CRD: their full OpenAPI schema, three times over (config, driver,
// executor), would make the CRD too large for client-side kubectl apply.
// The validating webhook decodes them strictly instead, so an unknown or
// mistyped field is still refused with its path. controller-gen cannot give
// a schemaless array its items, so `make generate` runs hack/crd-items,
// which gives each one items of type object that keep unknown fields.
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

	// RuntimeClassName is the pod's RuntimeClass: a layer that sets it
	// (an override, to sandbox every tenant pod with gVisor or Kata, say)
	// also gives the pod what the API server's RuntimeClass plugin gives a
	// pod that names the class, which runs before any webhook: the class's
	// overhead, and its scheduling's node selectors and tolerations.
	// +optional
	RuntimeClassName *string `json:"runtimeClassName,omitempty"`

	// SparkConf is Spark configuration (spark.* keys), merged key by key. It
	// lands on SparkApplications (spec.sparkConf, or the typed field the
	// Spark Operator turns into the same key) and in `composer conf`; on a
	// pod only the keys that are pod settings take effect:
	// spark.kubernetes.{driver,executor}.label.*, .annotation.*,
	// .node.selector.*, spark.kubernetes.node.selector.* and
	// spark.kubernetes.authenticate.{driver,executor}.serviceAccountName are
	// the same settings as labels, annotations, nodeSelector and
	// serviceAccountName, and compose with them.
	// +optional
	SparkConf map[string]string `json:"sparkConf,omitempty"`

	// HadoopConf is Hadoop configuration, merged key by key. It lands on
	// SparkApplications (spec.hadoopConf, which the Spark Operator passes
	// as spark.hadoop.* keys); it has no effect on a pod.
	// +optional
	HadoopConf map[string]string `json:"hadoopConf,omitempty"`

	// Sidecars are containers injected next to Spark, merged by name. By
	// default they are Kubernetes native sidecars (init containers with
	// restartPolicy Always), so an executor pod still completes when Spark
	// exits; see SidecarMode.
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=array
	Sidecars []corev1.Container `json:"sidecars,omitempty"`

	// SidecarMode is where sidecars go: native (init containers with
	// restartPolicy Always, Kubernetes 1.29+) or container (regular
	// containers, for older clusters).
	// +optional
	SidecarMode *SidecarMode `json:"sidecarMode,omitempty"`

	// InitContainers are merged by name and placed before the native sidecars.
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=array
	InitContainers []corev1.Container `json:"initContainers,omitempty"`

	// Env is added to the Spark container (spark-kubernetes-driver or
	// spark-kubernetes-executor; else the one Spark started with its
	// argument and variable for the role, SPARK_EXECUTOR_ID or
	// SPARK_DRIVER_BIND_ADDRESS; else the first container), merged by
	// name.
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=array
	Env []corev1.EnvVar `json:"env,omitempty"`

	// EnvFrom is added to the Spark container, merged by source (kind,
	// name and prefix).
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=array
	EnvFrom []corev1.EnvFromSource `json:"envFrom,omitempty"`

	// Volumes are pod volumes, merged by name.
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=array
	Volumes []corev1.Volume `json:"volumes,omitempty"`

	// VolumeMounts are mounts of the Spark container, merged by mountPath.
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=array
	VolumeMounts []corev1.VolumeMount `json:"volumeMounts,omitempty"`

	// Secrets mounts Secrets read-only into the Spark container (and the
	// sidecars that ask for them), or adds them as envFrom.
	// +optional
	Secrets []SecretMount `json:"secrets,omitempty"`

	// IAM is the cloud IAM role of the pod. The user asks for one with the
	// pod annotation strata.dev/iam-role.
	// +optional
	IAM *IAM `json:"iam,omitempty"`

	// ImageMirrors rewrite the images of every container, init container
	// and sidecar, and the references of image volumes, merged by from.
	// +optional
	ImageMirrors []ImageMirror `json:"imageMirrors,omitempty"`

	// PodPatch is a strategic merge patch of a Pod (what kubectl patch
	// takes), applied after everything else, in composition order: the
	// escape hatch for what the typed fields do not cover.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	PodPatch *runtime.RawExtension `json:"podPatch,omitempty"`

	// Limits are the quota the policies enforce for the matched pods.
	// +optional
	Limits *Limits `json:"limits,omitempty"`

	// Isolation are the tenant rules the policies enforce.
	// +optional
	Isolation *Isolation `json:"isolation,omitempty"`

	// Enforcement sets, per policy (quota, isolation, or a site's own), what
	// a violation does: deny (the default), warn (allowed, with a warning) or
	// dryrun (allowed, logged and counted). Merged key by key.
	// +optional
	Enforcement map[string]Enforcement `json:"enforcement,omitempty"`
}

// The largest quantities Strata counts: a limit above them is invalid, and
// a pod requesting more is refused, since no total could hold it. Both
// leave room to add millions of pods without overflowing an int64.
const (
	// MaxCountableCPUMilli is 2^40 millicores, about a billion cores.
	MaxCountableCPUMilli = int64(1) << 40
	// MaxCountableMemoryBytes is 2^50 bytes, 1 PiB.
	MaxCountableMemoryBytes = int64(1) << 50
	// MaxSubmissionIntervalSeconds is the largest
	// Limits.MinSubmissionIntervalSeconds: a day.
	MaxSubmissionIntervalSeconds = 24 * 60 * 60
)

// Limits are quota. Each composes on its own, like any scalar.
type Limits struct {
	// MaxPodCPU is the most CPU one pod may request.
	// +optional
	MaxPodCPU *resource.Quantity `json:"maxPodCPU,omitempty"`
	// MaxPodMemory is the most memory one pod may request.
	// +optional
	MaxPodMemory *resource.Quantity `json:"maxPodMemory,omitempty"`
	// MaxExecutorsPerApp is the most live executors one Spark application
	// (spark-app-selector) may have.
	// +optional
	MaxExecutorsPerApp *int32 `json:"maxExecutorsPerApp,omitempty"`
	// NamespaceCPU is the most CPU the namespace's live Spark pods may
	// request in total.
	// +optional
	NamespaceCPU *resource.Quantity `json:"namespaceCPU,omitempty"`
	// NamespaceMemory is the most memory the namespace's live Spark pods
	// may request in total.
	// +optional
	NamespaceMemory *resource.Quantity `json:"namespaceMemory,omitempty"`
	// NamespacePods is the most live Spark pods the namespace may have.
	// +optional
	NamespacePods *int32 `json:"namespacePods,omitempty"`
	// MaxAppCPU is the most CPU one Spark application may request in total:
	// its driver and every executor it may run (executor.instances, or
	// dynamicAllocation.maxExecutors), checked when a SparkApplication is
	// submitted; and its live pods (spark-app-selector) with each pod of
	// it created, however it was launched.
	// +optional
	MaxAppCPU *resource.Quantity `json:"maxAppCPU,omitempty"`
	// MaxAppMemory is the most memory one Spark application may request in
	// total, as MaxAppCPU, with each pod's memory as Spark sizes it
	// (memory plus overhead).
	// +optional
	MaxAppMemory *resource.Quantity `json:"maxAppMemory,omitempty"`
	// MinSubmissionIntervalSeconds is the least time, in seconds, the
	// Spark Operator may be asked to wait before it submits an application
	// again on its own (each submission runs spark-submit in the operator,
	// which every tenant shares): a SparkApplication's restartPolicy retry
	// intervals, where set, are at least this, and its type is not Always
	// (the operator reruns an application that succeeded at once); a
	// ScheduledSparkApplication's runs are at least this far apart. At
	// most a day.
	// +optional
	MinSubmissionIntervalSeconds *int32 `json:"minSubmissionIntervalSeconds,omitempty"`
}

// Isolation are tenant rules. Each list composes as a whole: a later layer's
// list replaces an earlier one.
type Isolation struct {
	// AllowedIAMRoles are globs (* within a path segment, ** across) of the
	// IAM role ARNs pods may get.
	// +optional
	AllowedIAMRoles []string `json:"allowedIAMRoles,omitempty"`
	// AllowedRegistries are image prefixes (after mirror rewriting) every
	// container's image, and every image volume's reference, must start
	// with.
	// +optional
	AllowedRegistries []string `json:"allowedRegistries,omitempty"`
	// AllowedTolerations are the tolerations a tenant may write; any other
	// toleration the user sets is a violation. An empty effect allows every
	// effect of the key. While they are in force a tenant may not name a
	// node (spec.nodeName, or a binding), which gets past every taint.
	// +optional
	AllowedTolerations []TolerationPattern `json:"allowedTolerations,omitempty"`
	// ReservedNodeSelectors are node labels a tenant may not select, as key
	// or key=value: in nodeSelector, in a required node affinity term
	// (In, Exists, Gt or Lt on a reserved key; In with a reserved value),
	// or as the topology key of a required pod affinity term (the nodes
	// with the selected pods' value of it).
	// While they are in force a tenant may not name a node (spec.nodeName
	// at creation, or a binding of its pod), which bypasses node selection.
	// +optional
	ReservedNodeSelectors []string `json:"reservedNodeSelectors,omitempty"`
	// ReservedLabelPrefixes are label and annotation key prefixes only
	// layers may set (e.g. iam.amazonaws.com/role, strata.dev/). The request
	// annotations Strata defines for users (strata.dev/iam-role) are exempt.
	// +optional
	ReservedLabelPrefixes []string `json:"reservedLabelPrefixes,omitempty"`
	// AllowedPriorityClasses are the PriorityClasses a tenant may choose
	// itself. A class a layer sets is the platform's and always allowed,
	// and so is the cluster's globalDefault class, which the API server
	// gives a pod that names none.
	// +optional
	AllowedPriorityClasses []string `json:"allowedPriorityClasses,omitempty"`
	// AllowedRuntimeClasses are the RuntimeClasses a tenant's pod may name
	// (spec.runtimeClassName). While they are in force a pod naming another
	// is refused, and the node selectors and tolerations the scheduling of
	// an allowed class gives the pod (the API server merges them in before
	// any webhook) are the platform's, not held to reservedNodeSelectors
	// and allowedTolerations. Without them any class may be named, and what
	// its scheduling gives the pod is judged as the tenant's own: a class
	// meant for the platform's own pods never opens its nodes to tenants.
	// +optional
	AllowedRuntimeClasses []string `json:"allowedRuntimeClasses,omitempty"`
	// PodAffinity, when set, holds a tenant's pod affinity and
	// anti-affinity terms (required or preferred) to the pods of its own
	// namespace and of the namespaces it allows. Without it a tenant's
	// required anti-affinity keeps other tenants' pods off the nodes its
	// pods run on, and its affinity places its pods beside theirs.
	// +optional
	PodAffinity *PodAffinityRule `json:"podAffinity,omitempty"`
	// PlacementControllers are the users, as the API server names them
	// (system:serviceaccount:NAMESPACE:NAME for a service account), of the
	// controllers that place a pod after it is created, such as Kueue
	// admitting a gated pod: in an UPDATE one of them makes, the node
	// selectors, required node affinity, node name and tolerations are
	// the platform's (reservedNodeSelectors and allowedTolerations do not
	// hold), and so is the node of a binding one of them makes (a batch
	// scheduler's). A CREATE is judged whoever makes it, so a controller that
	// creates pods from what tenants write gains nothing here; so is an
	// UPDATE by a service account of the pod's own namespace, which its
	// admins may impersonate.
	// +optional
	PlacementControllers []string `json:"placementControllers,omitempty"`
	// AllowedServiceTypes are the types of Service a tenant's
	// SparkApplication or SparkConnect may have the Spark Operator create
	// for its driver or server (spec.sparkUIOptions.serviceType,
	// spec.driverIngressOptions[].serviceType, spec.server.service.spec.type),
	// besides ClusterIP, the type of one that names none. While they are in
	// force a SparkConnect's Service may not name externalIPs, which would
	// take the traffic the cluster sends to those addresses.
	// +optional
	// +kubebuilder:validation:items:Enum=ClusterIP;NodePort;LoadBalancer;ExternalName
	AllowedServiceTypes []string `json:"allowedServiceTypes,omitempty"`
	// AllowedIngressHosts are globs (* within one DNS label, ** across
	// labels) of the hosts a tenant's SparkApplication may have the Spark
	// Operator's Ingresses serve: the host of each
	// spec.driverIngressOptions[].ingressURLFormat, with the application's
	// name and namespace filled in, and each host of an ingressTLS entry.
	// {{$appNamespace}} in a glob stands for the application's namespace.
	// While they are in force a URL of no host (which serves every host no
	// other Ingress claims) is refused, and so is one whose host takes the
	// application's Spark id ({{$appId}}), read later from pod labels;
	// "**" allows both.
	// +optional
	AllowedIngressHosts []string `json:"allowedIngressHosts,omitempty"`
}

// PodAffinityRule is where a tenant's pod affinity may reach. A term
// selects pods in the namespaces its namespaces list names and those its
// namespaceSelector selects, or in its pod's own namespace when it has
// neither. A namespaceSelector is bounded only by the namespaces' names
// (kubernetes.io/metadata.name In, or matchLabels on it); any other
// selector, {} among them, may select every namespace.
type PodAffinityRule struct {
	// AllowedNamespaces are the namespaces, besides the pod's own, whose
	// pods a tenant's terms may select.
	// +optional
	AllowedNamespaces []string `json:"allowedNamespaces,omitempty"`
}

// TolerationPattern matches tolerations by key and, when set, effect.
type TolerationPattern struct {
	Key string `json:"key"`
	// +optional
	Effect corev1.TaintEffect `json:"effect,omitempty"`
}

// Enforcement is what a policy violation does.
type Enforcement string

// The enforcements.
const (
	// EnforcementDeny refuses the pod.
	EnforcementDeny Enforcement = "deny"
	// EnforcementWarn admits the pod with a warning.
	EnforcementWarn Enforcement = "warn"
	// EnforcementDryRun admits the pod; the violation is logged and counted.
	EnforcementDryRun Enforcement = "dryrun"
)

// SidecarMode is where injected sidecars go.
type SidecarMode string

// The sidecar modes.
const (
	// SidecarModeNative injects sidecars as init containers with
	// restartPolicy Always (Kubernetes native sidecars, 1.29+).
	SidecarModeNative SidecarMode = "native"
	// SidecarModeContainer injects sidecars as regular containers.
	SidecarModeContainer SidecarMode = "container"
)

// SecretMount mounts a Secret into the Spark container, or adds it as
// environment variables.
type SecretMount struct {
	// SecretName is the Secret, in the pod's namespace.
	SecretName string `json:"secretName"`
	// MountPath is where the Secret is mounted, read-only. Either MountPath
	// or AsEnv.
	// +optional
	MountPath string `json:"mountPath,omitempty"`
	// AsEnv adds the Secret's keys as environment variables (envFrom).
	// +optional
	AsEnv bool `json:"asEnv,omitempty"`
	// Sidecars are the sidecars that get the same mount.
	// +optional
	Sidecars []string `json:"sidecars,omitempty"`
}

// IAMMode is how a pod gets its IAM role.
type IAMMode string

// The IAM modes.
const (
	// IAMModeAnnotation sets the pod annotation iam.amazonaws.com/role, as
	// KIAM and kube2iam read it.
	IAMModeAnnotation IAMMode = "annotation"
	// IAMModeIRSA does what the EKS Pod Identity Webhook does: AWS_ROLE_ARN,
	// AWS_WEB_IDENTITY_TOKEN_FILE and AWS_STS_REGIONAL_ENDPOINTS, and a
	// projected service-account token (audience sts.amazonaws.com) mounted
	// in every container.
	IAMModeIRSA IAMMode = "irsa"
)

// IAM is the pod's cloud IAM role. Role and Mode compose separately.
type IAM struct {
	// Role is the role's ARN.
	// +optional
	Role *string `json:"role,omitempty"`
	// Mode is annotation (the default) or irsa.
	// +optional
	Mode *IAMMode `json:"mode,omitempty"`
}

// ImageMirror rewrites image references that start with From to start with
// To instead, e.g. docker.io → mirror.internal.
type ImageMirror struct {
	// From is a registry, or a registry and repository path prefix, e.g.
	// docker.io or docker.io/apache. Images without a registry are read the
	// usual way: apache/spark is docker.io/apache/spark, nginx is
	// docker.io/library/nginx.
	From string `json:"from"`
	// To replaces From.
	To string `json:"to"`
}
