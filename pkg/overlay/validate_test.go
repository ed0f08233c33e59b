package overlay

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

func TestValidateLayer(t *testing.T) {
	secs := int64(30)
	tests := []struct {
		name   string
		mutate func(l *v1alpha1.Layer)
		want   string // "" for valid; otherwise a substring of the only message
	}{
		{name: "valid", mutate: func(*v1alpha1.Layer) {}},
		{name: "empty name", mutate: func(l *v1alpha1.Layer) { l.Name = "" }, want: "metadata.name: Required value"},
		{name: "bad name", mutate: func(l *v1alpha1.Layer) { l.Name = "Bad_Name" }, want: `metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain`},
		{name: "unknown tier", mutate: func(l *v1alpha1.Layer) { l.Spec.Tier = "NamespaceDefaults" },
			want: `spec.tier: Unsupported value: "NamespaceDefaults": supported values: "PoolDefaults", "ClusterDefaults", "ClusterOverrides", "NamespaceOverrides"`},
		{name: "missing tier", mutate: func(l *v1alpha1.Layer) { l.Spec.Tier = "" }, want: `spec.tier: Unsupported value: ""`},
		{name: "bad role", mutate: func(l *v1alpha1.Layer) { l.Spec.Match.Roles = []v1alpha1.Role{"Driver"} },
			want: `spec.match.roles[0]: Unsupported value: "Driver": supported values: "driver", "executor"`},
		{name: "bad selector", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Match.NamespaceSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Near"}}}
		}, want: `spec.match.namespaceSelector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator`},
		{name: "a selector's requirement of In without values", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Match.NamespaceSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: metav1.LabelSelectorOpExists}, {Key: "tier", Operator: metav1.LabelSelectorOpIn}}}
		}, want: "spec.match.namespaceSelector.matchExpressions[1].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"},
		{name: "a selector's label that is none", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Match.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"a b": "x"}}
		}, want: `spec.match.namespaceSelector.matchLabels: Invalid value: "a b": name part must consist`},
		{name: "bad namespace", mutate: func(l *v1alpha1.Layer) { l.Spec.Match.Namespaces = []string{"Etl"} }, want: `spec.match.namespaces[0]: Invalid value: "Etl": a lowercase RFC 1123 label`},
		{name: "empty pool", mutate: func(l *v1alpha1.Layer) { l.Spec.Match.Pools = []string{""} }, want: "spec.match.pools[0]: Required value: a pool name"},
		{name: "bad label key", mutate: func(l *v1alpha1.Layer) { l.Spec.Config.Labels = map[string]string{"bad key": "v"} },
			want: `spec.config.labels[bad key]: Invalid value: "bad key": name part must consist`},
		{name: "bad label value", mutate: func(l *v1alpha1.Layer) { l.Spec.Driver = &v1alpha1.Config{Labels: map[string]string{"k": "a b"}} },
			want: `spec.driver.labels[k]: Invalid value: "a b": a valid label must be`},
		{name: "bad node selector", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Executor = &v1alpha1.Config{NodeSelector: map[string]string{"bad/": "v"}}
		},
			want: `spec.executor.nodeSelector[bad/]: Invalid value: "bad/": name part must be non-empty`},
		{name: "spark role label", mutate: func(l *v1alpha1.Layer) { l.Spec.Config.Labels = map[string]string{"spark-role": "driver"} },
			want: "spec.config.labels[spark-role]: Forbidden: the pod's Spark role is set by spark-submit"},
		{name: "spark role label as a Spark key", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Executor = &v1alpha1.Config{SparkConf: map[string]string{"spark.kubernetes.executor.label.spark-role": "driver"}}
		}, want: "spec.executor.sparkConf[spark.kubernetes.executor.label.spark-role]: Forbidden: sets the pod label spark-role"},
		{name: "bad label value as a Spark key", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.SparkConf = map[string]string{"spark.kubernetes.driver.label.team": "a b"}
		}, want: `spec.config.sparkConf[spark.kubernetes.driver.label.team]: Invalid value: "a b": a valid label must be`},
		{name: "layers annotation as a Spark key", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.SparkConf = map[string]string{"spark.kubernetes.executor.annotation.strata.dev/layers": "x"}
		}, want: "spec.config.sparkConf[spark.kubernetes.executor.annotation.strata.dev/layers]: Forbidden: sets the annotation strata.dev/layers"},
		{name: "bad service account as a Spark key", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.SparkConf = map[string]string{"spark.kubernetes.authenticate.driver.serviceAccountName": "Bad SA"}
		}, want: `spec.config.sparkConf[spark.kubernetes.authenticate.driver.serviceAccountName]: Invalid value: "Bad SA"`},
		{name: "a variable from a Secret Spark refuses", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.SparkConf = map[string]string{"spark.kubernetes.executor.secretKeyRef.TOKEN": "no-key"}
		}, want: `spec.config.sparkConf[spark.kubernetes.executor.secretKeyRef.TOKEN]: Invalid value: "no-key": must be secret:key`},
		{name: "a variable from a Secret of a name no Secret has", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.SparkConf = map[string]string{"spark.kubernetes.driver.secretKeyRef.TOKEN": "Bad_Name:token"}
		}, want: `spec.config.sparkConf[spark.kubernetes.driver.secretKeyRef.TOKEN]: Invalid value: "Bad_Name"`},
		{name: "bad scheduler as the shared Spark key", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.SparkConf = map[string]string{"spark.kubernetes.scheduler.name": "My Scheduler"}
		}, want: `spec.config.sparkConf[spark.kubernetes.scheduler.name]: Invalid value: "My Scheduler"`},
		{name: "executors not a number", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.SparkConf = map[string]string{"spark.executor.instances": "lots"}
		}, want: `spec.config.sparkConf[spark.executor.instances]: Invalid value: "lots": must be a whole number`},
		{name: "memory not a size", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.SparkConf = map[string]string{"spark.executor.memory": "4 GB"}
		}, want: `spec.config.sparkConf[spark.executor.memory]: Invalid value: "4 GB": must be a Spark memory size`},
		{name: "dynamic allocation not a switch", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.SparkConf = map[string]string{"spark.dynamicAllocation.enabled": "yes"}
		}, want: `spec.config.sparkConf[spark.dynamicAllocation.enabled]: Invalid value: "yes": must be true or false`},
		{name: "a switch Spark refuses though Go would take it", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.SparkConf = map[string]string{"spark.memory.offHeap.enabled": "1"}
		}, want: `spec.config.sparkConf[spark.memory.offHeap.enabled]: Invalid value: "1": must be true or false`},
		{name: "a switch in capitals, spaced, as Spark takes it", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.SparkConf = map[string]string{"spark.dynamicAllocation.enabled": " TRUE ", "spark.executor.instances": "\t4"}
		}},
		{name: "an alternate key is read like its setting", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.SparkConf = map[string]string{"spark.yarn.executor.memoryOverhead": "1.5g"}
		}, want: `spec.config.sparkConf[spark.yarn.executor.memoryOverhead]: Invalid value: "1.5g": must be a Spark memory size`},
		{name: "a CPU request Kubernetes refuses", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Executor = &v1alpha1.Config{SparkConf: map[string]string{"spark.kubernetes.executor.request.cores": "two"}}
		}, want: `spec.executor.sparkConf[spark.kubernetes.executor.request.cores]: Invalid value: "two": must be a CPU quantity`},
		{name: "a negative overhead factor", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.SparkConf = map[string]string{"spark.executor.memoryOverheadFactor": "-0.1"}
		}, want: `spec.config.sparkConf[spark.executor.memoryOverheadFactor]: Invalid value: "-0.1": must be a decimal number, at least 0`},
		{name: "registries with a trailing slash", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.ImageMirrors = []v1alpha1.ImageMirror{{From: "docker.io/", To: "mirror.internal/dockerhub/"}}
			l.Spec.Config.Isolation = &v1alpha1.Isolation{AllowedRegistries: []string{"mirror.internal/"}}
		}},
		{name: "a double slash", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.ImageMirrors = []v1alpha1.ImageMirror{{From: "docker.io//", To: "mirror.internal"}}
		}, want: `spec.config.imageMirrors[0].from: Invalid value: "docker.io//": must be a registry or registry/path prefix like`},
		{name: "the same mirror with and without a slash", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.ImageMirrors = []v1alpha1.ImageMirror{{From: "docker.io", To: "a.internal"}, {From: "docker.io/", To: "b.internal"}}
		}, want: `spec.config.imageMirrors[1]: Duplicate value: "docker.io"`},
		{name: "whole-app limit for drivers only", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Driver = &v1alpha1.Config{Limits: &v1alpha1.Limits{MaxAppCPU: resourcePtr("10")}}
		}, want: "spec.driver.limits.maxAppCPU: Forbidden: counts the whole application or its executors"},
		{name: "submission interval for drivers only", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Driver = &v1alpha1.Config{Limits: &v1alpha1.Limits{MinSubmissionIntervalSeconds: new(int32(60))}}
		}, want: "spec.driver.limits.minSubmissionIntervalSeconds: Forbidden: counts the whole application or its executors"},
		{name: "a submission interval of a day", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Executor = &v1alpha1.Config{Limits: &v1alpha1.Limits{MinSubmissionIntervalSeconds: new(int32(86400))}}
		}},
		{name: "a submission interval over a day", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Limits = &v1alpha1.Limits{MinSubmissionIntervalSeconds: new(int32(86401))}
		}, want: "spec.config.limits.minSubmissionIntervalSeconds: Invalid value: 86401: must be between 1 and 86400 seconds (a day)"},
		{name: "no submission interval", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Limits = &v1alpha1.Limits{MinSubmissionIntervalSeconds: new(int32(0))}
		}, want: "spec.config.limits.minSubmissionIntervalSeconds: Invalid value: 0: must be between 1 and 86400 seconds (a day)"},
		{name: "limits of zero: nothing may run", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Limits = &v1alpha1.Limits{MaxPodCPU: resourcePtr("0"), NamespaceMemory: resourcePtr("0")}
		}},
		{name: "a negative limit", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Limits = &v1alpha1.Limits{MaxAppCPU: resourcePtr("-1m")}
		}, want: `spec.config.limits.maxAppCPU: Invalid value: "-1m": must not be negative`},
		{name: "limits exactly as large as can be counted", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Limits = &v1alpha1.Limits{
				NamespaceCPU:    resource.NewMilliQuantity(v1alpha1.MaxCountableCPUMilli, resource.DecimalSI),
				NamespaceMemory: resource.NewQuantity(v1alpha1.MaxCountableMemoryBytes, resource.BinarySI)}
		}},
		{name: "a limit one more than can be counted", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Limits = &v1alpha1.Limits{NamespaceCPU: resource.NewMilliQuantity(v1alpha1.MaxCountableCPUMilli+1, resource.DecimalSI)}
		}, want: `spec.config.limits.namespaceCPU: Invalid value: "1099511627777m": too large to count`},
		{name: "allowed IAM roles and tolerations", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Isolation = &v1alpha1.Isolation{AllowedIAMRoles: []string{"arn:aws:iam::*:role/etl-*"},
				AllowedTolerations: []v1alpha1.TolerationPattern{{Key: "gpu"}}}
		}},
		{name: "an empty allowed IAM role", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Isolation = &v1alpha1.Isolation{AllowedIAMRoles: []string{" "}}
		}, want: `spec.config.isolation.allowedIAMRoles[0]: Required value: a role ARN or glob`},
		{name: "an allowed toleration without a key", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Isolation = &v1alpha1.Isolation{AllowedTolerations: []v1alpha1.TolerationPattern{{}}}
		}, want: `spec.config.isolation.allowedTolerations[0].key: Required value: the taint key tenants may tolerate`},
		{name: "a limit of a huge exponent is too large, found without comparing it (which takes minutes)", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Limits = &v1alpha1.Limits{NamespaceMemory: resourcePtr("1.5e999999999")}
		}, want: `spec.config.limits.namespaceMemory: Invalid value: "1500e999999996": too large to count`},
		{name: "empty hadoopConf key", mutate: func(l *v1alpha1.Layer) { l.Spec.Config.HadoopConf = map[string]string{"": "x"} },
			want: "spec.config.hadoopConf[]: Required value"},
		{name: "reserved annotation", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Annotations = map[string]string{v1alpha1.LayersAnnotation: "x"}
		}, want: `spec.config.annotations[strata.dev/layers]: Forbidden: written by Strata itself`},
		{name: "affinity namespaces", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Isolation = &v1alpha1.Isolation{PodAffinity: &v1alpha1.PodAffinityRule{AllowedNamespaces: []string{"spark-shared"}}}
		}},
		{name: "an affinity namespace that is no namespace name", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Isolation = &v1alpha1.Isolation{PodAffinity: &v1alpha1.PodAffinityRule{AllowedNamespaces: []string{"Shared"}}}
		}, want: `spec.config.isolation.podAffinity.allowedNamespaces[0]: Invalid value: "Shared": a lowercase RFC 1123 label`},
		{name: "a placement controller", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Isolation = &v1alpha1.Isolation{PlacementControllers: []string{"system:serviceaccount:kueue-system:kueue-controller-manager"}}
		}},
		{name: "an empty placement controller", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Isolation = &v1alpha1.Isolation{PlacementControllers: []string{""}}
		}, want: `spec.config.isolation.placementControllers[0]: Required value: a user name as the API server gives it`},
		{name: "a placement controller with a space", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Isolation = &v1alpha1.Isolation{PlacementControllers: []string{"kueue "}}
		}, want: `spec.config.isolation.placementControllers[0]: Invalid value: "kueue ": a user name has no leading or trailing space`},
		{name: "service types and ingress hosts", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Isolation = &v1alpha1.Isolation{AllowedServiceTypes: []string{"ClusterIP", "NodePort"},
				AllowedIngressHosts: []string{"**", "*.{{$appNamespace}}.spark.example.com", "ui-*.example.com", "spark.example.com"}}
		}},
		{name: "a service type in lowercase", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Isolation = &v1alpha1.Isolation{AllowedServiceTypes: []string{"loadbalancer"}}
		}, want: `spec.config.isolation.allowedServiceTypes[0]: Unsupported value: "loadbalancer": supported values: "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"`},
		{name: "an empty ingress host", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Isolation = &v1alpha1.Isolation{AllowedIngressHosts: []string{""}}
		}, want: `spec.config.isolation.allowedIngressHosts[0]: Required value: a host glob such as "*.{{$appNamespace}}.spark.example.com" ("**" allows every host)`},
		{name: "an ingress host that is no host", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Isolation = &v1alpha1.Isolation{AllowedIngressHosts: []string{"https://Spark.example.com/ui"}}
		}, want: `spec.config.isolation.allowedIngressHosts[0]: Invalid value: "https://Spark.example.com/ui": must be a host name in lowercase, where "*" stands for part of a label, "**" for labels and "{{$appNamespace}}" for the application's namespace`},
		{name: "an ingress host of a glob's other syntax", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Isolation = &v1alpha1.Isolation{AllowedIngressHosts: []string{"{a,b}.example.com"}}
		}, want: `spec.config.isolation.allowedIngressHosts[0]: Invalid value: "{a,b}.example.com": must be a host name`},
		{name: "bad priority class", mutate: func(l *v1alpha1.Layer) { l.Spec.Config.PriorityClassName = str("High") },
			want: `spec.config.priorityClassName: Invalid value: "High": a lowercase RFC 1123 subdomain`},
		{name: "empty priority class clears", mutate: func(l *v1alpha1.Layer) { l.Spec.Config.PriorityClassName = str("") }},
		{name: "bad toleration effect", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Tolerations = []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists, Effect: "NoScheduled"}}
		}, want: `spec.config.tolerations[0].effect: Unsupported value: "NoScheduled": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute", ""`},
		{name: "toleration exists with value", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Tolerations = []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists, Value: "x"}}
		}, want: `spec.config.tolerations[0].value: Invalid value: "x": must be empty when operator is Exists`},
		{name: "toleration bad operator", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Tolerations = []corev1.Toleration{{Key: "gpu", Operator: "In"}}
		}, want: `spec.config.tolerations[0].operator: Unsupported value: "In": supported values: "Equal", "Exists"`},
		{name: "toleration empty key needs Exists", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpEqual, Value: "x"}}
		}, want: `spec.config.tolerations[0].operator: Invalid value: "Equal": must be Exists when key is empty`},
		{name: "toleration seconds need NoExecute", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Tolerations = []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule, TolerationSeconds: &secs}}
		}, want: "spec.config.tolerations[0].tolerationSeconds: Forbidden: may only be set with effect NoExecute"},
		{name: "duplicate toleration", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Tolerations = []corev1.Toleration{
				{Key: "gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
				{Key: "gpu", Operator: corev1.TolerationOpEqual, Value: "a", Effect: corev1.TaintEffectNoSchedule},
			}
		}, want: `spec.config.tolerations[1]: Duplicate value: "gpu/NoSchedule": toleration for this key/effect also at index 0`},
		{name: "sidecar without image", mutate: func(l *v1alpha1.Layer) { l.Spec.Config.Sidecars = []corev1.Container{{Name: "log"}} },
			want: "spec.config.sidecars[0].image: Required value"},
		{name: "sidecar bad name", mutate: func(l *v1alpha1.Layer) { l.Spec.Config.Sidecars = []corev1.Container{{Name: "Log", Image: "x"}} },
			want: `spec.config.sidecars[0].name: Invalid value: "Log": a lowercase RFC 1123 label`},
		{name: "sidecar of the Spark container's name", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: v1alpha1.SparkExecutorContainer, Image: "x"}}
		}, want: `spec.config.sidecars[0].name: Invalid value: "spark-kubernetes-executor": is the name of the container Spark runs in`},
		{name: "driver's init container of the Spark container's name", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Driver = &v1alpha1.Config{InitContainers: []corev1.Container{{Name: v1alpha1.SparkDriverContainer, Image: "x"}}}
		}, want: `spec.driver.initContainers[0].name: Invalid value: "spark-kubernetes-driver": is the name of the container Spark runs in`},
		{name: "sidecar with Spark's executor id", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", Env: []corev1.EnvVar{{Name: "A", Value: "b"}, {Name: v1alpha1.SparkExecutorIDVariable, Value: "1"}}}}
		}, want: `spec.config.sidecars[0].env[1].name: Invalid value: "SPARK_EXECUTOR_ID": is the variable Spark sets in the container it runs in`},
		{name: "driver's init container with Spark's bind address", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Driver = &v1alpha1.Config{InitContainers: []corev1.Container{{Name: "warm", Image: "x", Env: []corev1.EnvVar{{Name: v1alpha1.SparkDriverBindAddressVariable, Value: "0.0.0.0"}}}}}
		}, want: `spec.driver.initContainers[0].env[0].name: Invalid value: "SPARK_DRIVER_BIND_ADDRESS": is the variable Spark sets`},
		{name: "sidecar requesting above its limit", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("64Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("128Mi")}}}}
		}, want: `spec.config.sidecars[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1`},
		{name: "sidecar of a negative limit", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", Resources: corev1.ResourceRequirements{
				Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("-1")}}}}
		}, want: `spec.config.sidecars[0].resources.limits[memory]: Invalid value: "-1": must be greater than or equal to 0`},
		{name: "init container requesting a GPU without its limit", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.InitContainers = []corev1.Container{{Name: "warm", Image: "x", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{"nvidia.com/gpu": resource.MustParse("1")}}}}
		}, want: `spec.config.initContainers[0].resources.requests[nvidia.com/gpu]: Forbidden: Limit must be set for non overcommitable resources`},
		{name: "sidecar requesting fewer hugepages than it limits", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{"hugepages-2Mi": resource.MustParse("2Mi")}, Limits: corev1.ResourceList{"hugepages-2Mi": resource.MustParse("4Mi")}}}}
		}, want: `spec.config.sidecars[0].resources.requests[hugepages-2Mi]: Invalid value: "2Mi": must be equal to hugepages-2Mi limit of 4Mi`},
		{name: "sidecar port out of range", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", Ports: []corev1.ContainerPort{{ContainerPort: 70000}}}}
		}, want: `spec.config.sidecars[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive`},
		{name: "sidecar port without a number", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", Ports: []corev1.ContainerPort{{Name: "metrics"}}}}
		}, want: `spec.config.sidecars[0].ports[0].containerPort: Required value`},
		{name: "sidecar ports of one name", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", Ports: []corev1.ContainerPort{{Name: "m", ContainerPort: 1}, {Name: "m", ContainerPort: 2}}}}
		}, want: `spec.config.sidecars[0].ports[1].name: Duplicate value: "m"`},
		{name: "sidecar port of a bad name", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", Ports: []corev1.ContainerPort{{Name: "Metrics_Port", ContainerPort: 1}}}}
		}, want: `spec.config.sidecars[0].ports[0].name: Invalid value: "Metrics_Port": must contain only alpha-numeric characters`},
		{name: "sidecar port of an unknown protocol", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", Ports: []corev1.ContainerPort{{ContainerPort: 1, Protocol: "HTTP"}}}}
		}, want: `spec.config.sidecars[0].ports[0].protocol: Unsupported value: "HTTP"`},
		{name: "sidecar of probes, ports and resources the API server takes", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x",
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("metrics")}}, SuccessThreshold: 3},
				LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}, TerminationGracePeriodSeconds: ptr.To[int64](5)},
				StartupProbe:   &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(9102)}}, SuccessThreshold: 1},
				Lifecycle:      &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 5}}},
				Env: []corev1.EnvVar{{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
					{Name: "APP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.labels['spark-app-selector']"}}},
					{Name: "MEM", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}}},
					{Name: "HUGE", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "requests.hugepages-2Mi"}}},
					{Name: "CONF", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "conf"}, Key: "level"}}}},
				Ports: []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9102, HostPort: 9102, Protocol: corev1.ProtocolUDP}},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), "nvidia.com/gpu": resource.MustParse("1")},
					Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi"), "nvidia.com/gpu": resource.MustParse("1")}}}}
		}},
		{name: "sidecar probe of no handler", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", ReadinessProbe: &corev1.Probe{PeriodSeconds: 5}}}
		}, want: `spec.config.sidecars[0].readinessProbe: Required value: must specify a handler type`},
		{name: "sidecar probe of two handlers", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
				Exec: &corev1.ExecAction{Command: []string{"true"}}, TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80)}}}}}
		}, want: `spec.config.sidecars[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type`},
		{name: "sidecar liveness probe that must succeed twice", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", LivenessProbe: &corev1.Probe{
				ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}, SuccessThreshold: 2}}}
		}, want: `spec.config.sidecars[0].livenessProbe.successThreshold: Invalid value: 2: must be 1`},
		{name: "sidecar probe of a negative period", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", StartupProbe: &corev1.Probe{
				ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}, PeriodSeconds: -1}}}
		}, want: `spec.config.sidecars[0].startupProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0`},
		{name: "sidecar HTTP probe of no port", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", ReadinessProbe: &corev1.Probe{
				ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready"}}}}}
		}, want: `spec.config.sidecars[0].readinessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive`},
		{name: "sidecar TCP probe of a bad port name", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", ReadinessProbe: &corev1.Probe{
				ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("Metrics_Port")}}}}}
		}, want: `spec.config.sidecars[0].readinessProbe.tcpSocket.port: Invalid value: "Metrics_Port"`},
		{name: "sidecar readiness probe of its own grace period", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", ReadinessProbe: &corev1.Probe{
				ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}, TerminationGracePeriodSeconds: ptr.To[int64](5)}}}
		}, want: `spec.config.sidecars[0].readinessProbe.terminationGracePeriodSeconds: Forbidden: must not be set for readinessProbes`},
		{name: "sidecar preStop hook of no command", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{}}}}}
		}, want: `spec.config.sidecars[0].lifecycle.preStop.exec.command: Required value`},
		{name: "sidecar postStart hook of no handler", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", Lifecycle: &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{}}}}
		}, want: `spec.config.sidecars[0].lifecycle.postStart: Required value: must specify a handler type`},
		{name: "env of an empty valueFrom", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Env = []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{}}}
		}, want: `spec.config.env[0].valueFrom: Required value: set one of fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef or fileKeyRef`},
		{name: "env of two sources", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Env = []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{
				FieldRef:     &corev1.ObjectFieldSelector{FieldPath: "metadata.name"},
				SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "k"}}}}
		}, want: `spec.config.env[0].valueFrom: Forbidden: set only one of`},
		{name: "env of a pod field it cannot read", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Env = []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.restartPolicy"}}}}
		}, want: `spec.config.env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.restartPolicy"`},
		{name: "env of a label of a bad key", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Env = []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['a b']"}}}}
		}, want: `spec.config.env[0].valueFrom.fieldRef: Invalid value: "metadata.labels['a b']"`},
		{name: "env of a resource it cannot read", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Env = []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.nvidia.com/gpu"}}}}
		}, want: `spec.config.env[0].valueFrom.resourceFieldRef.resource: Unsupported value: "limits.nvidia.com/gpu"`},
		{name: "env of a CPU in mebibytes", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Env = []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu", Divisor: resource.MustParse("1Mi")}}}}
		}, want: `spec.config.env[0].valueFrom.resourceFieldRef.divisor: Unsupported value: "1Mi"`},
		{name: "env of a ConfigMap of no name", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Driver = &v1alpha1.Config{Env: []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Key: "k"}}}}}
		}, want: `spec.driver.env[0].valueFrom.configMapKeyRef.name: Required value: the ConfigMap to read`},
		{name: "sidecar env of a Secret's bad key", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", Env: []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{
				SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "a/b"}}}}}}
		}, want: `spec.config.sidecars[0].env[0].valueFrom.secretKeyRef.key: Invalid value: "a/b"`},
		{name: "sidecar of one host port twice", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "log", Image: "x", Ports: []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080}, {ContainerPort: 81, HostPort: 8080, Protocol: corev1.ProtocolTCP}}}}
		}, want: `spec.config.sidecars[0].ports[1].hostPort: Duplicate value: "TCP//8080"`},
		{name: "init container with a probe", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.InitContainers = []corev1.Container{{Name: "warm", Image: "x", ReadinessProbe: &corev1.Probe{}}}
		}, want: `spec.config.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always`},
		{name: "duplicate sidecar", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Sidecars = []corev1.Container{{Name: "a", Image: "x"}, {Name: "a", Image: "y"}}
		}, want: `spec.config.sidecars[1]: Duplicate value: "a": container name also at index 0`},
		{name: "init container with restartPolicy", mutate: func(l *v1alpha1.Layer) {
			always := corev1.ContainerRestartPolicyAlways
			l.Spec.Config.InitContainers = []corev1.Container{{Name: "a", Image: "x", RestartPolicy: &always}}
		}, want: "spec.config.initContainers[0].restartPolicy: Forbidden: must be unset for an init container"},
		{name: "bad sidecar mode", mutate: func(l *v1alpha1.Layer) { m := v1alpha1.SidecarMode("sidecar"); l.Spec.Config.SidecarMode = &m },
			want: `spec.config.sidecarMode: Unsupported value: "sidecar": supported values: "native", "container"`},
		{name: "bad env name", mutate: func(l *v1alpha1.Layer) { l.Spec.Driver = &v1alpha1.Config{Env: []corev1.EnvVar{{Name: "1A"}}} },
			want: `spec.driver.env[0].name: Invalid value: "1A": a valid environment variable name`},
		{name: "envFrom without source", mutate: func(l *v1alpha1.Layer) { l.Spec.Config.EnvFrom = []corev1.EnvFromSource{{Prefix: "X_"}} },
			want: "spec.config.envFrom[0]: Invalid value: set exactly one of configMapRef and secretRef"},
		{name: "envFrom a ConfigMap and a Secret", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}},
				SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}}}}
		}, want: "spec.config.envFrom[0]: Invalid value: set exactly one of configMapRef and secretRef"},
		{name: "annotations over the API server's 256 KiB", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Annotations = map[string]string{"example.com/a": strings.Repeat("x", 200<<10), "example.com/b": strings.Repeat("y", 60<<10)}
		}, want: "spec.config.annotations: Too long: may not be more than 262144 bytes"},
		{name: "envFrom a Secret of a bad name", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "Creds_1"}}}}
		}, want: `spec.config.envFrom[0].secretRef.name: Invalid value: "Creds_1": a lowercase RFC 1123 subdomain`},
		{name: "envFrom of a prefix with =", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.EnvFrom = []corev1.EnvFromSource{{Prefix: "A=", SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}}}}
		}, want: `spec.config.envFrom[0].prefix: Invalid value: "A="`},
		{name: "envFrom a ConfigMap", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}}}}
		}},
		{name: "envFrom a Secret", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}}}}
		}},
		{name: "envFrom a ConfigMap without a name", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{}}}
		}, want: "spec.config.envFrom[0].configMapRef.name: Required value: the ConfigMap to read"},
		{name: "envFrom a Secret without a name", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{}}}
		}, want: "spec.config.envFrom[0].secretRef.name: Required value: the Secret to read"},
		{name: "volume without source", mutate: func(l *v1alpha1.Layer) { l.Spec.Config.Volumes = []corev1.Volume{{Name: "v"}} },
			want: "spec.config.volumes[0]: Invalid value: set exactly one volume source"},
		{name: "a secret volume of a mode above 0777", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Volumes = []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s", DefaultMode: new(int32(0o1000))}}}}
		}, want: "spec.config.volumes[0].secret.defaultMode: Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive"},
		{name: "a projected token of a short life", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Volumes = []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{ExpirationSeconds: new(int64(60)), Path: "token"}}}}}}}
		}, want: "spec.config.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes"},
		{name: "relative mount", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.VolumeMounts = []corev1.VolumeMount{{Name: "v", MountPath: "data"}}
		},
			want: `spec.config.volumeMounts[0].mountPath: Invalid value: "data": must be an absolute path`},
		{name: "secret neither mounted nor env", mutate: func(l *v1alpha1.Layer) { l.Spec.Config.Secrets = []v1alpha1.SecretMount{{SecretName: "s"}} },
			want: "spec.config.secrets[0].mountPath: Required value: set mountPath (mount the Secret) or asEnv: true"},
		{name: "secret both", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Secrets = []v1alpha1.SecretMount{{SecretName: "s", MountPath: "/s", AsEnv: true}}
		}, want: "spec.config.secrets[0].asEnv: Forbidden: set either mountPath or asEnv, not both"},
		{name: "secret as env", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Secrets = []v1alpha1.SecretMount{{SecretName: "s", AsEnv: true}}
		}},
		{name: "secret mounted", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Secrets = []v1alpha1.SecretMount{{SecretName: "s", MountPath: "/s"}}
		}},
		{name: "secret at a relative path", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.Secrets = []v1alpha1.SecretMount{{SecretName: "s", MountPath: "s"}}
		}, want: `spec.config.secrets[0].mountPath: Invalid value: "s": must be an absolute path`},
		{name: "bad IAM role", mutate: func(l *v1alpha1.Layer) { l.Spec.Config.IAM = &v1alpha1.IAM{Role: str("etl-role")} },
			want: `spec.config.iam.role: Invalid value: "etl-role": not an IAM role ARN`},
		{name: "bad IAM mode", mutate: func(l *v1alpha1.Layer) { m := v1alpha1.IAMMode("kiam"); l.Spec.Config.IAM = &v1alpha1.IAM{Mode: &m} },
			want: `spec.config.iam.mode: Unsupported value: "kiam": supported values: "annotation", "irsa"`},
		{name: "IAM role in GovCloud", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.IAM = &v1alpha1.IAM{Role: str("arn:aws-us-gov:iam::123456789012:role/path/etl")}
		}},
		{name: "mirror with scheme", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.ImageMirrors = []v1alpha1.ImageMirror{{From: "https://docker.io", To: "m"}}
		}, want: `spec.config.imageMirrors[0].from: Invalid value: "https://docker.io": must be a registry or registry/path prefix without a scheme`},
		{name: "pod patch not an object", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.PodPatch = &runtime.RawExtension{Raw: []byte(`[1]`)}
		}, want: "spec.config.podPatch: Invalid value: not a JSON object"},
		{name: "pod patch unknown field", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.PodPatch = &runtime.RawExtension{Raw: []byte(`{"spec":{"dnsPolicyy":"None"}}`)}
		}, want: `spec.config.podPatch: Invalid value: does not patch a Pod: unknown field "spec.dnsPolicyy"`},
		{name: "pod patch wrong type", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.PodPatch = &runtime.RawExtension{Raw: []byte(`{"spec":{"containers":{"name":"x"}}}`)}
		}, want: "spec.config.podPatch:"},
		{name: "empty spark conf key", mutate: func(l *v1alpha1.Layer) { l.Spec.Config.SparkConf = map[string]string{" ": "x"} },
			want: "spec.config.sparkConf[ ]: Required value: keys must not be empty"},
		{name: "spark conf key holding =", mutate: func(l *v1alpha1.Layer) {
			l.Spec.Config.SparkConf = map[string]string{"spark.eventLog.dir=s3a://b/x": "y"}
		}, want: `spec.config.sparkConf[spark.eventLog.dir=s3a://b/x]: Invalid value: "spark.eventLog.dir=s3a://b/x": must not hold "=": the Spark Operator passes it to spark-submit as --conf key=value, which ends the key at its first "="`},
		{name: "hadoop conf key holding =", mutate: func(l *v1alpha1.Layer) { l.Spec.Config.HadoopConf = map[string]string{"fs.s3a.endpoint=x": "y"} },
			want: `spec.config.hadoopConf[fs.s3a.endpoint=x]: Invalid value: "fs.s3a.endpoint=x": must not hold "="`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides, Config: &v1alpha1.Config{}}}
			l.Name = "ok"
			tt.mutate(l)
			errs := ValidateLayer(l)
			if tt.want == "" {
				if len(errs) != 0 {
					t.Fatalf("unexpected errors: %v", errs)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("got %d errors %v, want one containing %q", len(errs), errs, tt.want)
			}
			if got := errs[0].Error(); !strings.Contains(got, tt.want) {
				t.Fatalf("error %q does not contain %q", got, tt.want)
			}
		})
	}
}

func TestCompileReportsFileLayerAndField(t *testing.T) {
	bad := layer("ns-typo", "NamespaceDefaults", 0, nil, nil, nil)
	bad.File = "layers/ns.yaml"
	dup1 := layer("dup", v1alpha1.PoolDefaults, 0, nil, nil, nil)
	dup1.File = "a.yaml"
	dup2 := layer("dup", v1alpha1.PoolDefaults, 0, nil, nil, nil)
	dup2.File = "b.yaml"
	_, err := Compile(Inputs{Layers: []LayerSource{bad, dup1, dup2}})
	if err == nil {
		t.Fatal("Compile accepted bad layers")
	}
	want := []string{
		`layers/ns.yaml: Layer "ns-typo": spec.tier: Unsupported value: "NamespaceDefaults": supported values: "PoolDefaults", "ClusterDefaults", "ClusterOverrides", "NamespaceOverrides"`,
		`b.yaml: Layer "dup": metadata.name: Duplicate value: "dup": also in a.yaml`,
	}
	if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("error =\n%s\nwant\n%s", err, strings.Join(want, "\n"))
	}
	var le *LayerError
	if !errors.As(err, &le) || le.Layer != "ns-typo" {
		t.Fatalf("error is not a *LayerError for ns-typo: %#v", err)
	}
}

// TestValidationOrderIsStable validates a Layer with problems in every
// block 100 times: the errors come out in the same order every time.
func TestValidationOrderIsStable(t *testing.T) {
	neg := resource.MustParse("-1")
	n := int32(-1)
	l := &v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: "Nope", Match: v1alpha1.Match{Roles: []v1alpha1.Role{"x", "y"}}}}
	l.Name = "Bad_Name"
	for _, c := range []**v1alpha1.Config{&l.Spec.Config, &l.Spec.Driver, &l.Spec.Executor} {
		*c = &v1alpha1.Config{
			Labels:      map[string]string{"a b": "1", "c d": "2", "spark-role": "x", "e f": "3"},
			Annotations: map[string]string{"x y": "1", "strata.dev/layers": "a"},
			Limits:      &v1alpha1.Limits{MaxPodCPU: &neg, MaxPodMemory: &neg, NamespaceCPU: &neg, NamespaceMemory: &neg, MaxExecutorsPerApp: &n, NamespacePods: &n},
			Enforcement: map[string]v1alpha1.Enforcement{"a": "x", "b": "y", "c": "z"},
			Isolation:   &v1alpha1.Isolation{AllowedIAMRoles: []string{" "}, ReservedNodeSelectors: []string{"a b", "c=d e"}},
		}
	}
	render := func() string {
		var out []string
		for _, e := range ValidateLayer(l) {
			out = append(out, e.Error())
		}
		return strings.Join(out, "\n")
	}
	first := render()
	if strings.Count(first, "\n") < 30 {
		t.Fatalf("only %d errors: the test exercises too little\n%s", strings.Count(first, "\n")+1, first)
	}
	for range 100 {
		if got := render(); got != first {
			t.Fatalf("validation errors changed order:\n%s\n---\n%s", first, got)
		}
	}
}

func resourcePtr(s string) *resource.Quantity {
	q := resource.MustParse(s)
	return &q
}
