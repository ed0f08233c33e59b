package e2e

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	composer "github.com/strata-dev/strata/cmd/composer/app"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// operatorWebhookName is the Spark Operator's MutatingWebhookConfiguration
// as its Helm chart names it for a release named spark-operator.
const operatorWebhookName = "spark-operator-webhook"

// operatorDefaults answers a SparkApplication's admission review as the
// Spark Operator's defaulting webhook does (api/v1beta2/defaults.go,
// setDriverSpecDefaults and setExecutorSpecDefaults): a role's cores and
// memory, and the executors' instances, that neither the typed field nor
// sparkConf gives are set to 1, "1g" and 1; a restart policy, Never when
// none, with each retry interval 5 seconds where its type is not Never and
// it names none. It is the operator's, whose Go
// module is not served here; it stands beside Strata as the operator's
// webhook does in a cluster.
func operatorDefaults(w http.ResponseWriter, r *http.Request) {
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
		http.Error(w, "not an AdmissionReview", http.StatusBadRequest)
		return
	}
	var app struct {
		Spec struct {
			SparkConf         map[string]string `json:"sparkConf"`
			DynamicAllocation *struct {
				Enabled bool `json:"enabled"`
			} `json:"dynamicAllocation"`
			RestartPolicy map[string]any `json:"restartPolicy"`
			Driver        map[string]any `json:"driver"`
			Executor      map[string]any `json:"executor"`
		} `json:"spec"`
	}
	_ = json.Unmarshal(review.Request.Object.Raw, &app)
	var patch []map[string]any
	set := func(role string, section map[string]any, field, key string, value any) {
		_, typed := section[field]
		if _, conf := app.Spec.SparkConf[key]; typed || conf {
			return
		}
		patch = append(patch, map[string]any{"op": "add", "path": "/spec/" + role + "/" + field, "value": value})
	}
	set("driver", app.Spec.Driver, "cores", "spark.driver.cores", 1)
	set("driver", app.Spec.Driver, "memory", "spark.driver.memory", "1g")
	set("executor", app.Spec.Executor, "cores", "spark.executor.cores", 1)
	set("executor", app.Spec.Executor, "memory", "spark.executor.memory", "1g")
	switch rp := app.Spec.RestartPolicy; {
	case rp == nil:
		patch = append(patch, map[string]any{"op": "add", "path": "/spec/restartPolicy", "value": map[string]any{"type": "Never"}})
	case rp["type"] != nil && rp["type"] != "Never":
		for _, interval := range []string{"onFailureRetryInterval", "onSubmissionFailureRetryInterval"} {
			if _, ok := rp[interval]; !ok {
				patch = append(patch, map[string]any{"op": "add", "path": "/spec/restartPolicy/" + interval, "value": 5})
			}
		}
	}
	dynamic := app.Spec.DynamicAllocation != nil && app.Spec.DynamicAllocation.Enabled
	if _, ok := app.Spec.Executor["instances"]; !ok && app.Spec.SparkConf["spark.executor.instances"] == "" && !dynamic {
		patch = append(patch, map[string]any{"op": "add", "path": "/spec/executor/instances", "value": 1})
	}
	resp := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
	if len(patch) > 0 {
		resp.Patch, _ = json.Marshal(patch)
		resp.PatchType = ptr(admissionv1.PatchTypeJSONPatch)
	}
	review.Request, review.Response = nil, resp
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(review)
}

// TestOperatorsDefaultsComeAfterTheLayers: with the Spark Operator's
// defaulting webhook registered as its chart registers it, an application
// that leaves executor memory and instances unset gets the layers'
// defaults, not the operator's "1g" and 1, which Strata would take for the
// user's values were it called second (the API server calls mutating
// webhook configurations in order of their names); what neither gives is
// the operator's default.
func TestOperatorsDefaultsComeAfterTheLayers(t *testing.T) {
	ctx := context.Background()
	registerOperatorDefaulter(t)
	layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-job-defaults"}, Spec: v1alpha1.LayerSpec{
		Tier: v1alpha1.ClusterDefaults, Match: v1alpha1.Match{Namespaces: []string{"etl"}},
		Config: &v1alpha1.Config{SparkConf: map[string]string{"spark.executor.memory": "3g", "spark.executor.instances": "3"}},
	}}
	createLayer(t, layer, "etl")

	// create creates an application that sets no size and returns its
	// executor section as stored.
	n := 0
	create := func() map[string]any {
		n++
		app := exampleApp(t, "etl-report.yaml", fmt.Sprintf("e2e-operator-defaults-%d", n))
		unstructured.RemoveNestedField(app.Object, "spec", "driver", "cores")
		unstructured.RemoveNestedField(app.Object, "spec", "driver", "memory")
		unstructured.RemoveNestedField(app.Object, "spec", "executor", "memory")
		unstructured.RemoveNestedField(app.Object, "spec", "executor", "instances")
		unstructured.RemoveNestedField(app.Object, "spec", "sparkConf", "spark.executor.cores")
		if err := cp.Client.Create(ctx, app); err != nil {
			t.Fatalf("creating %s: %v", app.GetName(), err)
		}
		t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), app) })
		stored := &unstructured.Unstructured{}
		stored.SetGroupVersionKind(sparkv1beta2.GroupVersionKind)
		if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(app), stored); err != nil {
			t.Fatal(err)
		}
		exec, _, _ := unstructured.NestedMap(stored.Object, "spec", "executor")
		exec["driverCores"], _, _ = unstructured.NestedFieldCopy(stored.Object, "spec", "driver", "cores")
		return exec
	}
	exec := create()
	if exec["memory"] != "3g" || exec["instances"] != int64(3) {
		t.Errorf("executor memory %v, instances %v: want the layer's 3g and 3, not the operator's defaults", exec["memory"], exec["instances"])
	}
	if exec["cores"] != int64(1) {
		t.Errorf("executor cores %v: want the operator's default, 1, which no layer gives", exec["cores"])
	}
}

// registerOperatorDefaulter registers operatorDefaults as the Spark
// Operator's chart registers its webhook, over TLS, until the test ends,
// and waits until the API server calls it: an application that names no
// driver cores, which no example layer gives, gets the operator's 1.
func registerOperatorDefaulter(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	srv := httptest.NewTLSServer(http.HandlerFunc(operatorDefaults))
	t.Cleanup(srv.Close)
	mwc := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: operatorWebhookName},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:                    "mutate-sparkoperator-k8s-io-v1beta2-sparkapplication.sparkoperator.k8s.io",
			AdmissionReviewVersions: []string{"v1"},
			ClientConfig: admissionregistrationv1.WebhookClientConfig{
				URL:      ptr(srv.URL + "/mutate-sparkoperator-k8s-io-v1beta2-sparkapplication"),
				CABundle: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}),
			},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{sparkv1beta2.Group}, APIVersions: []string{sparkv1beta2.Version},
					Resources: []string{sparkv1beta2.Resource}},
			}},
			SideEffects:   ptr(admissionregistrationv1.SideEffectClassNone),
			FailurePolicy: ptr(admissionregistrationv1.Fail),
		}},
	}
	if err := cp.Client.Create(ctx, mwc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), mwc) })

	n := 0
	if err := waitFor(30*time.Second, func() bool {
		n++
		probe := exampleApp(t, "etl-report.yaml", fmt.Sprintf("e2e-operator-probe-%d", n))
		unstructured.RemoveNestedField(probe.Object, "spec", "driver", "cores")
		if err := cp.Client.Create(ctx, probe); err != nil {
			return false
		}
		defer func() { _ = cp.Client.Delete(ctx, probe) }()
		cores, found, _ := unstructured.NestedFieldNoCopy(probe.Object, "spec", "driver", "cores")
		return found && cores == int64(1)
	}); err != nil {
		t.Fatalf("the API server never called the stand-in for the operator's webhook: %v", err)
	}
}

// TestDryRunSeesTheOperatorsDefaults: with the Spark Operator's defaulting
// webhook in the cluster, an application whose restart policy retries and
// names no interval is retried every 5 seconds, so where submissions must
// be 60 s apart Strata's validating webhook refuses it; the composer's
// dry run of the same file refuses it with the same message, and passes
// it once it names an interval.
func TestDryRunSeesTheOperatorsDefaults(t *testing.T) {
	ctx := context.Background()
	registerOperatorDefaulter(t)
	app := exampleApp(t, "etl-report.yaml", "e2e-retried")
	if err := unstructured.SetNestedMap(app.Object, map[string]any{"type": "OnFailure", "onFailureRetries": int64(3)}, "spec", "restartPolicy"); err != nil {
		t.Fatal(err)
	}
	const want = `quota: app "e2e-retried": restartPolicy.onFailureRetryInterval is 5s, so the operator may submit it again that soon; group "core-data" allows no less than 60s between submissions (ClusterOverrides layer "prod-a-overrides")`
	err := cp.Client.Create(ctx, app.DeepCopy())
	if err == nil {
		_ = cp.Client.Delete(ctx, app)
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("creating it: %v, want a denial containing %q", err, want)
	}
	dryRun := func(app *unstructured.Unstructured) (composer.ExitCode, string) {
		in, err := app.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		code, _, errOut := runComposer(t, in, "compose", "-f", "-", "--layers", exampleLayers,
			"--cluster", cluster.Name, "--pool", cluster.Pool, "--validate", "-o", "patch")
		return code, errOut
	}
	if code, errOut := dryRun(app); code != composer.ExitDenied || !strings.Contains(errOut, want) {
		t.Errorf("the dry run: exit %d, %s; want the webhook's denial", code, errOut)
	}
	if err := unstructured.SetNestedField(app.Object, int64(120), "spec", "restartPolicy", "onFailureRetryInterval"); err != nil {
		t.Fatal(err)
	}
	if code, errOut := dryRun(app); code != composer.ExitOK {
		t.Errorf("the dry run, retried every 120s: exit %d, %s", code, errOut)
	}
	if err := cp.Client.Create(ctx, app); err != nil {
		t.Errorf("creating it, retried every 120s: %v", err)
	} else {
		t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), app) })
	}
}
