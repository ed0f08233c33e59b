package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/plugin/pkg/authorizer/webhook"
	"k8s.io/apiserver/plugin/pkg/authorizer/webhook/metrics"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy"
)

// clusterFlags point the composer at a real cluster, which it only reads.
type clusterFlags struct {
	kubeconfig       string
	context          string
	webhookNamespace string
}

func (c *clusterFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&c.kubeconfig, "kubeconfig", "", "read Layers, Namespaces, PriorityClasses, RuntimeClasses, LimitRanges, ResourceQuotas, ValidatingAdmissionPolicies, MutatingAdmissionPolicies (and their params, and the CRDs of the SparkApplications and SparkConnects composed), the cluster's identity and (with --validate) its live pods from the cluster of this kubeconfig, read-only, asking its authorizer (SubjectAccessReviews, which store nothing) what a MutatingAdmissionPolicy's CEL asks")
	f.StringVar(&c.context, "context", "", "the kubeconfig context to use (implies reading the cluster, from $KUBECONFIG or ~/.kube/config without --kubeconfig)")
	f.StringVar(&c.webhookNamespace, "webhook-namespace", "strata-system", "with --kubeconfig: the namespace of Strata's webhook, whose Deployment names the cluster's identity")
}

// enabled reports whether a cluster is to be read.
func (c *clusterFlags) enabled() bool { return c.kubeconfig != "" || c.context != "" }

// config is the cluster's client configuration.
func (c *clusterFlags) config() (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if c.kubeconfig != "" {
		rules.ExplicitPath = c.kubeconfig
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: c.context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("--kubeconfig: %w", err)
	}
	return cfg, nil
}

// authorizer answers as the cluster's authorizer does, by asking it
// SubjectAccessReviews (which store nothing): what a
// MutatingAdmissionPolicy's CEL asks its authorizer. It is
// k8s.io/apiserver's webhook authorizer over the cluster's own
// SubjectAccessReview API, which builds each review from the check as the
// API server's does; its answers are cached for the run.
func (c *clusterFlags) authorizer() (authorizer.UnconditionalAuthorizer, error) {
	cfg, err := c.config()
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("--kubeconfig: %w", err)
	}
	az, err := webhook.NewFromInterface(cs.AuthorizationV1(), time.Hour, time.Hour, *webhook.DefaultRetryBackoff(), authorizer.DecisionNoOpinion, metrics.NoopAuthorizerMetrics{}, nil)
	if err != nil {
		return nil, fmt.Errorf("--kubeconfig: the cluster's authorizer: %w", err)
	}
	return az, nil
}

// client is a client of the cluster.
func (c *clusterFlags) client() (client.Client, error) {
	cfg, err := c.config()
	if err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), v1alpha1.AddToScheme(scheme), apiextensionsv1.AddToScheme(scheme)); err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: scheme})
}

// readCluster lists the cluster's objects a snapshot is compiled from, as
// the webhook does (overlay.ReadCluster), with its Layers and its
// MutatingAdmissionPolicies and their bindings, which the dry run names
// where they may apply.
func readCluster(ctx context.Context, cl client.Reader) (overlay.Inputs, error) {
	in, err := overlay.ReadCluster(func(list overlay.ObjectList) error { return cl.List(ctx, list) },
		overlay.ClusterParts{Layers: true, MutatingPolicies: true})
	if err != nil {
		return overlay.Inputs{}, fmt.Errorf("--kubeconfig: %w", err)
	}
	return in, nil
}

// clusterIdentity reads the cluster's name and pool where the webhook
// reads them: the ConfigMap its Deployment's STRATA_CLUSTER and
// STRATA_POOL come from (manifests/base); and, unless operator (the
// composer's --operator-user) names it, the Spark Operator's user the
// webhook is given (--spark-operator-user, which
// manifests/components/spark-operator-status sets), none when it has none.
func clusterIdentity(ctx context.Context, cl client.Reader, namespace, operator string) (mutate.Cluster, error) {
	var dep appsv1.Deployment
	if err := cl.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "strata-webhook"}, &dep); err != nil {
		return mutate.Cluster{}, fmt.Errorf("reading the webhook's Deployment %s/strata-webhook for the cluster's identity: %w", namespace, err)
	}
	id := mutate.Cluster{SparkOperator: operator}
	for _, c := range dep.Spec.Template.Spec.Containers {
		if operator == "" {
			user, err := sparkOperatorArg(c.Args)
			if err != nil {
				return mutate.Cluster{}, fmt.Errorf("the webhook's Deployment %s/strata-webhook, container %q: %w", namespace, c.Name, err)
			}
			id.SparkOperator = cmp.Or(user, id.SparkOperator)
		}
		for _, e := range c.Env {
			if e.ValueFrom == nil || e.ValueFrom.ConfigMapKeyRef == nil {
				continue
			}
			ref := e.ValueFrom.ConfigMapKeyRef
			var cm corev1.ConfigMap
			if err := cl.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ref.Name}, &cm); err != nil {
				return mutate.Cluster{}, fmt.Errorf("reading the cluster's identity: %w", err)
			}
			switch e.Name {
			case "STRATA_CLUSTER":
				id.Name = cm.Data[ref.Key]
			case "STRATA_POOL":
				id.Pool = cm.Data[ref.Key]
			}
		}
	}
	if id.Name == "" || id.Pool == "" {
		return mutate.Cluster{}, fmt.Errorf("the webhook's Deployment %s/strata-webhook names no cluster and pool (STRATA_CLUSTER, STRATA_POOL)", namespace)
	}
	return id, nil
}

// sparkOperatorArg is the value of the webhook's --spark-operator-user
// in args, "" when it is not given; the last one given counts, as pflag
// takes it. A value that refers to the container's environment
// ($(VAR)) is not read: the composer does not expand it. The webhook's
// own command (cmd/webhook/app) is not used to parse args: it would link
// the webhook's manager, zap and net/http/pprof's handlers into the
// composer for one flag; TestSparkOperatorArgAsTheWebhookParsesIt holds
// the two to one reading.
func sparkOperatorArg(args []string) (string, error) {
	const flag = "--spark-operator-user"
	var user string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--":
			return user, nil
		case a == flag:
			if i+1 == len(args) {
				return "", fmt.Errorf("%s has no value", flag)
			}
			user = args[i+1]
			i++
		case strings.HasPrefix(a, flag+"="):
			user = strings.TrimPrefix(a, flag+"=")
		}
	}
	if strings.Contains(user, "$(") {
		return "", fmt.Errorf("%s=%s refers to the container's environment, which the composer does not read: give --operator-user", flag, user)
	}
	if user != "" {
		if err := mutate.CheckUserName(user); err != nil {
			return "", fmt.Errorf("%s: %w", flag, err)
		}
	}
	return user, nil
}

// liveState is the cluster's pods that hold resources, as the webhook's
// quota counts them.
func liveState(ctx context.Context, cl client.Reader) (policy.LiveState, error) {
	var pods corev1.PodList
	if err := cl.List(ctx, &pods); err != nil {
		return nil, fmt.Errorf("--kubeconfig: listing pods: %w", err)
	}
	live := make([]policy.LivePod, 0, len(pods.Items))
	for i := range pods.Items {
		if p := &pods.Items[i]; policy.HoldsResources(p) {
			live = append(live, policy.LivePodOf(p))
		}
	}
	return policy.TrackerOf(live), nil
}
