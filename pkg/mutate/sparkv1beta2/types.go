package sparkv1beta2

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The API's identity.
const (
	Group      = "sparkoperator.k8s.io"
	Version    = "v1beta2"
	Kind       = "SparkApplication"
	Resource   = "sparkapplications"
	APIVersion = Group + "/" + Version
)

// GroupVersionKind is SparkApplication's.
var GroupVersionKind = schema.GroupVersionKind{Group: Group, Version: Version, Kind: Kind}

// SparkApplication is the typed view of a SparkApplication: the fields
// Strata reads and writes.
// +kubebuilder:object:generate=true
type SparkApplication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              Spec `json:"spec"`
}

// Spec is the part of SparkApplicationSpec Strata reads and writes.
// +kubebuilder:object:generate=true
type Spec struct {
	// Type is Java, Scala, Python or R; with the main file's name it
	// decides Spark's default memory overhead factor.
	Type string `json:"type,omitempty"`
	// MainApplicationFile is the primary resource spark-submit runs: its
	// name also tells a Python or R application.
	MainApplicationFile *string `json:"mainApplicationFile,omitempty"`
	// Deps are the application's dependencies: the files spark-submit
	// hands the driver (--jars, --files, --py-files, --archives) and the
	// packages it resolves.
	Deps Dependencies `json:"deps,omitzero"`
	// ProxyUser is the user spark-submit submits as (--proxy-user).
	ProxyUser *string `json:"proxyUser,omitempty"`
	// RestartPolicy is when and how soon the operator submits the
	// application again.
	RestartPolicy *RestartPolicy `json:"restartPolicy,omitempty"`
	// Mode is spark-submit's deploy mode: cluster (the default), or client,
	// which runs the driver where spark-submit runs.
	Mode string `json:"mode,omitempty"`
	// Suspend, when true, keeps the operator from submitting the
	// application (and makes it delete the pods of one that runs).
	Suspend              *bool             `json:"suspend,omitempty"`
	Image                *string           `json:"image,omitempty"`
	SparkConf            map[string]string `json:"sparkConf,omitempty"`
	HadoopConf           map[string]string `json:"hadoopConf,omitempty"`
	Volumes              []corev1.Volume   `json:"volumes,omitempty"`
	Driver               DriverSpec        `json:"driver"`
	Executor             ExecutorSpec      `json:"executor"`
	NodeSelector         map[string]string `json:"nodeSelector,omitempty"`
	MemoryOverheadFactor *string           `json:"memoryOverheadFactor,omitempty"`
	// ImagePullPolicy, ImagePullSecrets and PythonVersion are
	// spark.kubernetes.container.image.pullPolicy, .pullSecrets (joined by
	// commas) and spark.kubernetes.pyspark.pythonVersion, passed before
	// sparkConf, as MemoryOverheadFactor is.
	ImagePullPolicy       *string                `json:"imagePullPolicy,omitempty"`
	ImagePullSecrets      []string               `json:"imagePullSecrets,omitempty"`
	PythonVersion         *string                `json:"pythonVersion,omitempty"`
	BatchScheduler        *string                `json:"batchScheduler,omitempty"`
	BatchSchedulerOptions *BatchSchedulerOptions `json:"batchSchedulerOptions,omitempty"`
	// SparkConfigMap and HadoopConfigMap are ConfigMaps the operator's pod
	// webhook mounts in every pod's Spark container, at /etc/spark/conf
	// and /etc/hadoop/conf, setting SPARK_CONF_DIR and HADOOP_CONF_DIR
	// there. Strata reads them and never writes them.
	SparkConfigMap    *string            `json:"sparkConfigMap,omitempty"`
	HadoopConfigMap   *string            `json:"hadoopConfigMap,omitempty"`
	DynamicAllocation *DynamicAllocation `json:"dynamicAllocation,omitempty"`
	// Monitoring is the operator's Prometheus monitoring of the
	// application: with Prometheus set it writes spark.metrics.namespace
	// and spark.metrics.conf over sparkConf, and gives the roles whose
	// metrics it exposes the JMX exporter (a Java agent, its port, its
	// ConfigMap, Prometheus' annotations).
	Monitoring *Monitoring `json:"monitoring,omitempty"`
	// SparkUIOptions and DriverIngressOptions are the Services and
	// Ingresses the operator creates, with its own credentials, to expose
	// the driver: the UI's, and one of each per entry. Strata reads them
	// and never writes them.
	SparkUIOptions       *SparkUIConfiguration        `json:"sparkUIOptions,omitempty"`
	DriverIngressOptions []DriverIngressConfiguration `json:"driverIngressOptions,omitempty"`
}

// SparkUIConfiguration is the Service (and, where the operator is given
// an ingress URL format, the Ingress) the operator creates for the
// driver's UI.
// +kubebuilder:object:generate=true
type SparkUIConfiguration struct {
	ServicePort        *int32                    `json:"servicePort,omitempty"`
	ServicePortName    *string                   `json:"servicePortName,omitempty"`
	ServiceType        *corev1.ServiceType       `json:"serviceType,omitempty"`
	ServiceAnnotations map[string]string         `json:"serviceAnnotations,omitempty"`
	ServiceLabels      map[string]string         `json:"serviceLabels,omitempty"`
	IngressAnnotations map[string]string         `json:"ingressAnnotations,omitempty"`
	IngressTLS         []networkingv1.IngressTLS `json:"ingressTLS,omitempty"`
}

// DriverIngressConfiguration is a Service the operator creates for a port
// of the driver, and the Ingress to it when IngressURLFormat is set.
// +kubebuilder:object:generate=true
type DriverIngressConfiguration struct {
	ServicePort        *int32              `json:"servicePort,omitempty"`
	ServicePortName    *string             `json:"servicePortName,omitempty"`
	ServiceType        *corev1.ServiceType `json:"serviceType,omitempty"`
	ServiceAnnotations map[string]string   `json:"serviceAnnotations,omitempty"`
	ServiceLabels      map[string]string   `json:"serviceLabels,omitempty"`
	// IngressURLFormat is the Ingress's URL: {{$appName}},
	// {{$appNamespace}} and {{$appId}} stand for the application's name,
	// namespace and Spark application id.
	IngressURLFormat   string                    `json:"ingressURLFormat,omitempty"`
	IngressAnnotations map[string]string         `json:"ingressAnnotations,omitempty"`
	IngressTLS         []networkingv1.IngressTLS `json:"ingressTLS,omitempty"`
}

// Monitoring is the operator's monitoring of an application.
// +kubebuilder:object:generate=true
type Monitoring struct {
	ExposeDriverMetrics   bool `json:"exposeDriverMetrics"`
	ExposeExecutorMetrics bool `json:"exposeExecutorMetrics"`
	// MetricsProperties is the content of the metrics.properties the
	// operator's ConfigMap holds; MetricsPropertiesFile, where set, is the
	// file spark.metrics.conf names instead of that ConfigMap's.
	MetricsProperties     *string     `json:"metricsProperties,omitempty"`
	MetricsPropertiesFile *string     `json:"metricsPropertiesFile,omitempty"`
	Prometheus            *Prometheus `json:"prometheus,omitempty"`
}

// Prometheus is the JMX exporter the operator adds for Prometheus.
// +kubebuilder:object:generate=true
type Prometheus struct {
	JmxExporterJar string  `json:"jmxExporterJar"`
	Port           *int32  `json:"port,omitempty"`
	PortName       *string `json:"portName,omitempty"`
	// ConfigFile is the exporter's configuration in the image; without
	// it, the operator's ConfigMap holds Configuration.
	ConfigFile    *string `json:"configFile,omitempty"`
	Configuration *string `json:"configuration,omitempty"`
}

// Dependencies are an application's dependencies, each list passed to
// spark-submit joined by commas.
// +kubebuilder:object:generate=true
type Dependencies struct {
	Jars            []string `json:"jars,omitempty"`
	Files           []string `json:"files,omitempty"`
	PyFiles         []string `json:"pyFiles,omitempty"`
	Archives        []string `json:"archives,omitempty"`
	Packages        []string `json:"packages,omitempty"`
	ExcludePackages []string `json:"excludePackages,omitempty"`
	Repositories    []string `json:"repositories,omitempty"`
}

// RestartPolicy is the operator's restart policy of an application: each
// restart runs spark-submit again.
// +kubebuilder:object:generate=true
type RestartPolicy struct {
	// Type is Never, OnFailure or Always.
	Type                             string `json:"type,omitempty"`
	OnSubmissionFailureRetries       *int32 `json:"onSubmissionFailureRetries,omitempty"`
	OnFailureRetries                 *int32 `json:"onFailureRetries,omitempty"`
	OnSubmissionFailureRetryInterval *int64 `json:"onSubmissionFailureRetryInterval,omitempty"`
	OnFailureRetryInterval           *int64 `json:"onFailureRetryInterval,omitempty"`
}

// SparkPodSpec is what the driver and executor sections share.
// +kubebuilder:object:generate=true
type SparkPodSpec struct {
	Cores          *int32          `json:"cores,omitempty"`
	CoreLimit      *string         `json:"coreLimit,omitempty"`
	Memory         *string         `json:"memory,omitempty"`
	MemoryOverhead *string         `json:"memoryOverhead,omitempty"`
	Image          *string         `json:"image,omitempty"`
	Env            []corev1.EnvVar `json:"env,omitempty"`
	// EnvVars (deprecated in the operator for env) are the Spark
	// container's variables as the operator passes them: the keys
	// spark.kubernetes.driverEnv.<name> or spark.executorEnv.<name>, after
	// sparkConf, so they win over its keys; env, which the operator's pod
	// webhook appends, wins over them.
	EnvVars map[string]string      `json:"envVars,omitempty"`
	EnvFrom []corev1.EnvFromSource `json:"envFrom,omitempty"`
	// EnvSecretKeyRefs are variables of the Spark container taken from
	// Secrets, by variable name: the keys
	// spark.kubernetes.<role>.secretKeyRef.<name> = secret:key, which the
	// operator passes after sparkConf.
	EnvSecretKeyRefs map[string]NameKey `json:"envSecretKeyRefs,omitempty"`
	// Secrets are Secrets mounted in the Spark container: the keys
	// spark.kubernetes.<role>.secrets.<name> = path, which the operator
	// passes after sparkConf (a later entry of one name over an earlier),
	// with the variable a typed secret needs.
	Secrets []SecretInfo `json:"secrets,omitempty"`
	// ConfigMaps are ConfigMaps the operator's pod webhook mounts in the
	// role's Spark container, each at its path. Strata reads them and
	// never writes them.
	ConfigMaps     []NamePath           `json:"configMaps,omitempty"`
	Labels         map[string]string    `json:"labels,omitempty"`
	Annotations    map[string]string    `json:"annotations,omitempty"`
	VolumeMounts   []corev1.VolumeMount `json:"volumeMounts,omitempty"`
	Tolerations    []corev1.Toleration  `json:"tolerations,omitempty"`
	SchedulerName  *string              `json:"schedulerName,omitempty"`
	Sidecars       []corev1.Container   `json:"sidecars,omitempty"`
	InitContainers []corev1.Container   `json:"initContainers,omitempty"`
	NodeSelector   map[string]string    `json:"nodeSelector,omitempty"`
	ServiceAccount *string              `json:"serviceAccount,omitempty"`
	CoreRequest    *string              `json:"coreRequest,omitempty"`
	// JavaOptions is spark.<role>.extraJavaOptions.
	JavaOptions *string `json:"javaOptions,omitempty"`
	// CoreRequest and PriorityClassName are the driver's and the
	// executor's own fields of the same name.
	PriorityClassName *string `json:"priorityClassName,omitempty"`
	// Template is the pod template the operator hands spark-submit
	// (spark.kubernetes.<role>.podTemplateFile): the pod Spark starts the
	// role's pods from. Strata reads it to judge the pods an application
	// launches and never writes it.
	Template *corev1.PodTemplateSpec `json:"template,omitempty"`
	// Affinity, HostNetwork, PodSecurityContext and SecurityContext (the
	// Spark container's) are what the operator's pod webhook sets on the
	// role's pods that policies judge. Strata reads them and never writes
	// them.
	Affinity           *corev1.Affinity           `json:"affinity,omitempty"`
	HostNetwork        *bool                      `json:"hostNetwork,omitempty"`
	PodSecurityContext *corev1.PodSecurityContext `json:"podSecurityContext,omitempty"`
	SecurityContext    *corev1.SecurityContext    `json:"securityContext,omitempty"`
	// MemoryLimit is the memory the operator's pod webhook limits the
	// Spark container to, over Spark's limit (its request), as a JVM
	// size (512m) or a quantity. Strata reads it and never writes it.
	MemoryLimit *string `json:"memoryLimit,omitempty"`
	// GPU is the device the operator's pod webhook limits the Spark
	// container to (a quantity of the resource it names), for quotas and
	// LimitRanges to count. Strata reads it and never writes it.
	GPU *GPUSpec `json:"gpu,omitempty"`
	// DNSConfig, TerminationGracePeriodSeconds and ShareProcessNamespace
	// (when true) are set on the role's pods, and HostAliases appended to
	// theirs, by the operator's pod webhook. Strata reads them and never
	// writes them.
	DNSConfig                     *corev1.PodDNSConfig `json:"dnsConfig,omitempty"`
	TerminationGracePeriodSeconds *int64               `json:"terminationGracePeriodSeconds,omitempty"`
	HostAliases                   []corev1.HostAlias   `json:"hostAliases,omitempty"`
	ShareProcessNamespace         *bool                `json:"shareProcessNamespace,omitempty"`
}

// Port is a port the operator's pod webhook gives a role's Spark
// container.
type Port struct {
	Name          string `json:"name"`
	Protocol      string `json:"protocol"`
	ContainerPort int32  `json:"containerPort"`
}

// GPUSpec is a section's gpu: a device plugin's resource (nvidia.com/gpu)
// and how many of it.
type GPUSpec struct {
	Name     string `json:"name"`
	Quantity int64  `json:"quantity"`
}

// DriverSpec is the driver section.
// +kubebuilder:object:generate=true
type DriverSpec struct {
	SparkPodSpec `json:",inline"`
	// KubernetesMaster is spark.kubernetes.driver.master; ServiceLabels
	// and ServiceAnnotations are the keys
	// spark.kubernetes.driver.service.label.<key> and
	// .service.annotation.<key> of the driver's Service. The operator
	// passes them after sparkConf.
	KubernetesMaster   *string           `json:"kubernetesMaster,omitempty"`
	ServiceLabels      map[string]string `json:"serviceLabels,omitempty"`
	ServiceAnnotations map[string]string `json:"serviceAnnotations,omitempty"`
	// Lifecycle is the driver's Spark container's, as the operator's pod
	// webhook sets it (a hook's host is Pod Security's to judge). Strata
	// reads it and never writes it.
	Lifecycle *corev1.Lifecycle `json:"lifecycle,omitempty"`
	// Ports are the driver's Spark container's, as the operator's pod
	// webhook adds them. Strata reads them and never writes them.
	Ports []Port `json:"ports,omitempty"`
}

// ExecutorSpec is the executor section.
// +kubebuilder:object:generate=true
type ExecutorSpec struct {
	SparkPodSpec `json:",inline"`
	Instances    *int32 `json:"instances,omitempty"`
	// DeleteOnTermination is spark.kubernetes.executor.deleteOnTermination.
	DeleteOnTermination *bool `json:"deleteOnTermination,omitempty"`
	// Lifecycle and Ports are the executors' Spark container's, as the
	// driver's are the driver's.
	Lifecycle *corev1.Lifecycle `json:"lifecycle,omitempty"`
	Ports     []Port            `json:"ports,omitempty"`
}

// NameKey names a key of a Secret: spark.kubernetes.<role>.secretKeyRef's
// secret:key.
// +kubebuilder:object:generate=true
type NameKey struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// Secret types the operator gives a variable (SecretInfo.Type); any other
// needs none.
const (
	// SecretTypeGCPServiceAccount sets GOOGLE_APPLICATION_CREDENTIALS to
	// the secret's key.json.
	SecretTypeGCPServiceAccount = "GCPServiceAccount"
	// SecretTypeHadoopDelegationToken sets HADOOP_TOKEN_FILE_LOCATION to
	// the secret's hadoop.token.
	SecretTypeHadoopDelegationToken = "HadoopDelegationToken"
	// SecretTypeGeneric needs no variable.
	SecretTypeGeneric = "Generic"
)

// NamePath is a ConfigMap mounted at Path in a role's Spark container.
type NamePath struct {
	Name string `json:"name"`
	Path string `json:"path"`
}

// SecretInfo is a Secret mounted at Path in a role's Spark container.
// +kubebuilder:object:generate=true
type SecretInfo struct {
	Name string `json:"name"`
	Path string `json:"path"`
	Type string `json:"secretType"`
}

// BatchSchedulerOptions are the batch scheduler's settings.
// +kubebuilder:object:generate=true
type BatchSchedulerOptions struct {
	Queue             *string `json:"queue,omitempty"`
	PriorityClassName *string `json:"priorityClassName,omitempty"`
	// Resources is what the operator writes as the Volcano PodGroup's
	// minResources in place of the driver's and executors' requests:
	// what Volcano holds for the application before placing its pods.
	Resources corev1.ResourceList `json:"resources,omitempty"`
}

// DynamicAllocation is Spark's dynamic allocation of executors. The
// operator passes its fields to spark-submit only when Enabled.
// +kubebuilder:object:generate=true
type DynamicAllocation struct {
	Enabled                bool   `json:"enabled,omitempty"`
	InitialExecutors       *int32 `json:"initialExecutors,omitempty"`
	MinExecutors           *int32 `json:"minExecutors,omitempty"`
	MaxExecutors           *int32 `json:"maxExecutors,omitempty"`
	ShuffleTrackingEnabled *bool  `json:"shuffleTrackingEnabled,omitempty"`
	ShuffleTrackingTimeout *int64 `json:"shuffleTrackingTimeout,omitempty"`
}

// Suspended reports whether the application is suspended: spec.suspend is
// true.
func (s *Spec) Suspended() bool { return s.Suspend != nil && *s.Suspend }

// Pod returns the section of role: driver or executor.
func (s *Spec) Pod(role string) *SparkPodSpec {
	if role == "driver" {
		return &s.Driver.SparkPodSpec
	}
	return &s.Executor.SparkPodSpec
}
